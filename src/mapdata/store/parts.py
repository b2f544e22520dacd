"""One chunk of a source file, loaded, joined and written as GeoParquet parts (runs on a Dask worker).

A chunk goes through :func:`mapdata.load.load_events` and :func:`mapdata.dataset.join` (to the
store's geography), exactly as a whole file does in memory. Its events are split by year (the store's Hive
partitions ``year=YYYY``) and sorted by region, then along a Hilbert curve of their points, so
each row group of :data:`ROW_GROUP` rows covers one or a few regions and a small area: its
``region_id`` range and bounding box (the GeoParquet 1.1 ``bbox`` covering column) let a query
skip it. Each event keeps its source (``source_seq``) and row (``source_row``), so queries
return events in the order the in-memory path has them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..gazetteers import UserGazetteer, read_gazetteer
from ..dataset import join
from ..geo import load_geography
from ..load import Loaded, load_events
from ..validate import DUPLICATE_ID, duplicate_id_first_row, duplicate_id_reason
from . import ids
from .chunks import Chunk
from .location import Location, locate

ORDER_COLUMNS = ("source_seq", "source_row")
"""Columns a part adds to the events: the source's number in the manifest and the row in it."""
ROW_GROUP = 4_096
IDS_DIR = "ids"
"""The folder of id hashes: per chunk in the staging folder, per source in the store."""
_HILBERT_BITS = 16


@dataclass(frozen=True)
class Job:
    """What a worker needs to load one chunk: the chunk, its source's number and label, the input
    format, the boundary folder and where to put the parts (a folder or a URL)."""

    chunk: Chunk
    number: int
    seq: int
    name: str
    fmt: str
    mapping: str | None
    date_format: str | None
    sheet: str | None
    gazetteers: tuple[str, ...]
    geo_dir: str
    staging: str


@dataclass(frozen=True)
class Written:
    """A part written: its partition year, file name, rows, and its first and last day (an event
    dated to a window counts until the window's last day), so queries skip parts outside a period."""

    year: int
    name: str
    rows: int
    first: str
    last: str


@dataclass(frozen=True)
class Done:
    """A loaded chunk: the parts written (:class:`Written`), rows read, rejected rows (in the file's
    row numbers), the format, the columns' dtypes, the events accepted and the file of their id
    hashes and rows (:func:`mapdata.store.ids.write_chunk`, for the duplicate check)."""

    seq: int
    number: int
    parts: tuple[Written, ...]
    rows: int
    rejected: pd.DataFrame
    format: str
    columns: dict[str, str]
    accepted: int
    ids: str


def run(job: Job) -> Done:
    """Load, validate, geocode and join one chunk; write its events as parts in the staging folder."""
    geography = _geography(job.geo_dir)
    loaded = load_events(job.chunk.read(), name=job.name, fmt=job.fmt, mapping=job.mapping, date_format=job.date_format,
                         sheet=job.sheet, gazetteers=[_gazetteer(g) for g in job.gazetteers], geography=geography)
    shift = job.chunk.first_row - 2
    rows = loaded.report.rows
    accepted = accepted_rows(loaded, shift)
    events = join(loaded.events, geography)
    events["source_seq"] = np.int32(job.seq)
    events["source_row"] = accepted
    stem = f"part-{job.seq:04d}-{job.number:05d}"
    staging = locate(job.staging)
    parts = tuple(_write_years(events, staging, stem))
    hashes = staging / IDS_DIR / f"{stem}.npy"
    ids.write_chunk(hashes, accepted, ids.id_hashes(events["event_id"]))
    columns = {c: str(t) for c, t in events.dtypes.items() if c not in ORDER_COLUMNS}
    return Done(job.seq, job.number, parts, rows, shifted(loaded.rejected, shift), loaded.report.format, columns,
                len(events), str(hashes))


