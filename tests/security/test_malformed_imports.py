"""Malformed-file corpus (tests/security/malformed_corpus.py, generated from a seed): each
import command refuses every file with a message naming the file, the row, the field and the
reason — never a Python traceback — and writes nothing.

Attacks: inf / -inf / Infinity / NaN / 1e309 coordinates, dates 0001-01-01, 9999-12-31,
2024-02-30 and words, NUL bytes in cells (CSV, and raw in an XLSX sheet's XML), over-long
cells (addresses, names, descriptions up to 200,000 characters), truncated XLSX zips and
sheets whose XML is cut short.
"""

from __future__ import annotations

import traceback
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from layers.facilities.models import Facility
from layers.incidents.models import Incident
from layers.people.models import Household
from tests.security.malformed_corpus import build_corpus

pytestmark = pytest.mark.django_db
MODELS = {"households": Household, "incidents": Incident, "facilities": Facility}


def _run(case) -> tuple[str, str | None]:
    """(what the user saw, the traceback if the command crashed instead of refusing)."""
    out, err = StringIO(), StringIO()
    try:
        call_command(case.command, str(case.path), "--crs", "wgs84", "--no-progress", stdout=out, stderr=err)
    except CommandError as e:
        return "\n".join((out.getvalue(), err.getvalue(), str(e))), None
    except Exception:  # noqa: BLE001 - a crash is what this test counts
        return "", traceback.format_exc()
    return "\n".join((out.getvalue(), err.getvalue())), None


def test_every_malformed_file_is_refused_with_file_row_field_and_reason_and_nothing_written(world, tmp_path):
    cases = build_corpus(tmp_path)
    before = {layer: model.objects.count() for layer, model in MODELS.items()}
    tracebacks, unclear = [], []
    for case in cases:
        text, crash = _run(case)
        if crash:
            tracebacks.append(f"{case.path.name}: {crash.splitlines()[-1]}")
            continue
        expected = [case.path.name]
        if case.row:
            expected.append(f"row {case.row}")
        if case.header:  # a rejected row: its column, and the import refused as a whole
            expected += [f"[{case.header}]", "错误 error", "未写入任何数据"]
        else:  # the file refused as a whole, saying why
            expected.append("不是可读的 XLSX" if case.defect == "truncated_zip" else "")
        missing = [e for e in expected if e not in text]
        reason = text.split(case.path.name, 1)[-1]
        if missing or len(reason.strip()) < 20:
            unclear.append(f"{case.path.name}: missing {missing}: {text[-300:]}")
    after = {layer: model.objects.count() for layer, model in MODELS.items()}
    print(f"malformed corpus: {len(cases)} files, {len(tracebacks)} tracebacks")  # noqa: T201 - the figure
    assert len(cases) >= 60
    assert tracebacks == []
    assert unclear == [], "\n".join(unclear)
    assert after == before
