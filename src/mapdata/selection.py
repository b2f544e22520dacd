"""What the app asks of its events, answered from memory (pandas) or from a store (DuckDB SQL).

An :class:`EventSource` is the events the pages explore: a :class:`~mapdata.dataset.Dataset` in
memory (:class:`DatasetSource`) or a store on disk (:class:`StoreSource`); :func:`open_source`
opens either from a path. ``source.select(spec)`` gives a :class:`Selection`, what the filter
keeps, with the few answers the pages show: the headline, the timeline, the region table, grid
cells and the map's sentence, and the rows themselves. From a store the answers are aggregates
computed in DuckDB, so only the rows a page draws one by one (at most :data:`STORE_MARKER_LIMIT`),
the newest rows of the table and an export ever become a GeoDataFrame. Both give the same answers
for the same events (tests/test_selection.py).

A store's selections are kept per filter (its query string) and time window, so a rerun with the
same filter asks DuckDB nothing (:data:`KEPT_SELECTIONS` of them per store).
"""

from __future__ import annotations

import functools
import os
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from . import compare, stats
from .dataset import Dataset, load_dataset
from .filters import Condition, FilterSpec, filter_events, sql_remainder
from .geo import Geography, OnGeography
from .join import country_mismatches
from .layers import POINT_LIMIT, WEBGL_LIMIT, cell_size, grid_cells, in_view
from .layers.frames import check_events

if TYPE_CHECKING:
    from .store import Store

STORE_MARKER_LIMIT = POINT_LIMIT
"""On a store, up to this many selected events are read and drawn one by one; above, grid cells
counted in DuckDB (and single incidents again once the visible area holds this many or fewer)."""
KEPT_SELECTIONS = 32
"""Selections (with their answers) a store keeps, the least recently asked dropped first."""
NEWEST_ORDER = "event_date DESC, event_id"
"""The event table's order (:func:`mapdata.stats.event_table`) in SQL."""
TABLE_COLUMNS = ("event_id", "event_date", "event_type", "geo_precision", "fatalities", "location", "region_name")
"""The columns :func:`mapdata.stats.event_table` reads."""

CHOICE_COLUMNS = ("country", "actor1", "actor2")
"""The event columns whose values the filter choices offer (:data:`mapdata.filters.FIELDS`' ``choices``)."""

Window = tuple[date | None, date]
"""A time player's frame: first day (None: from the start) and last day, inclusive."""


class Selection(ABC):
    """The events a filter keeps from an :class:`EventSource`, and what the pages show of them."""

    def __init__(self, source: "EventSource", spec: FilterSpec) -> None:
        self.source, self.spec = source, spec

    @property
    def marker_limit(self) -> int:
        """Above this many events the map counts them in grid cells."""
        return self.source.marker_limit

    @property
    def count(self) -> int:
        """How many events the filter keeps."""
        return self.headline().events

    @abstractmethod
    def headline(self) -> stats.Headline:
        """:func:`mapdata.stats.headline` of the selected events."""

    @abstractmethod
    def timeline(self, step: str = "month", all_dates: bool = False) -> pd.DataFrame:
        """:func:`mapdata.stats.timeline` of the selected events, or with ``all_dates`` of those the
        filter keeps at every date (the map's timeline, drawn around the selected period)."""

    @abstractmethod
    def region_summary(self) -> pd.DataFrame:
        """:func:`mapdata.stats.region_summary` of the selected events."""

    @abstractmethod
    def outside_count(self) -> int:
        """:func:`mapdata.stats.outside_count` of the selected events."""

    @abstractmethod
    def map_summary(self) -> str:
        """:func:`mapdata.stats.map_summary` of the selected events."""

    @abstractmethod
    def grid_cells(self) -> pd.DataFrame:
        """:func:`mapdata.layers.grid_cells` of the selected events that have a point."""

    @abstractmethod
    def rows(self) -> gpd.GeoDataFrame:
        """Every selected event (a store reads them all: for an export, or below ``marker_limit``)."""

    @abstractmethod
    def heat_rows(self) -> gpd.GeoDataFrame | None:
        """The events the heat map is drawn from: all in memory; a store's up to ``marker_limit``, else None."""

    @abstractmethod
    def in_view(self, bounds: dict | None) -> gpd.GeoDataFrame | None:
        """The selected events inside the map's ``bounds`` when more than ``POINT_LIMIT`` are
        selected and the area holds at most that many (:func:`mapdata.layers.in_view`), else None."""

    @abstractmethod
    def newest(self, limit: int) -> pd.DataFrame:
        """:func:`mapdata.stats.event_table` of the selected events (the ``limit`` newest)."""

    @abstractmethod
    def preview(self, limit: int) -> gpd.GeoDataFrame:
        """The selected events for a table: all of them in memory, the first ``limit`` of a store."""

    @abstractmethod
    def colocated(self, event_id: str) -> pd.DataFrame:
        """:func:`mapdata.stats.colocated` among the selected events."""

    @abstractmethod
    def compare(self, periods: compare.Periods) -> pd.DataFrame:
        """:func:`mapdata.compare.compare_regions` of the events the filter keeps at every date."""

    @abstractmethod
    def window(self, window: Window) -> "Selection":
        """The selected events of one frame of the time player (:func:`mapdata.stats.frame_events`;
        a window without a first day is the cumulative mode's)."""


