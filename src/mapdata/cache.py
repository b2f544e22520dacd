"""A copy of each loaded and joined events file, keyed by the file's content hash.

The second load of the same file memory-maps an Arrow file instead of parsing, validating and
joining the CSV again (a million events: under half a second instead of seconds). The key is the
SHA-256 of the file's bytes together with everything else the result depends on: the storage
format (:data:`FORMAT_VERSION`), the event schema's columns and types, the meaning of the code
that produced the result (:data:`CODE_VERSION`), the boundary layers, the settings the join uses
and today's date (a row dated in the future becomes valid later). Editing the code in a way that
does not change its results (a docstring, a faster path) keeps every entry. Hashing a large file
takes a moment, so a small index keeps each path's size, modification time and inode with its
hash (an :class:`IndexEntry`) and reuses the hash while they are unchanged, as git's index
does. An entry's name begins with the size of the file it came from, so a file of a size no
entry has is known to be new without hashing it; its hash is then taken in a background thread
while the file is loaded (:func:`fill`), and the entry can be written in the background too
(:meth:`Filling.store_later`).

The events are stored as uncompressed Arrow IPC (Feather v2): reading maps the file and hands its
string buffers to pandas without copying or decoding, so the file is about as large as the
events in memory. Points are stored as coordinates plus a number per distinct point, and only the
distinct points are built again (a million events usually repeat far fewer places). When a path
is stored under a new key (the file, the code or the day changed), the entry it had before is
removed, so the folder holds one entry per events file.

The folder is the ``CACHE_DIR`` setting (git-ignored ``.cache/`` by default; ``off`` disables
caching). A missing, stale or unreadable entry is never an error: the file is simply loaded again.
"""

from __future__ import annotations

import hashlib
import json
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from pyarrow import feather

from . import config, schema
from .files import write_atomically
from .points import number_pairs, shared_points

FORMAT_VERSION = 3
"""How an entry is stored (files, columns for the points). Bump it when that changes."""

CODE_VERSION = 3
"""What a stored result means. Bump it whenever loading, validating, geocoding or joining gives
different events or rejected rows for the same file (a new check, a changed message, another
derived column): every entry made before is then loaded afresh. Changes that keep the results
(refactoring, docstrings, speed) leave it alone, and the cache with it."""

_INDEX = "index.json"
_EVENTS, _REJECTED = ".events.arrow", ".rejected.arrow"
_POINT_COLUMNS = ("_x", "_y", "_point")
_HASHED_SETTINGS = ("NEAREST_TOLERANCE_KM", "BORDER_TOLERANCE_KM", "METRIC_CRS", "MAX_FIELD_CHARS")
_HASHED_GEOGRAPHY = ("regions.geojson", "border.geojson", "geography.json")  # what the join reads of a geography


def folder() -> Path | None:
    """The cache folder, or None when caching is off."""
    return config.get("CACHE_DIR")


def key(path: Path, day: date | None = None, geo_dir: Path | None = None) -> str | None:
    """The cache key of events file ``path`` joined to the geography in ``geo_dir`` (default the
    ``GEO_DIR`` setting's) under the current settings and code, for the file as validated on
    ``day`` (default today); None when off."""
    if folder() is None:
        return None
    return _key(Path(path).stat().st_size, file_hash(path), day or date.today(), geo_dir)


def _key(size: int, digest: str, day: date, geo_dir: Path | None) -> str:
    parts = [f"format {FORMAT_VERSION}", f"code {CODE_VERSION}", _schema_version(), digest, day.isoformat(),
             _environment(Path(geo_dir or config.get("GEO_DIR")))]
    return f"{size}-" + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def stored_key(path: Path, geo_dir: Path | None = None) -> str | None:
    """:func:`key` when an entry for ``path`` may exist; None, without hashing the file, when the
    cache is off or no entry comes from a file of the same size (the first load of a file)."""
    where = folder()
    if where is None or not any(where.glob(f"{Path(path).stat().st_size}-*{_EVENTS}")):
        return None
    return key(path, geo_dir=geo_dir)


def has_entry(path: Path) -> bool:
    """Whether the cache holds an entry for ``path`` as it is now (hashing it only when an entry
    from a file of its size exists)."""
    cache_key = stored_key(path)
    return cache_key is not None and (folder() / cache_key).with_suffix(_EVENTS).exists()


@dataclass(frozen=True)
class Signature:
    """Size, modification time and inode of a file: while they are unchanged, so is the file."""

    size: int
    mtime_ns: int
    inode: int


def signature(path: Path) -> Signature:
    """The :class:`Signature` of ``path`` now."""
    stat = Path(path).resolve().stat()
    return Signature(stat.st_size, stat.st_mtime_ns, stat.st_ino)


