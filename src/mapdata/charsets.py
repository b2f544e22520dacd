"""Which text encoding a file is in, and the file as UTF-8: UTF-8 (with or without BOM), UTF-16
with BOM, and the legacy single-byte Windows-1252 / Latin-1 of older ACLED and HDX files.

A file that is not UTF-8 is taken as Windows-1252 (of which Latin-1's printable characters are a
part) only when it reads as such and looks like Western European text: in Windows-1252, letters
with accents are single bytes 0xC0–0xFF, and words of those languages rarely hold three of them
in a row, while every Cyrillic, Greek, Hebrew or Arabic word written in its own code page does.
Such a file, or one with NUL bytes or a byte Windows-1252 leaves undefined, stays an error:
converting it would put wrong letters into every name.
"""

from __future__ import annotations

import codecs
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .errors import FileFormatError

UTF8 = "UTF-8"
UTF8_BOM = "UTF-8 with BOM"
UTF16 = "UTF-16 with BOM"
WINDOWS_1252 = "Windows-1252 (legacy single-byte; converted to UTF-8)"
_LETTERS_IN_A_ROW = 3


def to_utf8(raw: bytes, label: str) -> tuple[bytes, str]:
    """``raw`` as UTF-8 without a BOM, and the name of the encoding it was in (for the report).

    Raises :class:`FileFormatError` for an empty file, NUL bytes, or bytes that are neither
    UTF-8 nor Western European Windows-1252 text.
    """
    if not raw or raw.isspace():
        raise FileFormatError(f"{label}: the file is empty; expected a CSV with a header row")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raw, encoding = raw.decode("utf-16").encode("utf-8"), UTF16
    elif raw.startswith(codecs.BOM_UTF8):
        raw, encoding = raw[len(codecs.BOM_UTF8):], UTF8_BOM
    else:
        encoding = UTF8
    try:
        codecs.decode(raw, "utf-8")
    except UnicodeDecodeError as exc:
        if encoding != UTF8 or b"\x00" in raw:
            raise _not_text(label, exc.start, "") from None
        return _from_windows_1252(raw, label, exc.start), WINDOWS_1252
    if b"\x00" in raw:
        raise FileFormatError(f"{label}: contains NUL bytes, so it is not a text CSV file")
    return raw, encoding


def _from_windows_1252(raw: bytes, label: str, first_bad: int) -> bytes:
    """``raw`` converted from Windows-1252, unless it looks like another code page or is not text.

    The look for foreign words (NumPy, outside the GIL) runs in a second thread while Python
    decodes, so a large legacy file pays for one of the two, not both.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        foreign = pool.submit(_foreign_word_at, raw)
        try:
            text, undefined = raw.decode("cp1252"), None
        except UnicodeDecodeError as exc:
            text, undefined = None, exc.start
        at = foreign.result()
    if at is not None:
        raise _not_text(label, first_bad, f"; at offset {at} it has {_LETTERS_IN_A_ROW} or more non-ASCII letters "
                                          "in a row, as another legacy code page (Cyrillic, Greek, …) writes words")
    if text is None:
        raise _not_text(label, undefined, "; nor Windows-1252 (a byte it leaves undefined)")
    return text.encode("utf-8")


def _foreign_word_at(raw: bytes) -> int | None:
    """Offset of the first run of :data:`_LETTERS_IN_A_ROW` bytes 0xC0–0xFF, or None."""
    high = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) >= 0xC0)
    in_a_row = _LETTERS_IN_A_ROW - 1
    runs = high[in_a_row:] - high[:-in_a_row] == in_a_row if len(high) > in_a_row else np.zeros(0, dtype=bool)
    return int(high[:-in_a_row][runs][0]) if runs.any() else None


def _not_text(label: str, offset: int, detail: str) -> FileFormatError:
    return FileFormatError(f"{label}: not UTF-8 text (undecodable byte at offset {offset}){detail}; "
                           "save the file as CSV UTF-8 and try again")