class EventSource(OnGeography, ABC):
    """Events to explore, with their boundary layers: the answers that do not depend on a filter."""

    name: str
    geography: Geography
    marker_limit: int
    total: int

    @property
    @abstractmethod
    def rejected(self) -> pd.DataFrame:
        """The rows of the sources that were rejected, with the reasons."""

    @property
    @abstractmethod
    def options(self) -> stats.FilterOptions:
        """:func:`mapdata.stats.filter_options` of all events (computed once per source)."""

    @abstractmethod
    def bounds(self, everything: bool = False) -> list[list[float]]:
        """The first map view: :func:`mapdata.stats.view_bounds`, or with ``everything``
        :func:`mapdata.stats.all_bounds`."""

    @abstractmethod
    def event(self, event_id: str) -> gpd.GeoDataFrame:
        """The event with this id (no row when there is none)."""

    @abstractmethod
    def country_mismatches(self) -> pd.DataFrame:
        """:func:`mapdata.join.country_mismatches` of all events."""

    @abstractmethod
    def dataset(self) -> Dataset:
        """All events in memory (what an imported file is merged with)."""

    @abstractmethod
    def select(self, spec: FilterSpec) -> Selection:
        """What ``spec`` keeps."""


class FrameSelection(Selection):
    """A selection in memory: the events kept at every date, and those of the filter's period."""

    def __init__(self, source: EventSource, spec: FilterSpec, undated: gpd.GeoDataFrame, selected: gpd.GeoDataFrame) -> None:
        super().__init__(source, spec)
        self.undated, self.selected = undated, selected

    @property
    def count(self) -> int:
        return len(self.selected)

    def headline(self) -> stats.Headline:
        return stats.headline(self.selected)

    def timeline(self, step: str = "month", all_dates: bool = False) -> pd.DataFrame:
        return stats.timeline(self.undated if all_dates else self.selected, step)

    def region_summary(self) -> pd.DataFrame:
        return stats.region_summary(self.selected, self.source.regions)

    def outside_count(self) -> int:
        return stats.outside_count(self.selected)

    def map_summary(self) -> str:
        return stats.map_summary(self.selected)

    def grid_cells(self) -> pd.DataFrame:
        return grid_cells(check_events(self.selected))

    def rows(self) -> gpd.GeoDataFrame:
        return self.selected

    def heat_rows(self) -> gpd.GeoDataFrame | None:
        return self.selected

    def in_view(self, bounds: dict | None) -> gpd.GeoDataFrame | None:
        inside = in_view(self.selected, bounds)
        return inside if len(inside) < len(self.selected) else None

    def newest(self, limit: int) -> pd.DataFrame:
        return stats.event_table(self.selected, limit=limit)

    def preview(self, limit: int) -> gpd.GeoDataFrame:
        return self.selected

    def colocated(self, event_id: str) -> pd.DataFrame:
        return stats.colocated(self.selected, event_id)

    def compare(self, periods: compare.Periods) -> pd.DataFrame:
        return compare.compare_regions(self.undated, self.source.regions, periods)

    def window(self, window: Window) -> Selection:
        first, last = window
        shown = stats.frame_events(self.selected, (first, last), "window" if first else "cumulative")
        return FrameSelection(self.source, self.spec, self.undated, shown)