@dataclass(frozen=True)
class IndexEntry:
    """What the index knows of one events file: its signature when it was hashed, its SHA-256,
    and the key of its current cache entry (None until one is stored)."""

    seen: Signature
    sha256: str
    entry: str | None = None

    def to_json(self) -> dict:
        """The entry as stored in the index file."""
        return {"size": self.seen.size, "mtime_ns": self.seen.mtime_ns, "inode": self.seen.inode,
                "sha256": self.sha256, "entry": self.entry}

    @classmethod
    def from_json(cls, value: object) -> IndexEntry | None:
        """The entry stored as ``value``; None for anything else (an older index layout, a damaged file)."""
        try:
            seen = Signature(int(value["size"]), int(value["mtime_ns"]), int(value["inode"]))
            entry = value["entry"]
            if not isinstance(value["sha256"], str) or not (entry is None or isinstance(entry, str)):
                return None
            return cls(seen, value["sha256"], entry)
        except (TypeError, KeyError, ValueError):
            return None


def load(cache_key: str | None, source: Path | None = None) -> tuple[gpd.GeoDataFrame, pd.DataFrame] | None:
    """The joined events and rejected rows stored under ``cache_key``, or None.

    With ``source`` (the events file), a hit is recorded as that file's entry (see :func:`store`).
    """
    if cache_key is None:
        return None
    base = folder() / cache_key
    try:
        events = _with_points(feather.read_table(base.with_suffix(_EVENTS), memory_map=True))
        rejected = feather.read_table(base.with_suffix(_REJECTED)).to_pandas()
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if source is not None:
        _record(Path(source), cache_key)
    return events, rejected


def store(cache_key: str | None, events: gpd.GeoDataFrame, rejected: pd.DataFrame, source: Path | None = None) -> None:
    """Keep ``events`` (points only) and ``rejected`` under ``cache_key``; failures are ignored.

    With ``source`` (the events file), the entry that file had before is removed unless another
    file's current entry is the same.
    """
    if cache_key is None or events.geometry.name != "geometry" or not _plain_points(events):
        return
    base = folder() / cache_key
    try:
        tables = {_REJECTED: pa.Table.from_pandas(rejected, preserve_index=False), _EVENTS: _without_points(events)}
        base.parent.mkdir(parents=True, exist_ok=True)
        for suffix, table in tables.items():  # events last: their file marks a complete entry
            write_atomically(base.with_suffix(suffix), lambda p: _write(table, p))
    except (OSError, ValueError, TypeError):
        return
    if source is not None:
        _record(Path(source), cache_key)


_background = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mapdata-cache")
_pending: list[Future] = []
_pending_lock = threading.Lock()


def _later(work: Callable[[], object]) -> Future:
    """Run ``work`` in a background thread; :func:`wait` waits for it."""
    future = _background.submit(work)
    with _pending_lock:
        _pending.append(future)
    return future


def wait() -> None:
    """Return when all background work started so far (hashing, writing entries) has finished."""
    while True:
        with _pending_lock:
            if not _pending:
                return
            future = _pending.pop()
        future.exception()  # waits; a failure only means no entry (see Filling)


def fill(path: Path, geo_dir: Path | None = None) -> Filling | None:
    """Begin the entry of ``path`` (joined to the geography in ``geo_dir``) before loading it: its
    hash is taken in a background thread while the file is loaded. None when caching is off."""
    if folder() is None:
        return None
    return Filling(Path(path), signature(path), date.today(), _later(lambda: file_hash(path)), geo_dir)


@dataclass(frozen=True)
class Filling:
    """The entry of a file being loaded: its :func:`signature` and the day when loading began,
    and its hash (being taken). The events loaded are stored only if the file is still as it was
    (otherwise the entry would not match them)."""

    path: Path
    seen: Signature
    day: date
    digest: Future
    geo_dir: Path | None = None

    def store(self, events: gpd.GeoDataFrame, rejected: pd.DataFrame) -> None:
        """Keep the events and rejected rows loaded from the file (see :func:`store`)."""
        try:
            digest = self.digest.result()
            if signature(self.path) == self.seen:
                store(_key(self.seen.size, digest, self.day, self.geo_dir), events, rejected, source=self.path)
        except OSError:  # the file went away: nothing to keep
            return

    def store_later(self, events: gpd.GeoDataFrame, rejected: pd.DataFrame) -> None:
        """:meth:`store` in a background thread: writing a million events takes about a second,
        which the caller spends on its own work meanwhile. :func:`wait` waits for it."""
        events = events.copy(deep=False)  # the caller may go on changing its frame; this copy stays as loaded
        _later(lambda: self.store(events, rejected))


def _write(table: pa.Table, path: Path) -> None:
    """Uncompressed Arrow IPC in one record batch: read back, every column is one contiguous array
    (a chunked column makes each row selection concatenate the whole column first)."""
    feather.write_feather(table, path, compression="uncompressed", chunksize=max(table.num_rows, 1))


