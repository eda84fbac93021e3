"""render_maps writes the three role maps as files that open with no server and no internet."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.fixtures_world import world  # noqa: F401

pytestmark = pytest.mark.django_db


def test_three_standalone_maps_with_their_assets(world, tmp_path):  # noqa: F811
    out = StringIO()
    call_command("render_maps", "--out", str(tmp_path), "--grid", world.west.code, stdout=out)
    for name in ("grid_worker.html", "planner.html", "patrol.html"):
        html = (tmp_path / name).read_text(encoding="utf-8")
        assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
        assert assets and all(a.startswith("static/") for a in assets), (name, assets)
        assert all((tmp_path / a).exists() for a in assets), name
        assert "OpenStreetMap" in html and "/maps/streets.geojson" not in html
    worker = (tmp_path / "grid_worker.html").read_text(encoding="utf-8")
    assert "510104198001011234" not in worker and "王小明" not in worker  # masked
    assert "西边纠纷" in worker or "\\u897f\\u8fb9" in worker  # the open incident
    assert "东边消防" not in worker and "\\u4e1c\\u8fb9" not in worker  # another grid's


def test_unknown_grid_is_refused(world, tmp_path):  # noqa: F811
    with pytest.raises(CommandError, match="没有找到网格"):
        call_command("render_maps", "--out", str(tmp_path), "--grid", "510104999999999")
    assert not Path(tmp_path, "grid_worker.html").exists()