class DatasetSource(EventSource):
    """Events in memory: every answer from pandas on the filtered frame."""

    marker_limit = WEBGL_LIMIT

    def __init__(self, data: Dataset) -> None:
        self.data = data
        self.name, self.geography, self.total = data.name, data.geography, len(data.events)

    @property
    def rejected(self) -> pd.DataFrame:
        return self.data.rejected

    @functools.cached_property
    def options(self) -> stats.FilterOptions:
        return stats.filter_options(self.data.events, self.regions)

    def bounds(self, everything: bool = False) -> list[list[float]]:
        events = self.data.events
        return stats.all_bounds(events) if everything else stats.view_bounds(events, self.regions)

    def event(self, event_id: str) -> gpd.GeoDataFrame:
        events = self.data.events
        return events[events["event_id"] == event_id]

    def country_mismatches(self) -> pd.DataFrame:
        return country_mismatches(self.data.events)

    def dataset(self) -> Dataset:
        return self.data

    def select(self, spec: FilterSpec) -> Selection:
        """Filtered once without the dates, then narrowed to the period (the timeline and the
        compare mode look at the events around it)."""
        undated = filter_events(self.data.events, spec.without_dates(), self.regions)
        selected = filter_events(undated, FilterSpec(date_from=spec.date_from, date_to=spec.date_to), self.regions)
        return FrameSelection(self, spec, undated, selected)


