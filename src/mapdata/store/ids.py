"""Event-id hashes for the build's duplicate check, kept on disk and compared bucket by bucket.

Each chunk's task writes a 64-bit hash of every accepted event's id with the event's row, sorted
by hash (:func:`write_chunk`). The check cuts the hash range into buckets of a few million events
(:func:`buckets`) and runs one Dask task per bucket (:func:`check`): it reads that range of every
chunk's file and of the stored sources' hash files (sorted, so a range is a slice) and names the
rows whose hash repeats within their source, or was used by an earlier source. Only those rows'
ids are read back and compared as text afterwards, so a hash collision costs a read, never a
wrong answer. Memory follows the bucket, not the number of events, on the workers and the client.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from .location import Location, locate

HASHED = np.dtype([("hash", "<u8"), ("row", "<i8")])
"""A chunk's id file: per accepted event its id's hash and its row in the source file."""
BUCKET_EVENTS = 2_000_000
BUCKETS_DIR = "buckets"
"""The staging folder's subfolder for each bucket's distinct hashes per source."""
_SPAN = 1 << 64
_HEADER_BYTES = 4096
"""More than a ``.npy`` header of these files takes (128 bytes for np.save's)."""


def id_hashes(ids: pd.Series) -> np.ndarray:
    """A 64-bit hash per event id, the same in every process (pandas' fixed-key SipHash)."""
    return pd.util.hash_array(ids.to_numpy(dtype=object))


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted (by sorting: NumPy's hashing ``unique`` is ~20× slower on
    10M random 64-bit hashes)."""
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if len(values) else values


def write_chunk(path: Location, rows: np.ndarray, hashes: np.ndarray) -> None:
    """Write a chunk's (hash, row) pairs sorted by hash."""
    order = np.argsort(hashes, kind="stable")
    pairs = np.empty(len(hashes), dtype=HASHED)
    pairs["hash"], pairs["row"] = hashes[order], rows[order]
    path.parent.mkdir()
    with path.target() as target:
        np.save(target, pairs)


@dataclass(frozen=True)
class Bucket:
    """One task of the check: hashes in ``[low, high)``; the chunks' id files by source number;
    the stored sources' hash files; per source the hashes of ids its chunks already rejected as
    repeated (their first use may lie in another chunk); where to put each source's distinct hashes."""

    number: int
    low: int
    high: int
    chunks: dict[int, tuple[str, ...]]
    stored: tuple[str, ...]
    repeated: dict[int, np.ndarray]
    out: str


@dataclass(frozen=True)
class Found:
    """A bucket's answer: the rows (source number, row) to read back, for an id repeated within
    its source and for an id an earlier source used; the distinct hashes per source."""

    number: int
    within: pd.DataFrame
    across: pd.DataFrame
    distinct: dict[int, int]


def buckets(events: int, chunks: dict[int, Sequence[str]], stored: Sequence[str],
            repeated: dict[int, np.ndarray], out: Location) -> list[Bucket]:
    """Enough buckets that each holds about :data:`BUCKET_EVENTS` of the ``events`` hashes."""
    count = max(1, math.ceil(events / BUCKET_EVENTS))
    edges = [k * _SPAN // count for k in range(count + 1)]
    return [Bucket(k, low, high, {seq: tuple(paths) for seq, paths in chunks.items()}, tuple(stored),
                   {seq: _in_range(values, low, high) for seq, values in repeated.items()}, str(out))
            for k, (low, high) in enumerate(zip(edges, edges[1:]))]


def check(bucket: Bucket) -> Found:
    """The repeated and earlier-used hashes of one bucket (see the module docstring)."""
    earlier = sorted_unique(np.concatenate([_load_range(p, bucket.low, bucket.high) for p in bucket.stored]
                                           or [np.empty(0, dtype="<u8")]))
    within, across, distinct = [], [], {}
    for seq in sorted(bucket.chunks):
        pairs = np.concatenate([_load_range(p, bucket.low, bucket.high) for p in bucket.chunks[seq]])
        hashes = pairs["hash"]
        ordered = np.sort(hashes)
        twice = ordered[1:][ordered[1:] == ordered[:-1]]
        pick = _member(hashes, sorted_unique(np.concatenate((twice, bucket.repeated.get(seq, twice[:0])))))
        within.append(pd.DataFrame({"source_seq": seq, "source_row": pairs["row"][pick]}))
        pick = _member(hashes, earlier)
        across.append(pd.DataFrame({"source_seq": seq, "source_row": pairs["row"][pick]}))
        mine = sorted_unique(ordered)
        with (locate(bucket.out) / f"{seq}-{bucket.number}.npy").target() as target:
            np.save(target, mine)
        distinct[seq] = len(mine)
        earlier = sorted_unique(np.concatenate((earlier, mine)))
    return Found(bucket.number, _rows(within), _rows(across), distinct)


def assemble(path: Location, out: Location, seq: int, found: Sequence[Found]) -> None:
    """Write source ``seq``'s sorted distinct hashes (one ``.npy``) from its buckets' pieces, one at a time."""
    found = sorted(found, key=lambda f: f.number)
    with path.open("wb") as handle:
        np.lib.format.write_array_header_2_0(handle, {"descr": "<u8", "fortran_order": False,
                                                      "shape": (sum(f.distinct[seq] for f in found),)})
        for f in found:
            handle.write(np.load((out / f"{seq}-{f.number}.npy").source()).data)


def _rows(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True).astype({"source_seq": "int64", "source_row": "int64"})


def _in_range(values: np.ndarray, low: int, high: int) -> np.ndarray:
    """The part of the sorted ``values`` (hashes, or pairs sorted by hash) in ``[low, high)``."""
    keys = values["hash"] if values.dtype == HASHED else values
    start = np.searchsorted(keys, np.uint64(low))
    end = len(keys) if high >= _SPAN else np.searchsorted(keys, np.uint64(high))
    return values[start:end]


def _load_range(path: str, low: int, high: int) -> np.ndarray:
    """Hashes in ``[low, high)`` of a sorted hash or pair file, read without loading the rest: a
    local file is memory-mapped, a remote one read by ranges (:func:`_remote_range`)."""
    where = locate(path)
    if where.local:
        return np.array(_in_range(np.load(where.path, mmap_mode="r"), low, high))
    return _remote_range(where, low, high)


def _remote_range(where: Location, low: int, high: int) -> np.ndarray:
    """Four ranged reads: the header, a window around each edge's expected position (the hashes
    are uniform, so an edge lies within a few standard deviations, ~sqrt(n)/2 entries, of
    ``n × value / 2^64``; a miss widens the window), and the slice between the edges."""
    handle = io.BytesIO(where.read_range(0, _HEADER_BYTES))
    version = np.lib.format.read_magic(handle)
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    (count,), _, dtype = read_header(handle)
    offset = handle.tell()
    start = _remote_edge(where, offset, count, dtype, low)
    end = count if high >= _SPAN else _remote_edge(where, offset, count, dtype, high)
    return np.frombuffer(where.read_range(offset + start * dtype.itemsize, offset + end * dtype.itemsize), dtype=dtype).copy()


def _remote_edge(where: Location, offset: int, count: int, dtype: np.dtype, value: int) -> int:
    """The index of the first hash ``>= value`` in a remote sorted file of ``count`` entries."""
    guess = int(count * (value / _SPAN))
    width = 3 * math.isqrt(count) // 2 + 64
    low, high = max(0, guess - width), min(count, guess + width)
    while True:
        entries = np.frombuffer(where.read_range(offset + low * dtype.itemsize, offset + high * dtype.itemsize), dtype=dtype)
        keys = entries["hash"] if dtype == HASHED else entries
        at = int(np.searchsorted(keys, np.uint64(value)))
        if (at > 0 or low == 0) and (at < len(keys) or high == count):
            return low + at
        width *= 4
        low, high = max(0, low - width), min(count, high + width)


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Whether each of ``values`` is in the sorted, distinct ``sorted_set``."""
    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[at] == values
