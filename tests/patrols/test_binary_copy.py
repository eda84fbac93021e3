"""Binary COPY rows read part by part while the COPY runs (layers.patrols.binary_copy)."""

from __future__ import annotations

import io

import numpy as np
import psycopg2
import pytest
from django.db import connection, transaction

from layers.patrols.binary_copy import CopyRows, copy_parts

pytestmark = pytest.mark.django_db

FIELDS = [("x", ">f8"), ("y", ">f8"), ("k", ">i4")]
QUERY = "COPY (SELECT g * 0.5::float8, -g::float8 / 3, g FROM generate_series(1, %s) g) TO STDOUT (FORMAT binary)"


def whole_copy(n: int) -> bytes:
    out = io.BytesIO()
    with connection.cursor() as cur:
        cur.cursor.copy_expert(cur.mogrify(QUERY, [n]), out)
    return out.getvalue()


def test_rows_fed_in_any_pieces_are_the_rows_of_the_whole_stream():
    stream = whole_copy(5_000)
    rng = np.random.default_rng(3)
    # Cuts inside the header, inside rows and inside the trailer, and one-byte pieces.
    cuts = sorted({1, 5, 11, 18, 19, 20, *rng.integers(21, len(stream) - 1, 300).tolist(), len(stream) - 1})
    parser = CopyRows(FIELDS)
    got = [parser.feed(stream[a:b]) for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    parser.finish()
    rows = np.concatenate(got)
    assert len(rows) == 5_000
    g = np.arange(1, 5_001)
    assert np.array_equal(rows["x"], g * 0.5) and np.array_equal(rows["y"], -g / 3) and np.array_equal(rows["k"], g)


def test_a_stream_cut_short_or_of_other_columns_is_refused():
    stream = whole_copy(10)
    parser = CopyRows(FIELDS)
    parser.feed(stream[:-7])  # the last row and the trailer missing
    with pytest.raises(ValueError, match="without NULLs"):
        parser.finish()
    with pytest.raises(ValueError, match="without NULLs"):
        CopyRows([("x", ">f8"), ("y", ">f8"), ("k", ">f8")]).feed(stream)


def test_the_parts_joined_are_the_whole_copy_and_the_connection_is_free_after():
    with connection.cursor() as cur:
        parts = list(copy_parts(cur.cursor, cur.mogrify(QUERY, [5_000]), part_bytes=1_000))
        assert len(parts) > 50 and all(len(p) >= 1_000 for p in parts[:-1])
        cur.execute("SELECT 41 + 1")
        assert cur.fetchone() == (42,)
    assert b"".join(parts) == whole_copy(5_000)


def test_an_error_in_the_middle_of_the_copy_reaches_the_caller():
    bad = "COPY (SELECT 1.0::float8 / (g - 3000), 0::float8, g FROM generate_series(1, 5000) g) TO STDOUT (FORMAT binary)"
    with transaction.atomic(), connection.cursor() as cur:
        received = []
        with pytest.raises(psycopg2.errors.DivisionByZero):  # noqa: PT012 - the parts before it arrive first
            for part in copy_parts(cur.cursor, bad.encode(), part_bytes=1_000):
                received.append(part)
        assert received  # rows 1..2999 came through before the error
        transaction.set_rollback(True)
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)
