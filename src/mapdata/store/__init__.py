"""A partitioned GeoParquet store of joined events, built on Dask and queried with DuckDB.

Layout of a store folder::

    manifest.json                 sources (size, SHA-256, counts), parts, schema version, layers
    year=2021/part-0000-00003.parquet   GeoParquet 1.1 (WKB points + bbox covering column), rows
                                  sorted by region, then along a Hilbert curve; one file per source
                                  chunk and year
    rejected/source-0000.parquet  the rejected rows of each source (file, row, column, value, reason)
    ids/source-0000.npy           sorted 64-bit hashes of each source's event ids (an appended
                                  source's ids are checked against them)

:func:`build_store` makes or extends one (:mod:`mapdata.store.build`); :func:`open_store` opens
one for queries (:class:`Store`). A store may be a local folder or an fsspec URL
(``s3://bucket/store``; :mod:`mapdata.store.location`). The events a store gives for a filter are the events, with the
same derived columns and in the same order, that the in-memory path gives for the same files.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .. import schema
from ..dataset import Dataset
from ..filters import Condition, FilterSpec, SqlContext, filter_events, filter_sql, sql_remainder
from ..geo import Geography, OnGeography, load_geography
from ..join import MISMATCH_COLUMNS
from ..points import number_pairs, shared_points
from ..schema import REJECTED_COLUMNS
from . import manifest as mf
from .build import REJECTED_DIR, Built, Progress, build_store
from .location import Location, check_reachable, locate
from .manifest import StoreError, is_store
from .parts import ORDER_COLUMNS
from .query import cursor, in_period, parquet_list, use_filesystem

__all__ = ["Built", "Progress", "Store", "StoreError", "build_store", "is_store", "open_store"]


class Store(OnGeography):
    """An opened store: its manifest (checked against the files) and queries on it."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = locate(path)
        if self.path.fs is not None:
            use_filesystem(self.path.fs)
        self.manifest = mf.read(self.path)
        self.name = self.path.name
        self._distinct_values: dict[str, list] = {}

    @property
    def events(self) -> int:
        """How many events the store holds."""
        return self.manifest.events

    @functools.cached_property
    def geography(self) -> Geography:
        """The geography the store's events were joined to."""
        return load_geography(Path(self.manifest.geography["geo_dir"]))

    def select(self, spec: FilterSpec, where: Condition | None = None, order: str | None = None,
               limit: int | None = None) -> gpd.GeoDataFrame:
        """The events ``spec`` keeps, as :func:`mapdata.filters.filter_events` gives them from the
        in-memory events of the same files (same columns, types and order). ``where`` is one more
        SQL condition (e.g. a box, a time window), ``order`` and ``limit`` an ``ORDER BY`` and a
        ``LIMIT`` instead of the files' order (with ``limit``, ``spec`` must be exact in SQL)."""
        if not any(in_period(p, spec) for p in self.manifest.parts):
            return self._frame(pd.DataFrame({c: pd.Series(dtype=t) for c, t in self.manifest.columns.items() if c != "geometry"}))
        source, params = self.scan(spec, where)
        tail = f" LIMIT {int(limit)}" if limit is not None else ""
        with cursor() as cur:
            table = cur.sql(f"SELECT * EXCLUDE (geometry, bbox) {source} ORDER BY {order or ', '.join(ORDER_COLUMNS)}{tail}",
                            params=params).to_arrow_table()
        selected = self._frame(table.drop_columns(list(ORDER_COLUMNS)).to_pandas())
        remainder = sql_remainder(spec)
        return selected if remainder.is_empty else filter_events(selected, remainder, self.regions).reset_index(drop=True)

    def scan(self, spec: FilterSpec, where: Condition | None = None) -> Condition:
        """``FROM read_parquet(…) WHERE …`` over the parts ``spec``'s period may need, and its
        parameters: the rows :func:`mapdata.filters.filter_sql` selects that also meet ``where``
        (the store's aggregates run on it)."""
        files = [self.path / p.relpath for p in self.manifest.parts if in_period(p, spec)]
        context = SqlContext(self.regions, self.distinct, float(self.manifest.geography["nearest_tolerance_km"]))
        clause, params = filter_sql(spec, context) if files else ("FALSE", [])
        files = files or self._all_files[:1]  # no part of the period: an empty answer, with the store's columns
        extra, more = where or ("TRUE", [])
        return f"FROM {parquet_list(files)} WHERE ({clause}) AND ({extra})", [*params, *more]

    def country_mismatches(self) -> pd.DataFrame:
        """:func:`mapdata.join.country_mismatches` of the store's events, without reading the others."""
        columns = ", ".join(f'"{c}"' for c in MISMATCH_COLUMNS)
        with cursor() as cur:
            return cur.sql(f"SELECT {columns} FROM {parquet_list(self._all_files)} WHERE country_mismatch "
                           f"ORDER BY {', '.join(ORDER_COLUMNS)}").df()

    def rejected(self) -> pd.DataFrame:
        """Every source's rejected rows, source by source."""
        frames = [pd.read_parquet((self.path / REJECTED_DIR / f"source-{s.id:04d}.parquet").source())
                  for s in self.manifest.sources]
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else "str") for c in REJECTED_COLUMNS})
        return pd.concat(frames, ignore_index=True)

    def dataset(self) -> Dataset:
        """The whole store in memory, as :func:`mapdata.dataset.load_dataset` gives a file."""
        return Dataset(self.select(FilterSpec()), self.rejected(), self.geography, self.name)

    @property
    def _all_files(self) -> list[Location]:
        return [self.path / p.relpath for p in self.manifest.parts]

    def distinct(self, column: str) -> list:
        """The distinct values of ``column``, asked once per open store (kept with it, freed with it)."""
        if column not in self._distinct_values:
            with cursor() as cur:
                rows = cur.execute(f'SELECT DISTINCT "{column}" FROM {parquet_list(self._all_files)}').fetchall()
            self._distinct_values[column] = [r[0] for r in rows]
        return self._distinct_values[column]

    def _frame(self, frame: pd.DataFrame) -> gpd.GeoDataFrame:
        """Query rows with the in-memory path's dtypes and a point per row (one object per distinct point)."""
        columns = self.manifest.columns
        for column, dtype in columns.items():
            if column == "geometry":
                continue
            if column not in frame:  # only in the sources of parts this query did not read: empty, as a merge leaves it
                frame[column] = pd.Series(index=frame.index, dtype=dtype)
            elif str(frame[column].dtype) != dtype:
                frame[column] = frame[column].astype(dtype)
        x, y = frame["longitude"].to_numpy(dtype="float64"), frame["latitude"].to_numpy(dtype="float64")
        frame["geometry"] = shared_points(x, y, number_pairs(x, y)) if len(frame) else gpd.GeoSeries([], crs=schema.CRS).array
        frame = frame[list(columns)].reset_index(drop=True)
        return gpd.GeoDataFrame(frame, geometry="geometry", crs=schema.CRS)


def open_store(path: str | os.PathLike) -> Store:
    """Open the store at ``path`` (a folder or a URL); a :class:`StoreError` says what is wrong with a damaged one."""
    where = locate(path)
    check_reachable(where)
    if not is_store(where):
        raise StoreError(f"{path}: not a mapdata store (no {mf.MANIFEST})")
    return Store(path)
