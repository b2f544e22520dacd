"""Queries on a store, in DuckDB embedded in this process.

A :class:`~mapdata.filters.FilterSpec` becomes one SQL ``WHERE`` clause (:func:`where`): one
condition per filter field, with values as parameters. Partitions outside the date range are
not read at all (:func:`years`), and a region filter adds a bounding-box condition on the
GeoParquet covering column, so DuckDB skips the row groups (spatially sorted) that lie elsewhere.
Only the selected rows become a GeoDataFrame. One connection per process; each query has its own
cursor, so threads (the app's sessions) can query at once.
"""

from __future__ import annotations

import math
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence

import pandas as pd

from .. import config
from ..errors import MapdataError
from ..filters import FilterSpec, resolve_regions
from ..names import country_iso3

_LOCK = threading.Lock()
_CONNECTION = None
_KM_PER_DEGREE = 111.32


@contextmanager
def cursor() -> Iterator:
    """A cursor of this process's DuckDB connection; DuckDB's errors become a :class:`MapdataError`."""
    import duckdb

    global _CONNECTION
    with _LOCK:
        if _CONNECTION is None:
            _CONNECTION = duckdb.connect(":memory:")
    cur = _CONNECTION.cursor()
    try:
        yield cur
    except duckdb.Error as exc:
        raise MapdataError(f"store query failed: {str(exc).splitlines()[0]}") from None
    finally:
        cur.close()


def parquet_list(files: Sequence[Path]) -> str:
    """A ``read_parquet`` call over ``files`` (columns united by name across sources)."""
    quoted = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
    return f"read_parquet([{quoted}], union_by_name = true)"


def years(spec: FilterSpec, available: Sequence[int]) -> list[int]:
    """The partitions a query with ``spec`` has to read."""
    low = spec.date_from.year if spec.date_from else -math.inf
    high = spec.date_to.year if spec.date_to else math.inf
    return [y for y in available if low <= y <= high]


Condition = tuple[str, list]


def _in(column: str, values) -> Condition:
    values = list(dict.fromkeys(values))
    if not values:
        return "FALSE", []
    return f"{column} IN ({', '.join('?' * len(values))})", values


def _regions(value, ctx: "Context") -> list[Condition]:
    ids = resolve_regions(value, ctx.regions)
    chosen = ctx.regions[ctx.regions["region_id"].isin(ids)]
    conditions = [_in("region_id", ids)]
    if len(chosen) and ctx.has_bbox:
        minx, miny, maxx, maxy = chosen.total_bounds
        margin = ctx.tolerance_km / _KM_PER_DEGREE
        wide = margin / max(math.cos(math.radians(max(abs(miny), abs(maxy)) + margin)), 0.01)
        conditions.append(("bbox.xmax >= ? AND bbox.xmin <= ? AND bbox.ymax >= ? AND bbox.ymin <= ?",
                           [minx - wide, maxx + wide, miny - margin, maxy + margin]))
    return conditions


def _countries(value, ctx: "Context") -> list[Condition]:
    names = ctx.distinct("country")
    wanted = {c.upper() for c in value}
    return [_in("country", [n for n, iso in zip(names, country_iso3(pd.Series(names, dtype=object))) if iso in wanted])]


class Context:
    """What turning a spec into SQL needs besides the spec: the regions layer, the join tolerance,
    whether the parts have a ``bbox`` column, and the distinct values of a column (by callback)."""

    def __init__(self, regions, distinct: Callable[[str], list], has_bbox: bool) -> None:
        self.regions = regions
        self.distinct = distinct
        self.has_bbox = has_bbox
        self.tolerance_km = float(config.get("NEAREST_TOLERANCE_KM"))


SQL: dict[str, Callable[[object, Context], list[Condition]]] = {
    "date_from": lambda v, ctx: [("event_date >= ?", [pd.Timestamp(v)])],
    "date_to": lambda v, ctx: [("event_date <= ?", [pd.Timestamp(v)])],
    "regions": _regions,
    "countries": _countries,
    "event_types": lambda v, ctx: [_in("event_type", v)],
    "sub_event_types": lambda v, ctx: [_in("sub_event_type", v)],
    "actors": lambda v, ctx: [("(" + _in("actor1", v)[0] + " OR " + _in("actor2", v)[0] + ")", list(dict.fromkeys(v)) * 2)],
    "min_fatalities": lambda v, ctx: [("fatalities >= ?", [int(v)])] if v else [],
    "max_fatalities": lambda v, ctx: [("fatalities <= ?", [int(v)])],
    "precisions": lambda v, ctx: [_in("geo_precision", v)],
    "max_border_km": lambda v, ctx: [("border_km <= ?", [float(v)])],
}
"""Each filter field as SQL conditions: the same rows its pandas predicate keeps (a NULL
fatality or border distance fails every comparison, as the pandas masks' ``fillna(False)`` does)."""


def where(spec: FilterSpec, ctx: Context) -> Condition:
    """The spec as one ``WHERE`` clause and its parameters."""
    conditions: list[Condition] = []
    for name, build in SQL.items():
        value = getattr(spec, name)
        if value not in (None, ()):
            conditions.extend(build(value, ctx))
    if not conditions:
        return "TRUE", []
    return " AND ".join(f"({text})" for text, _ in conditions), [p for _, params in conditions for p in params]
