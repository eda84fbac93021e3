"""Fixed-width rows of a PostgreSQL binary COPY, read into numpy while the COPY still runs.

A hot-spot analysis reads every incident of its filter (a million at district scale) as
(float8 lon, float8 lat[, int4 bin]) rows. psycopg2 runs the COPY in a thread of its own and
hands over the bytes in parts of a few megabytes, so the caller projects and bins one part
while the database sends the next: on two cores the COPY, the projection and the binning
overlap (0.38 → 0.31 s for a million incidents, `bench/hotspots.py`).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

import numpy as np

SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_HEADER_BYTES = 19  # signature (11), flags (4), header extension length (4)
_TRAILER = b"\xff\xff"  # one int16 -1
PART_BYTES = 4 << 20


class CopyRows:
    """Parses a binary COPY stream fed in arbitrary pieces into structured arrays of whole rows.

    ``fields`` are (name, numpy type) of the columns, each NOT NULL and of fixed width
    (``>f8``, ``>i4``). Each row arrives as an int16 field count, then per field an int32
    length and the value (big-endian); :meth:`feed` checks both on every row.
    """

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        layout = [("n", ">i2")]
        for name, kind in fields:
            layout += [(f"len_{name}", ">i4"), (name, kind)]
        self.row = np.dtype(layout)
        self.fields = fields
        self._pending = b""
        self._header_seen = False
        self._wrong = f"binary COPY rows are not ({', '.join(k for _, k in fields)}) without NULLs"

    def feed(self, piece: bytes) -> np.ndarray:
        """The whole rows completed by ``piece`` (a view of them, possibly empty)."""
        data = self._pending + piece
        if not self._header_seen:
            if len(data) < _HEADER_BYTES:
                self._pending = data
                return np.empty(0, dtype=self.row)
            if data[: len(SIGNATURE)] != SIGNATURE:
                msg = "not a PostgreSQL binary COPY stream"
                raise ValueError(msg)
            start = _HEADER_BYTES + int.from_bytes(data[15:19], "big")
            if len(data) < start:
                self._pending = data
                return np.empty(0, dtype=self.row)
            data, self._header_seen = data[start:], True
        n = len(data) // self.row.itemsize
        rows = np.frombuffer(data, dtype=self.row, count=n)
        self._pending = data[n * self.row.itemsize :]
        ok = (rows["n"] == len(self.fields)).all() and all(
            (rows[f"len_{name}"] == np.dtype(kind).itemsize).all() for name, kind in self.fields
        )
        if not ok:
            raise ValueError(self._wrong)
        return rows

    def finish(self) -> None:
        """Check the stream ended with its trailer right after the last whole row."""
        if not self._header_seen:
            msg = "not a PostgreSQL binary COPY stream"
            raise ValueError(msg)
        if self._pending != _TRAILER:
            raise ValueError(self._wrong)


def copy_parts(raw_cursor, query: bytes, *, part_bytes: int | None = None) -> Iterator[bytes]:
    """The output of ``COPY … TO STDOUT`` run on ``raw_cursor`` (a psycopg2 cursor; ``query``
    already bound), in parts of at least ``part_bytes`` (the last one shorter) handed over
    while the COPY goes on in a thread. The connection is busy until the generator ends; it
    waits for the thread, whatever happens to the caller, before returning the connection."""
    part_bytes = part_bytes or PART_BYTES
    parts: queue.SimpleQueue = queue.SimpleQueue()
    done = object()

    class _Writer:  # psycopg2 calls write() once per row
        def __init__(self) -> None:
            self.buffer = bytearray()

        def write(self, data: bytes) -> None:
            self.buffer += data
            if len(self.buffer) >= part_bytes:
                parts.put(bytes(self.buffer))
                self.buffer.clear()

    writer = _Writer()

    def run() -> None:
        try:
            raw_cursor.copy_expert(query, writer)
            parts.put(bytes(writer.buffer))
            parts.put(done)
        except BaseException as error:  # noqa: BLE001 - handed to the reading thread, raised there
            parts.put(error)

    thread = threading.Thread(target=run, name="gridmap-copy", daemon=True)
    thread.start()
    try:
        while (item := parts.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        thread.join()