class StoreSelection(Selection):
    """A selection of a store: each answer one DuckDB query over the parts it needs, asked once."""

    def __init__(self, source: "StoreSource", spec: FilterSpec, window: Window | None = None) -> None:
        super().__init__(source, spec)
        self.store = source.store
        self._answers: dict = {}
        first, last = window or (None, None)
        conditions = ([("coalesce(event_date_end, event_date) >= ?", [pd.Timestamp(first)])] if first else []) \
            + ([("event_date <= ?", [pd.Timestamp(last)])] if last else [])
        self._where: Condition = (" AND ".join(c for c, _ in conditions) or "TRUE", [p for _, ps in conditions for p in ps])

    def _kept(self, key: tuple, compute):
        if key not in self._answers:
            self._answers[key] = compute()
        return self._answers[key]

    def _query(self, sql: str, spec: FilterSpec | None = None, where: Condition | None = None, twice: bool = False) -> pd.DataFrame:
        """``sql`` with ``{rows}`` standing for ``FROM … WHERE …`` of the selection and ``where``
        (or of ``spec`` and ``where``, outside the player's window); ``twice``: ``{rows}`` is in it twice."""
        from .store.query import cursor

        base, extra = self._where if spec is None else ("TRUE", []), where or ("TRUE", [])
        source, params = self.store.scan(self.spec if spec is None else spec,
                                         (f"({base[0]}) AND ({extra[0]})", [*base[1], *extra[1]]))
        with cursor() as cur:
            return cur.sql(sql.format(rows=source), params=params * (2 if twice else 1)).df()

    def headline(self) -> stats.Headline:
        return self._totals()[0]

    def outside_count(self) -> int:
        return self._totals()[1]

    def _totals(self) -> tuple[stats.Headline, int, tuple[int | None, int | None]]:
        """The headline, the events outside every region and the first and last years, summed
        from the per-region counts (one scan answers the headline, the region table and the map's sentence)."""
        return self._kept(("totals",), self._count_totals)

    def _count_totals(self) -> tuple[stats.Headline, int, tuple[int | None, int | None]]:
        groups = self._regions()
        n = int(groups["events"].sum())
        first, last, latest = (pd.Timestamp(groups[c].min() if c == "first" else groups[c].max()) for c in ("first", "last", "latest"))
        head = stats.Headline(events=n, fatalities_at_least=int(groups["fatalities"].sum()),
                              unknown_fatalities=int(groups["unknown_fatalities"].sum()),
                              first=first.date() if n else None, last=last.date() if n else None,
                              region_only=int(groups["region_only"].sum()), windows=int(groups["windows"].sum()))
        return head, int(groups["outside"].sum()), (first.year, latest.year) if n else (None, None)

    def timeline(self, step: str = "month", all_dates: bool = False) -> pd.DataFrame:
        return self._kept(("timeline", step, all_dates), lambda: self._timeline(step, all_dates))

    def _timeline(self, step: str, all_dates: bool) -> pd.DataFrame:
        """Events without a window in their own bin; those dated to a window (few) spread over
        every bin it overlaps, their fatalities in the first."""
        unit = {"week": "week", "month": "month"}[step]
        start = f"date_trunc('{unit}', CAST(event_date AS TIMESTAMP))"
        counts = self._query(
            "SELECT period, event_type, sum(n) AS events, CAST(sum(f) AS BIGINT) AS fatalities FROM ("
            f"SELECT {start} AS period, event_type, count(*) AS n, coalesce(sum(fatalities), 0) AS f {{rows}} "
            "AND event_date_end IS NULL GROUP BY ALL UNION ALL "
            "SELECT period, event_type, 1 AS n, CASE WHEN period = p0 THEN coalesce(fatalities, 0) ELSE 0 END AS f FROM ("
            f"SELECT event_type, fatalities, {start} AS p0, unnest(generate_series({start}, "
            f"date_trunc('{unit}', CAST(event_date_end AS TIMESTAMP)), INTERVAL 1 {unit})) AS period {{rows}} "
            "AND event_date_end IS NOT NULL)) GROUP BY period, event_type",
            spec=self.spec.without_dates() if all_dates else None, twice=True)
        counts["period"] = counts["period"].astype("datetime64[ns]")
        return stats.fill_timeline(counts.astype({"events": "int64"}), step)

    def region_summary(self) -> pd.DataFrame:
        return stats.region_table(self._regions().groupby("region_id")[["events", "fatalities", "unknown_fatalities"]].sum(),
                                  self.source.regions)

    def map_summary(self) -> str:
        head, _, (first, last) = self._totals()
        named = self._regions()
        named = named[named["region_name"].fillna("") != ""].groupby("region_name")["events"].sum()
        top = named[named == named.max()].sort_index().head(1) if len(named) else named
        return stats.summary_sentence(head.events, first, last, (top.index[0], int(top.iloc[0])) if len(top) else None)

    def _regions(self) -> pd.DataFrame:
        """Per region id and name: events, known fatalities, events without a figure, and what the
        headline sums (dates, region-only points, windows, events outside every region)."""
        return self._kept(("regions",), lambda: self._query(
            "SELECT region_id, region_name, count(*) AS events, coalesce(sum(fatalities), 0) AS fatalities, "
            "count(*) - count(fatalities) AS unknown_fatalities, min(event_date) AS first, "
            "max(coalesce(event_date_end, event_date)) AS last, max(event_date) AS latest, "
            "count(*) FILTER (WHERE geo_precision = 3) AS region_only, count(event_date_end) AS windows, "
            "count(*) FILTER (WHERE region_match = 'outside') AS outside {rows} GROUP BY region_id, region_name"))

    def grid_cells(self) -> pd.DataFrame:
        return self._kept(("cells",), self._grid_cells)

    def _grid_cells(self) -> pd.DataFrame:
        """Cells as :func:`mapdata.layers.grid_cells` counts them: the same size from the same
        percentiles, a cell's top type on a tie the one met first in the store's order (one scan
        for the extent, one counting per cell and type; the cells are summed from those counts)."""
        columns = ["lon", "lat", "events", "fatalities", "unknown_fatalities", "region_only", "top_type", "top_type_events"]
        point = ("longitude IS NOT NULL AND latitude IS NOT NULL", [])
        extent = self._query("SELECT count(*) AS n, quantile_cont(longitude, [0.01, 0.99]) AS x, "
                             "quantile_cont(latitude, [0.01, 0.99]) AS y {rows}", where=point).iloc[0]
        if not extent["n"]:
            return pd.DataFrame(columns=columns)
        size = cell_size(*extent["x"], *extent["y"])
        kinds = self._query(
            f"SELECT CAST(floor(longitude / {size!r}) AS BIGINT) AS cx, CAST(floor(latitude / {size!r}) AS BIGINT) AS cy, "
            "coalesce(event_type, '') AS t, count(*) AS k, sum(longitude) AS sx, sum(latitude) AS sy, "
            "coalesce(sum(fatalities), 0) AS f, count(*) - count(fatalities) AS u, count(*) FILTER (WHERE geo_precision = 3) AS r, "
            "min(source_seq * 4294967296 + source_row) AS o {rows} GROUP BY ALL", where=point)
        kinds["first_of_type"] = kinds.groupby("t")["o"].transform("min")
        top = kinds.sort_values(["k", "first_of_type"], ascending=[False, True]).drop_duplicates(["cx", "cy"])
        cells = kinds.groupby(["cx", "cy"]).agg(events=("k", "sum"), sx=("sx", "sum"), sy=("sy", "sum"), fatalities=("f", "sum"),
                                                unknown_fatalities=("u", "sum"), region_only=("r", "sum"), o=("o", "min"))
        cells = cells.join(top.set_index(["cx", "cy"])[["t", "k"]]).sort_values("o")
        cells["lon"], cells["lat"] = cells["sx"] / cells["events"], cells["sy"] / cells["events"]
        cells["fatalities"] = cells["fatalities"].round()
        cells = cells.rename(columns={"t": "top_type", "k": "top_type_events"})
        return cells.reset_index()[columns].astype({c: "int64" for c in columns[2:6] + ["top_type_events"]})

    def rows(self) -> gpd.GeoDataFrame:
        if self.count <= self.marker_limit:
            return self._kept(("rows",), lambda: self.store.select(self.spec, self._where))
        return self.store.select(self.spec, self._where)

    def heat_rows(self) -> gpd.GeoDataFrame | None:
        return self.rows() if self.count <= self.marker_limit else None

    def in_view(self, bounds: dict | None) -> gpd.GeoDataFrame | None:
        box = _box(bounds)
        if box is None or self.count <= POINT_LIMIT:
            return None
        inside = ("longitude BETWEEN ? AND ? AND latitude BETWEEN ? AND ?", [box[0], box[2], box[1], box[3]])
        if int(self._query("SELECT count(*) AS n {rows}", where=inside)["n"].iloc[0]) > POINT_LIMIT:
            return None
        return self.store.select(self.spec, (f"({self._where[0]}) AND {inside[0]}", [*self._where[1], *inside[1]]))

    def newest(self, limit: int) -> pd.DataFrame:
        """Only the table's columns of the newest rows are read."""
        columns = ", ".join(TABLE_COLUMNS)
        return self._kept(("newest", limit), lambda: stats.event_table(
            self._query(f"SELECT {columns} {{rows}} ORDER BY {NEWEST_ORDER} LIMIT {int(limit)}"), limit=limit))

    def preview(self, limit: int) -> gpd.GeoDataFrame:
        return self._kept(("preview", limit), lambda: self.store.select(self.spec, self._where, limit=limit))

    def colocated(self, event_id: str) -> pd.DataFrame:
        event = self.source.event(event_id)
        if event.empty:
            return event
        here = ("latitude = ? AND longitude = ?", [float(event["latitude"].iloc[0]), float(event["longitude"].iloc[0])])
        return stats.colocated(self.store.select(self.spec, (f"({self._where[0]}) AND {here[0]}", [*self._where[1], *here[1]])),
                               event_id)

    def compare(self, periods: compare.Periods) -> pd.DataFrame:
        return self._kept(("compare", periods), lambda: compare.compare_table(
            self._period_counts(*periods.a), self._period_counts(*periods.b), self.source.regions))

    def _period_counts(self, first: date, last: date) -> pd.Series:
        counts = self._query("SELECT region_id, count(*) AS n {rows} GROUP BY region_id", spec=self.spec.without_dates(),
                             where=("event_date BETWEEN ? AND ?", [pd.Timestamp(first), pd.Timestamp(last)]))
        return counts.set_index("region_id")["n"]

    def window(self, window: Window) -> Selection:
        return self.source.select(self.spec, window)