def accepted_rows(loaded: Loaded, shift: int) -> np.ndarray:
    """The file row of each accepted event of a chunk whose first record is row ``shift + 2``."""
    kept = np.ones(loaded.report.rows, dtype=bool)
    kept[loaded.rejected["row"].to_numpy(dtype="int64") - 2] = False
    return np.flatnonzero(kept) + 2 + shift


def shifted(rejected: pd.DataFrame, shift: int) -> pd.DataFrame:
    """A chunk's rejected rows in the file's row numbers (also the rows that duplicate reasons name)."""
    rejected = rejected.assign(row=rejected["row"] + shift)
    repeated = is_repeated_id(rejected)
    rejected.loc[repeated, "reason"] = [duplicate_id_reason(duplicate_id_first_row(r) + shift)
                                        for r in rejected.loc[repeated, "reason"]]
    return rejected


def is_repeated_id(rejected: pd.DataFrame) -> pd.Series:
    """The rejected rows the loader rejected for an id an earlier row used."""
    return (rejected["column"] == "event_id") & rejected["reason"].str.startswith(DUPLICATE_ID)


def warm(geo_dir: str) -> None:
    """Read the boundary layers on a worker before its first chunk (the cluster starts while the
    sources are hashed)."""
    _geography(geo_dir)


@functools.lru_cache(maxsize=4)
def _gazetteer(path: str) -> UserGazetteer:
    return read_gazetteer(path)


@functools.lru_cache(maxsize=4)
def _geography(geo_dir: str):
    """The geography in ``geo_dir``, read once per worker process."""
    return load_geography(Path(geo_dir))


def _write_years(events, staging: Location, stem: str):
    """One part per year, its rows by region and along the Hilbert curve within a region, so a row
    group holds one or a few regions: its ``region_id`` and ``bbox`` statistics let a region or
    area filter skip it. A year at a time, so a worker holds one year's copy besides the chunk."""
    years = events["event_date"].dt.year.to_numpy()
    regions, _ = pd.factorize(events["region_id"], sort=True)
    curve = hilbert(events["longitude"].to_numpy(), events["latitude"].to_numpy())
    for year in ids.sorted_unique(years):
        rows = np.flatnonzero(years == year)
        ordered = events.take(rows[np.lexsort((curve[rows], regions[rows]))])  # stable: ties keep the file's order
        folder = staging / f"year={int(year)}"
        folder.mkdir()
        write_part(ordered, folder / f"{stem}.parquet")
        last = ordered["event_date_end"].fillna(ordered["event_date"]).max()
        yield Written(int(year), f"{stem}.parquet", len(ordered), ordered["event_date"].min().date().isoformat(),
                      last.date().isoformat())


def write_part(events, where: Location) -> None:
    """GeoParquet 1.1: WKB points and the ``bbox`` covering column, row groups of :data:`ROW_GROUP`."""
    with where.target() as target:
        events.to_parquet(target, index=False, write_covering_bbox=True, schema_version="1.1.0", row_group_size=ROW_GROUP)


def hilbert(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Position of each longitude/latitude on a Hilbert curve over the whole globe (2^16 cells a side):
    points close on the curve are close on the ground."""
    side = 1 << _HILBERT_BITS
    xi = np.clip(((x + 180.0) / 360.0 * side).astype(np.int64), 0, side - 1)
    yi = np.clip(((y + 90.0) / 180.0 * side).astype(np.int64), 0, side - 1)
    d = np.zeros(len(xi), dtype=np.int64)
    s = side >> 1
    while s > 0:
        rx = (xi & s) > 0
        ry = (yi & s) > 0
        d += s * s * ((3 * rx.astype(np.int64)) ^ ry.astype(np.int64))
        flip = ~ry & rx
        xi = np.where(flip, side - 1 - xi, xi)
        yi = np.where(flip, side - 1 - yi, yi)
        xi, yi = np.where(ry, xi, yi), np.where(ry, yi, xi)
        s >>= 1
    return d