def _plain_points(events: gpd.GeoDataFrame) -> bool:
    """Whether every geometry is a non-empty point (which coordinates alone restore)."""
    geometry = np.asarray(events.geometry.array)
    return bool((shapely.get_type_id(geometry) == 0).all() and not shapely.is_empty(geometry).any())


def _without_points(events: gpd.GeoDataFrame) -> pa.Table:
    """``events`` as an Arrow table, the geometry column replaced by the point coordinates and a
    number per distinct point."""
    geometry = np.asarray(events.geometry.array)
    x, y = shapely.get_x(geometry), shapely.get_y(geometry)
    table = pa.Table.from_pandas(pd.DataFrame(events.drop(columns="geometry")), preserve_index=False)
    position = events.columns.get_loc("geometry")
    for offset, (name, values) in enumerate(zip(_POINT_COLUMNS, (x, y, number_pairs(x, y)))):
        table = table.add_column(position + offset, name, pa.array(values))
    return table


def _with_points(table: pa.Table) -> gpd.GeoDataFrame:
    """The inverse of :func:`_without_points`: each distinct point is built once and shared by its events."""
    position = table.schema.get_field_index(_POINT_COLUMNS[0])
    x, y, number = (table.column(name).to_numpy() for name in _POINT_COLUMNS)
    frame = table.drop_columns(list(_POINT_COLUMNS)).to_pandas()
    frame.insert(position, "geometry", shared_points(x, y, number))
    return gpd.GeoDataFrame(frame, geometry="geometry", copy=False)


def _record(source: Path, cache_key: str) -> None:
    """Note ``cache_key`` as the entry of ``source`` in the index and remove the entry it had before,
    unless another file's entry is that one too. Failures are ignored (the index is only a hint)."""
    index_path = folder() / _INDEX
    index = _read_index(index_path)
    name = str(source.resolve())
    known = index.get(name)
    if known is None or known.entry == cache_key:
        return
    previous = known.entry
    index[name] = replace(known, entry=cache_key)
    try:
        _write_index(index_path, index)
        if previous is None or any(other.entry == previous for other in index.values()):
            return
        for suffix in (_EVENTS, _REJECTED):
            (folder() / previous).with_suffix(suffix).unlink(missing_ok=True)
    except OSError:
        return


def file_hash(path: Path) -> str:
    """SHA-256 of the file's bytes, reused from the index while size, mtime and inode are unchanged."""
    path = Path(path).resolve()
    seen = signature(path)
    index_path = folder() / _INDEX if folder() else None
    index = _read_index(index_path)
    known = index.get(str(path))
    if known is not None and known.seen == seen:
        return known.sha256
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    if index_path is not None:
        index = _read_index(index_path)  # as it is now: another thread may have written it meanwhile
        known = index.get(str(path))
        index[str(path)] = IndexEntry(seen, digest, known.entry if known else None)
        try:
            index_path.parent.mkdir(parents=True, exist_ok=True)
            _write_index(index_path, index)
        except OSError:
            pass
    return digest


def _schema_version() -> str:
    """The parts of the event schema a stored result depends on: the columns with their types, the
    event taxonomy and the precision levels (not the descriptions)."""
    columns = [(c.name, c.kind, c.required, c.derived) for c in schema.COLUMNS]
    return json.dumps(["schema", columns, schema.EVENT_TYPES, list(schema.GEO_PRECISION_LABELS)])


def _environment(geo_dir: Path) -> str:
    """Everything besides the file that the loaded, joined result depends on: the settings and the
    geography in ``geo_dir`` (its folder and the files the join reads)."""
    digest = hashlib.sha256()
    for name in _HASHED_SETTINGS:
        digest.update(f"{name}={config.get(name)}\n".encode())
    digest.update(f"geography={geo_dir}\n".encode())
    for name in _HASHED_GEOGRAPHY:
        layer_path = geo_dir / name
        digest.update(layer_path.read_bytes() if layer_path.exists() else b"missing")
    return digest.hexdigest()


def _read_index(index_path: Path | None) -> dict[str, IndexEntry]:
    """The index: resolved path → :class:`IndexEntry`; entries it cannot read are left out."""
    if index_path is None:
        return {}
    try:
        stored = json.loads(index_path.read_text())
    except (OSError, ValueError):
        return {}
    entries = {name: IndexEntry.from_json(value) for name, value in stored.items()} if isinstance(stored, dict) else {}
    return {name: entry for name, entry in entries.items() if entry is not None}


def _write_index(index_path: Path, index: dict[str, IndexEntry]) -> None:
    write_atomically(index_path, lambda p: p.write_text(json.dumps({name: entry.to_json() for name, entry in index.items()})))