class StoreSource(EventSource):
    """A store (:mod:`mapdata.store`): answers from DuckDB, rows read only when asked for."""

    marker_limit = STORE_MARKER_LIMIT

    def __init__(self, store: "Store") -> None:
        self.store = store
        self.name, self.total = store.name, store.events
        self._selections: OrderedDict = OrderedDict()
        self._bounds: dict[bool, list[list[float]] | None] = {}
        self._lock = threading.Lock()
        self._events = functools.lru_cache(maxsize=64)(self._read_event)  # kept with the source, freed with it

    @functools.cached_property
    def geography(self) -> Geography:
        return self.store.geography

    @functools.cached_property
    def rejected(self) -> pd.DataFrame:
        return self.store.rejected()

    @functools.cached_property
    def options(self) -> stats.FilterOptions:
        """The options from the store's distinct values (a frame of them, each column as long as
        the longest, padded with blanks the choices leave out) and its first and last day, in one scan."""
        from .store.query import cursor

        rows, params = self.store.scan(FilterSpec())
        with cursor() as cur:
            *lists, first, last = cur.execute(
                f"SELECT {', '.join(f'list(DISTINCT {c})' for c in CHOICE_COLUMNS)}, min(event_date), max(event_date) {rows}",
                params).fetchone()
        values = {c: [v for v in found if v is not None and v == v] for c, found in zip(CHOICE_COLUMNS, lists)}
        length = max(2, *(len(v) for v in values.values()))
        frame = pd.DataFrame({c: v + [""] * (length - len(v)) for c, v in values.items()})
        frame["event_date"] = pd.Series([first, last] + [None] * (length - 2), dtype="datetime64[ns]")
        return stats.filter_options(frame if self.total else frame.iloc[0:0], self.regions)

    def bounds(self, everything: bool = False) -> list[list[float]]:
        if everything not in self._bounds:
            self._bounds[everything] = self._first_view(everything)
        return self._bounds[everything]

    def _first_view(self, everything: bool) -> list[list[float]] | None:
        from .store.query import cursor

        rows, params = self.store.scan(FilterSpec(), ("TRUE" if everything else "region_match IN ('inside', 'nearest')", []))
        with cursor() as cur:
            west, south, east, north = cur.execute(
                f"SELECT min(longitude), min(latitude), max(longitude), max(latitude) {rows}", params).fetchone()
        if everything:
            return None if west is None else [[south, west], [north, east]]
        pad = 0.25
        if west is None:
            west, south, east, north = self.regions.total_bounds
        return [[south - pad, west - pad], [north + pad, east + pad]]

    def event(self, event_id: str) -> gpd.GeoDataFrame:
        """Read once per id: the open record is asked for on every rerun (every player tick)."""
        return self._events(event_id)

    def _read_event(self, event_id: str) -> gpd.GeoDataFrame:
        return self.store.select(FilterSpec(), ("event_id = ?", [event_id]))

    def country_mismatches(self) -> pd.DataFrame:
        return self.store.country_mismatches()

    def dataset(self) -> Dataset:
        return self.store.dataset()

    def select(self, spec: FilterSpec, window: Window | None = None) -> Selection:
        """The selection kept for this filter (its query string) and window, or a new one. A filter
        SQL cannot finish (search, area) reads the rows the rest selects and is answered in memory."""
        if not sql_remainder(spec).is_empty:
            undated = self.store.select(spec.without_dates())
            selected = filter_events(undated, FilterSpec(date_from=spec.date_from, date_to=spec.date_to), self.regions)
            chosen = FrameSelection(self, spec, undated, selected)
            return chosen.window(window) if window else chosen
        key = (spec.to_query_string(), window)
        with self._lock:
            if key in self._selections:
                self._selections.move_to_end(key)
                return self._selections[key]
            chosen = self._selections[key] = StoreSelection(self, spec, window)
            while len(self._selections) > KEPT_SELECTIONS:
                self._selections.popitem(last=False)
            return chosen


def open_source(path: str | os.PathLike) -> EventSource:
    """The events at ``path``: a store (a folder) as a :class:`StoreSource`, a file loaded, validated
    and joined (:func:`mapdata.dataset.load_dataset`) as a :class:`DatasetSource`."""
    if Path(path).is_dir():
        from .store import open_store  # the store package builds on the dataset module

        return StoreSource(open_store(path))
    return DatasetSource(load_dataset(Path(path)))


def _box(bounds: dict | None) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) from st_folium's bounds, or None."""
    try:
        sw, ne = bounds["_southWest"], bounds["_northEast"]
        return float(sw["lng"]), float(sw["lat"]), float(ne["lng"]), float(ne["lat"])
    except (KeyError, TypeError, ValueError):
        return None
