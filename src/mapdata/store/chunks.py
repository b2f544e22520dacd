"""Cutting an events file into chunks of whole records, and loading one chunk the in-memory way.

A chunk is the file's header line followed by a run of complete records, so
:func:`mapdata.load.load_events` reads it exactly as it reads a whole file; only the row numbers
are shifted back to the file's own numbering. Record ends are found without parsing the CSV: a
newline ends a record when an even number of double quotes precedes it (RFC 4180 quoting, where
a quote inside a field is written twice). Files this rule cannot cut safely (zip archives and
.xlsx workbooks, UTF-16, a NUL byte, an odd number of quotes, blank lines, no ``\\n`` line ends)
and files smaller than one chunk are read whole, through the same call.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from .location import locate

_BLOCK = 16 << 20
_QUOTE, _NEWLINE, _RETURN = 34, 10, 13
_WHOLE_STARTS = (b"\xff\xfe", b"\xfe\xff", b"PK")
"""How files begin that are read whole: UTF-16 (byte-order marks), zip archives and .xlsx workbooks."""


@dataclass(frozen=True)
class Chunk:
    """Bytes ``[start, end)`` of ``path`` (whole records) after the header bytes ``[0, header_end)``;
    its first record is row ``first_row`` of the file. ``whole``: read the file itself, in one piece."""

    path: str
    start: int
    end: int
    header_end: int
    first_row: int
    whole: bool = False

    def read(self) -> bytes | Path:
        """The chunk as a file ``load_events`` reads: the path itself (a URL's bytes), or the header
        and the records (byte ranges, through the file system of a URL)."""
        where = locate(self.path)
        if self.whole:
            return Path(where.path) if where.local else where.read_bytes()
        return where.read_range(0, self.header_end) + where.read_range(self.start, self.end)


@dataclass(frozen=True)
class Scan:
    """A source file's size, SHA-256 and chunks."""

    path: str
    size: int
    sha256: str
    chunks: tuple[Chunk, ...]


def scan(path: str | Path, chunk_bytes: int) -> Scan:
    """Hash ``path`` and cut it into chunks of about ``chunk_bytes`` (one pass over the file; the
    hash of a block runs in a second thread while this one cuts it: both release the GIL)."""
    path = str(path)
    digest = hashlib.sha256()
    cutter = _Cutter(chunk_bytes)
    size = 0
    with locate(path).open("rb") as handle, ThreadPoolExecutor(max_workers=1) as hasher:
        hashing = None
        while block := handle.read(_BLOCK):
            if hashing:
                hashing.result()  # the blocks reach the digest in order
            hashing = hasher.submit(digest.update, block)
            cutter.feed(np.frombuffer(block, dtype=np.uint8), size)
            size += len(block)
        if hashing:
            hashing.result()
    return Scan(path, size, digest.hexdigest(), cutter.chunks(path, size))


class Uncuttable(Exception):
    """:func:`cut` found, after giving chunks, that the file is one :func:`scan` reads whole."""


def cut(path: str | Path, chunk_bytes: int) -> Iterator[Chunk]:
    """The chunks :func:`scan` makes of ``path`` (without hashing it), each given as soon as the
    pass over the file has found its end, so that a chunk can be read while the rest is cut.
    Raises :class:`Uncuttable` when the file turns out to be one read whole after chunks were
    given (a blank line, a NUL byte or an unbalanced quote further on)."""
    path = str(path)
    cutter = _Cutter(chunk_bytes)
    size, given = 0, 0
    with locate(path).open("rb") as handle:
        while block := handle.read(_BLOCK):
            cutter.feed(np.frombuffer(block, dtype=np.uint8), size)
            size += len(block)
            settled = cutter.settled(path)
            yield from settled[given:]
            given = max(given, len(settled))
    found = cutter.chunks(path, size)
    if found[0].whole and given:
        raise Uncuttable(f"{path}: cannot be cut into chunks (blank line, NUL byte or unbalanced quote)")
    yield from found[given:]


class _Cutter:
    """Finds record ends block by block and keeps the first record end after each chunk target."""

    def __init__(self, chunk_bytes: int) -> None:
        self.chunk_bytes = chunk_bytes
        self.quotes = 0            # quotes before the current block
        self.records = 0           # record ends seen so far, the header's included
        self.header_end = None     # offset after the header's newline
        self.last_end = None       # offset after the last record end
        self.last_byte = -1        # the byte before the current block
        self.cuts: list[tuple[int, int]] = []  # (offset, records before it, the header's excluded)
        self.uncuttable = False
        self.next_target = chunk_bytes

    def feed(self, block: np.ndarray, offset: int) -> None:
        if offset == 0 and bytes(block[:2]) in _WHOLE_STARTS:
            self.uncuttable = True
        if self.uncuttable:
            return
        if np.count_nonzero(block == 0):
            self.uncuttable = True
            return
        quotes = np.flatnonzero(block == _QUOTE)
        newlines = np.flatnonzero(block == _NEWLINE)
        even = ((self.quotes + np.searchsorted(quotes, newlines)) & 1) == 0
        ends = newlines[even] + offset + 1  # offsets just after each record's newline
        self.quotes += len(quotes)
        if len(ends):
            self._check_blank(ends, block, offset)
            self._cut(ends)
            self.records += len(ends)
            self.last_end = int(ends[-1])
        self.last_byte = int(block[-1])

    def _check_blank(self, ends: np.ndarray, block: np.ndarray, offset: int) -> None:
        """A blank line (which CSV readers skip, so it has no row number) makes the file uncuttable."""
        previous = np.concatenate(([self.last_end if self.last_end is not None else -2], ends[:-1]))
        length = ends - previous
        before = ends - 2 - offset  # index in block of the byte before the newline
        byte_before = np.where(before >= 0, block[np.clip(before, 0, None)], self.last_byte)
        if np.any(length == 1) or np.any((length == 2) & (byte_before == _RETURN)):
            self.uncuttable = True

    def _cut(self, ends: np.ndarray) -> None:
        if self.header_end is None:
            self.header_end = int(ends[0])
            self.next_target = self.header_end + self.chunk_bytes
        while True:
            at = int(np.searchsorted(ends, self.next_target))
            if at == len(ends):
                return
            self.cuts.append((int(ends[at]), self.records + at))  # records + at + 1 ends, minus the header
            self.next_target = int(ends[at]) + self.chunk_bytes

    def chunks(self, path: str, size: int) -> tuple[Chunk, ...]:
        whole = (Chunk(path, 0, size, 0, 2, whole=True),)
        if self.uncuttable or self.quotes % 2 or self.header_end is None or not self.cuts:
            return whole
        return self._between(path, size)

    def settled(self, path: str) -> tuple[Chunk, ...]:
        """The chunks ending at a cut found so far: final unless the rest of the file proves it
        uncuttable (cuts are only added)."""
        if self.uncuttable or self.header_end is None or not self.cuts:
            return ()
        return self._between(path, self.cuts[-1][0])

    def _between(self, path: str, size: int) -> tuple[Chunk, ...]:
        cuts = [(self.header_end, 0)] + [(offset, records) for offset, records in self.cuts if offset < size] + [(size, None)]
        return tuple(Chunk(path, start, end, self.header_end, records + 2)
                     for (start, records), (end, _) in zip(cuts, cuts[1:]) if end > start)
