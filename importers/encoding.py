"""Text encodings of CSV files from Chinese offices.

Excel on Chinese Windows saves "CSV (逗号分隔)" in the ANSI code page, GBK (cp936);
"CSV UTF-8" adds a byte-order mark; other tools write plain UTF-8. GB18030 is a superset
of GBK (every GBK file decodes identically as GB18030, and it also covers characters
outside GBK such as 𠀀 or 䶮 that appear in personal names), so a file that is not UTF-8
is read as GB18030: reporting "gbk" would only add a way to fail.

Detection looks at a bounded sample from the start of the file. Bytes past the sample are
not checked: a decoding error there surfaces as ``UnicodeDecodeError`` while reading.
"""

from __future__ import annotations

import codecs
import os
from pathlib import Path
from typing import TextIO

DEFAULT_SAMPLE_BYTES = 1 << 20
"""How many bytes (1 MiB) from the start of the file :func:`detect_encoding` checks."""
MIXED_UTF8_MIN_CHARS = 8
"""Non-ASCII characters that must decode as UTF-8 before a bad byte for the file to be
called mixed or corrupt UTF-8 rather than GB18030 (GBK text rarely forms even two or three
valid UTF-8 characters in a row, and a Chinese header line has well over eight)."""

UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

Source = str | os.PathLike[str] | bytes


class EncodingDetectionError(ValueError):
    """No supported encoding decodes the file; the message names the file and byte offsets."""


def _read_sample(source: Source, sample_bytes: int) -> tuple[bytes, bool, str]:
    """Return (sample, whether the sample is the whole input, a name for messages)."""
    if isinstance(source, bytes):
        return source[:sample_bytes], len(source) <= sample_bytes, "<bytes>"
    path = Path(source)
    with path.open("rb") as f:
        # One byte more than the sample tells whether the file goes on.
        data = f.read(sample_bytes + 1)
    return data[:sample_bytes], len(data) <= sample_bytes, str(path)


def _first_decode_error(sample: bytes, encoding: str, *, final: bool) -> UnicodeDecodeError | None:
    """Decode ``sample`` incrementally; None if it decodes, else the error (with ``.start``).

    With ``final=False`` an incomplete multibyte character cut by the end of the sample is
    held back by the incremental decoder instead of being reported as an error.
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        decoder.decode(sample, final=final)
    except UnicodeDecodeError as e:
        return e
    return None


def _describe(error: UnicodeDecodeError) -> str:
    bad = error.object[error.start : error.start + 4]
    return f"byte offset {error.start} ({bad.hex(' ')}: {error.reason})"


def detect_encoding(source: Source, *, sample_bytes: int = DEFAULT_SAMPLE_BYTES) -> str:
    """Guess the text encoding of a CSV file from its first ``sample_bytes`` bytes.

    ``source`` is a path, or the file content as ``bytes``. Returns a Python codec name:

    - ``"utf-8-sig"`` when the file starts with a UTF-8 byte-order mark;
    - ``"utf-16"`` when it starts with a UTF-16 byte-order mark (Excel "Unicode text");
    - ``"utf-8"`` when the sample decodes as UTF-8 (pure ASCII included);
    - ``"gb18030"`` when it decodes as GB18030, which covers GBK/cp936 files.

    A multibyte character cut by the end of the sample does not count as an error.
    Raises :class:`EncodingDetectionError` naming the file and the first bad byte offset
    when neither decodes, or when the sample starts as UTF-8 Chinese text and then turns
    invalid (mixed encodings, see :data:`MIXED_UTF8_MIN_CHARS`).
    """
    if sample_bytes < 4:
        msg = f"sample_bytes must be at least 4, got {sample_bytes}"
        raise ValueError(msg)
    sample, whole, name = _read_sample(source, sample_bytes)
    if sample.startswith(UTF8_BOM):
        return "utf-8-sig"
    if sample.startswith(_UTF16_BOMS):
        return "utf-16"
    utf8_error = _first_decode_error(sample, "utf-8", final=whole)
    if utf8_error is None:
        return "utf-8"
    _reject_mixed_utf8(sample, utf8_error, name)
    gb_error = _first_decode_error(sample, "gb18030", final=whole)
    if gb_error is None:
        return "gb18030"
    msg = (
        f"{name}: cannot tell the text encoding: not UTF-8 (first bad {_describe(utf8_error)}) "
        f"and not GB18030/GBK (first bad {_describe(gb_error)}); "
        "save it from Excel as 'CSV UTF-8' or give the encoding explicitly"
    )
    raise EncodingDetectionError(msg)


def _reject_mixed_utf8(sample: bytes, utf8_error: UnicodeDecodeError, name: str) -> None:
    """Raise if the bytes before the first UTF-8 error are clearly UTF-8 Chinese text.

    Such a file is UTF-8 with a corrupt byte or rows pasted from a GBK file; decoding it as
    GB18030 would not fail but would silently turn every character into mojibake.
    """
    prefix = sample[: utf8_error.start].decode("utf-8")
    non_ascii = sum(1 for ch in prefix if not ch.isascii())
    if non_ascii >= MIXED_UTF8_MIN_CHARS:
        msg = (
            f"{name}: starts as UTF-8 ({non_ascii} non-ASCII characters) but is not UTF-8 at "
            f"{_describe(utf8_error)}: the file mixes encodings (rows pasted from a GBK file?) "
            "or is corrupt; re-save it from Excel as 'CSV UTF-8'"
        )
        raise EncodingDetectionError(msg)


def _check_codec(encoding: str) -> str:
    """The canonical codec name for ``encoding``; :class:`EncodingDetectionError` if unknown."""
    try:
        return codecs.lookup(encoding).name
    except LookupError as e:
        msg = f"unknown text encoding {encoding!r}; use e.g. utf-8, utf-8-sig, gb18030 or gbk"
        raise EncodingDetectionError(msg) from e


def open_text(path: str | os.PathLike[str], encoding: str | None = None) -> TextIO:
    """Open a CSV file for reading as text, ready for :mod:`csv` (``newline=""``).

    ``encoding=None`` detects it with :func:`detect_encoding`. An explicit encoding is
    honoured, except that ``"utf-8"`` on a file that starts with a BOM becomes
    ``"utf-8-sig"`` so the BOM does not stick to the first header. Decoding is strict:
    a bad byte after the detection sample raises ``UnicodeDecodeError`` while reading.
    The chosen codec is the returned stream's ``.encoding``.
    """
    if encoding is None:
        encoding = detect_encoding(path)
    elif _check_codec(encoding) == "utf-8" and _starts_with_bom(path):
        encoding = "utf-8-sig"
    return open(path, encoding=encoding, errors="strict", newline="")  # the caller closes it


def _starts_with_bom(path: str | os.PathLike[str]) -> bool:
    with open(path, "rb") as f:
        return f.read(len(UTF8_BOM)) == UTF8_BOM
