"""One filter specification for the CLI, the app and the exports, and the function applying it.

Every filter is one :class:`FilterField` in :data:`FIELDS`: its FilterSpec attribute, URL key,
command-line flag, labels, parser, words, predicate and SQL condition. The URL round trip,
``mapdata export``'s options, the app's sidebar, the filter choices, :meth:`FilterSpec.describe`
and the store's queries (:func:`filter_sql`) are all derived from that table, so adding a filter
is one entry there (plus its predicate and SQL) and a FilterSpec field.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import weakref
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import parse_qs, urlencode, urlsplit

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import schema
from .area import AREA_DECIMALS, area_text, area_words, inside_area, parse_area, read_area
from .errors import FilterError
from .names import country_iso3, country_name, fold_text, normalise_name, region_lookup, resolve_country, with_finer_units

VIEW_KEYS = ("shade", "bin", "compare", "period_b")
"""URL keys the app writes for its view, not for a filter (the Map's region shading, the Timeline's
bin, the compare mode and its period B): a link carrying them is still a valid filter link, and
they do not change what is selected."""


@dataclass(frozen=True)
class FilterField:
    """One filter, declared once: where it lives, how it is read and said, what it keeps.

    ``parse`` turns one text value (from a URL or the command line) into a value, raising
    ValueError with the reason; ``keep(events, value, regions)`` is the predicate (a boolean
    Series); ``sql(value, context)`` is the same predicate as SQL conditions with their parameters
    (see :class:`SqlContext`), or with ``sql_exact`` False a coarser one that ``keep`` finishes
    on the rows it selects (:func:`sql_remainder`); ``words(spec)`` says the filter in words, or "" when it is not set (None: the upper
    end of a range, said by the field before it). ``widget`` is how the app's sidebar offers it:
    "choices" (pick from ``choices(events, regions)``, value → label), "number" (``blank`` is
    its value when it does not filter), "text" (a search box), "dates" and "dates_end" (one range slider for both ends),
    or "area" (drawn on the map; the sidebar says it and clears it). ``show`` writes a value as its
    one URL text when ``str`` does not; ``read`` parses the command line's text when it may be
    more than the URL's (a file name).
    """

    name: str
    key: str
    flag: str
    label: str
    help: str
    parse: Callable[[str], Any]
    keep: Callable[[pd.DataFrame, Any, pd.DataFrame | None], pd.Series]
    sql: Callable[[Any, "SqlContext"], list["Condition"]]
    words: Callable[["FilterSpec"], str] | None
    widget: str
    many: bool = False
    choices: Callable[[pd.DataFrame, pd.DataFrame], dict[Any, str]] | None = None
    blank: Any = None
    step: float | None = None
    tip: str | None = None
    placeholder: str | None = None
    show: Callable[[Any], str] | None = None
    read: Callable[[str], Any] | None = None
    sql_exact: bool = True

    def value(self, items: Iterable[object]) -> Any:
        """The field's value from its text values (the last one for a single-valued field);
        None when there is none. Raises FilterError naming the URL key and the bad value."""
        texts = [str(i) for i in items if str(i).strip() != ""]
        if not texts:
            return None
        values = []
        for text in texts if self.many else texts[-1:]:
            try:
                values.append(self.parse(text))
            except ValueError as exc:
                raise FilterError(f"bad value for '{self.key}': {text!r} ({exc})") from None
        return tuple(values) if self.many else values[0]

    def texts(self, value: Any) -> list[str]:
        """The value as the text values of its URL key (the inverse of :meth:`value`)."""
        if self.show is not None:
            return [self.show(value)]
        values = value if isinstance(value, tuple) else (value,)
        return [v.isoformat() if isinstance(v, date) else _plain(v) for v in values]


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError("not a date in YYYY-MM-DD form") from None


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError("not a whole number") from None


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError("not a number") from None


def _listed(label: str, name: str) -> Callable[["FilterSpec"], str]:
    return lambda spec: f"{label}: {', '.join(map(str, getattr(spec, name)))}" if getattr(spec, name) else ""


def _date_words(spec: "FilterSpec") -> str:
    if not (spec.date_from or spec.date_to):
        return ""
    return f"dates {spec.date_from or '…'} to {spec.date_to or '…'}"


def _fatality_words(spec: "FilterSpec") -> str:
    low, high = spec.min_fatalities or None, spec.max_fatalities
    count = lambda n: f"{n} fatality" if n == 1 else f"{n} fatalities"  # noqa: E731
    if high is None:
        return f"at least {count(low)}" if low else ""
    return f"{low}–{count(high)}" if low else f"at most {count(high)}"


def _known_at_least(events: pd.DataFrame, value: int, regions: pd.DataFrame | None) -> pd.Series:
    if not value:
        return pd.Series(True, index=events.index)
    return events["fatalities"].ge(value).fillna(False).astype(bool)


SEARCHED_COLUMNS = ("location", "notes", "actor1", "actor2", "source", "admin1", "region_name")
"""Event columns the free-text search looks in (besides the alternative names of the event's region)."""


def _search(text: str) -> str:
    if not text.strip():
        raise ValueError("empty search")
    return " ".join(text.split())


def _found(events: pd.DataFrame, text: str, regions: pd.DataFrame | None) -> pd.Series:
    """Events where every word of ``text`` occurs (case and accents folded) in one of
    :data:`SEARCHED_COLUMNS` or in the English or alternative names of the event's region.

    Each column's distinct values are folded once per events table (kept while the table lives:
    the app searches the same loaded events on every run) and searched with Arrow's substring kernel.
    """
    folded = [_folded_column(events, c) for c in SEARCHED_COLUMNS if c in events]
    if regions is not None and "names_alt" in regions and "region_id" in events:
        alt = dict(zip(regions["region_id"], regions["name_en"].fillna("") + "|" + regions["names_alt"].fillna("")))
        folded.append(_folded_column(events, "region names", lambda: events["region_id"].map(alt)))
    mask = np.ones(len(events), dtype=bool)
    for word in fold_text(text).split():
        hit = np.zeros(len(events), dtype=bool)
        for codes, values in folded:
            found = np.append(pc.match_substring(values, word).to_numpy(zero_copy_only=False), False)
            hit |= found[codes]  # code -1 (missing) reads the trailing False
        mask &= hit
    return pd.Series(mask, index=events.index)


_FOLDED: dict[tuple[int, str], tuple[np.ndarray, pa.Array]] = {}
"""Folded search columns by (id of the events table, column); an entry goes with its table."""


def _folded_column(events: pd.DataFrame, column: str,
                   values: Callable[[], pd.Series] | None = None) -> tuple[np.ndarray, pa.Array]:
    """:func:`_folded_distinct` of ``events[column]`` (or of the ``values`` derived from the events under
    that name), computed once per events table (tables are never changed in place)."""
    key = (id(events), column)
    if key not in _FOLDED:
        if not any(k[0] == key[0] for k in _FOLDED):
            weakref.finalize(events, _forget_folded, key[0])
        _FOLDED[key] = _folded_distinct(values() if values else events[column])
    return _FOLDED[key]


def _forget_folded(table: int) -> None:
    for key in [k for k in _FOLDED if k[0] == table]:
        _FOLDED.pop(key, None)


def _folded_distinct(column: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """The column's value codes and its distinct values folded as :func:`mapdata.names.fold_text`
    folds them: ASCII ones by Arrow, the others one by one (they are few)."""
    codes, distinct = pd.factorize(column)
    values = pa.array(pd.Series(distinct, dtype=object).astype(str), type=pa.large_string())
    ascii_ = pc.string_is_ascii(values).to_numpy(zero_copy_only=False)
    folded = pc.ascii_lower(values)
    if not ascii_.all():
        others = np.flatnonzero(~ascii_)
        folded = pc.replace_with_mask(folded, pa.array(~ascii_),
                                      pa.array([fold_text(v) for v in values.take(pa.array(others)).to_pylist()], type=pa.large_string()))
    return codes, folded


def _region_choices(events: pd.DataFrame, regions: pd.DataFrame) -> dict[str, str]:
    """English names labelled with their alternative names, so typing "Karvachar" finds Kalbajar."""
    ordered = regions.sort_values(["country_iso3", "name_en"])
    alt = ordered["names_alt"].fillna("").str.replace("|", ", ", regex=False)
    return {name: f"{name} ({names})" if names else name for name, names in zip(ordered["name_en"], alt)}


def _country_choices(events: pd.DataFrame, regions: pd.DataFrame) -> dict[str, str]:
    codes = country_iso3(pd.Series(events["country"].unique()))
    return {c: f"{country_name(c)} ({c})" for c in sorted(c for c in codes.unique() if c)}


def _in_regions(events: pd.DataFrame, names: tuple[str, ...], regions: pd.DataFrame | None) -> pd.Series:
    """Events in the named regions or in the finer units inside them (a province keeps its districts' events)."""
    table = regions if regions is not None else _regions_from_events(events)
    return events["region_id"].isin(with_finer_units(resolve_regions(names, table), table))


def _in_countries(events: pd.DataFrame, countries: tuple[str, ...], regions: pd.DataFrame | None) -> pd.Series:
    """Events reported in the given countries (ISO3, ISO2, name or variant; unknown: FilterError with suggestions)."""
    return country_iso3(events["country"]).isin({resolve_country(c) for c in countries})


def _actor_choices(events: pd.DataFrame, regions: pd.DataFrame) -> dict[str, str]:
    actors = (set(events["actor1"].unique()) | set(events["actor2"].unique())) - {""}
    return {a: a for a in sorted(actors)}


Condition = tuple[str, list]
"""An SQL condition with ``?`` placeholders, and its parameters."""
_KM_PER_DEGREE = 111.32


@dataclass(frozen=True)
class SqlContext:
    """What a filter's SQL needs besides its value: the regions layer (names → ids, and their
    bounding boxes), the distinct values of a column (``distinct(name)``), and how far (km) a
    region's bounding box is widened for the GeoParquet ``bbox`` column (None: no such column).
    A NULL fatality or border distance fails every comparison, as ``fillna(False)`` does in ``keep``."""

    regions: pd.DataFrame
    distinct: Callable[[str], list]
    bbox_margin_km: float | None = None


def _sql_in(column: str, values: Iterable[object]) -> Condition:
    values = list(dict.fromkeys(values))
    return f"{column} IN ({', '.join('?' * len(values))})", values


def _sql_regions(value: tuple[str, ...], ctx: SqlContext) -> list[Condition]:
    """The region ids, and (for pruning) the chosen regions' bounding box widened by the margin."""
    ids = with_finer_units(resolve_regions(value, ctx.regions), ctx.regions)
    conditions = [_sql_in("region_id", ids)]
    box = region_box(value, ctx.regions, ctx.bbox_margin_km) if ctx.bbox_margin_km is not None else None
    if box is not None:
        minx, miny, maxx, maxy = box
        conditions.append(("bbox.xmax >= ? AND bbox.xmin <= ? AND bbox.ymax >= ? AND bbox.ymin <= ?", [minx, maxx, miny, maxy]))
    return conditions


def region_box(names: tuple[str, ...], regions: pd.DataFrame, margin_km: float) -> tuple[float, float, float, float] | None:
    """The bounding box (min lon, min lat, max lon, max lat) of the named regions and the finer
    units inside them, widened by ``margin_km``: every event the region filter can keep lies in
    it, since a point matched to a region as "nearest" lies outside its polygon within the
    nearest-region tolerance. None when the names select no polygon."""
    ids = with_finer_units(resolve_regions(names, regions), regions)
    chosen = regions[regions["region_id"].isin(ids)]
    if not len(chosen):
        return None
    minx, miny, maxx, maxy = chosen.total_bounds
    dy = margin_km / _KM_PER_DEGREE
    dx = dy / max(math.cos(math.radians(min(max(abs(miny), abs(maxy)) + dy, 89.0))), 0.01)
    return minx - dx, miny - dy, maxx + dx, maxy + dy


def _sql_area(value: tuple[tuple[float, float], ...], ctx: SqlContext) -> list[Condition]:
    """The polygon's bounding box (on the coordinates, and on the ``bbox`` column for pruning);
    whether a point is inside the polygon itself is left to the field's ``keep``."""
    xs, ys = [x for x, _ in value], [y for _, y in value]
    box = [min(xs), max(xs), min(ys), max(ys)]
    conditions = [("longitude BETWEEN ? AND ? AND latitude BETWEEN ? AND ?", box)]
    if ctx.bbox_margin_km is not None:
        conditions.append(("bbox.xmax >= ? AND bbox.xmin <= ? AND bbox.ymax >= ? AND bbox.ymin <= ?", box))
    return conditions


def _sql_actors(value: tuple[str, ...], ctx: SqlContext) -> list[Condition]:
    first, params = _sql_in("actor1", value)
    second, _ = _sql_in("actor2", value)
    return [(f"({first} OR {second})", params * 2)]


def _sql_countries(value: tuple[str, ...], ctx: SqlContext) -> list[Condition]:
    """The reported-country values whose ISO3 code is wanted (the names are mapped as ``keep`` maps them)."""
    names = pd.Series(ctx.distinct("country"), dtype=object)
    wanted = {resolve_country(c) for c in value}
    matching = names[country_iso3(names).isin(wanted).to_numpy()].tolist()
    return [_sql_in("country", matching)] if matching else [("FALSE", [])]


FIELDS: tuple[FilterField, ...] = (
    FilterField(name="search", key="q", flag="--q", label="Search",
                help="words that must all occur in the location, notes, actors, source, admin names or the region's "
                     "alternative names (case and accents ignored)",
                parse=_search, keep=_found, sql=lambda v, ctx: [], sql_exact=False,  # folded text: pandas only
                words=lambda spec: f"search “{spec.search}”" if spec.search else "",
                widget="text", placeholder="place, actor, source, note…",
                tip="Every word must occur somewhere in the record; case and accents are ignored (Kəlbəcər = kalbacar)."),
    FilterField(name="date_from", key="from", flag="--from", label="Dates", help="first day, YYYY-MM-DD",
                parse=_iso_date, keep=lambda ev, v, r: in_period(ev, v, None),
                sql=lambda v, ctx: [("coalesce(event_date_end, event_date) >= ?", [pd.Timestamp(v)])], words=_date_words,
                widget="dates", tip="Drag either end; the map's play control steps through time."),
    FilterField(name="date_to", key="to", flag="--to", label="Dates", help="last day, YYYY-MM-DD",
                parse=_iso_date, keep=lambda ev, v, r: in_period(ev, None, v),
                sql=lambda v, ctx: [("event_date <= ?", [pd.Timestamp(v)])], words=None, widget="dates_end"),
    FilterField(name="regions", key="region", flag="--region", label="Regions",
                help="region by English or alternative name, or id (repeatable)", parse=str,
                keep=_in_regions, sql=_sql_regions,
                words=_listed("regions", "regions"), widget="choices", many=True, choices=_region_choices,
                placeholder="All regions — type an English or alternative name"),
    FilterField(name="countries", key="country", flag="--country", label="Reported country",
                help="reported country: ISO3 or ISO2 code or English name (repeatable; unknown: error with suggestions)",
                parse=str, keep=_in_countries, sql=_sql_countries,
                words=_listed("countries", "countries"), widget="choices", many=True, choices=_country_choices),
    FilterField(name="event_types", key="type", flag="--type", label="Event types", help="ACLED event type (repeatable)",
                parse=str, keep=lambda ev, v, r: ev["event_type"].isin(v),
                sql=lambda v, ctx: [_sql_in("event_type", v)], words=_listed("types", "event_types"),
                widget="choices", many=True, choices=lambda ev, r: {t: t for t in schema.EVENT_TYPES}),
    FilterField(name="sub_event_types", key="subtype", flag="--subtype", label="Event sub-types",
                help="ACLED sub-event type (repeatable)", parse=str, keep=lambda ev, v, r: ev["sub_event_type"].isin(v),
                sql=lambda v, ctx: [_sql_in("sub_event_type", v)],
                words=_listed("sub-types", "sub_event_types"), widget="choices", many=True,
                choices=lambda ev, r: {s: s for subs in schema.EVENT_TYPES.values() for s in subs}),
    FilterField(name="actors", key="actor", flag="--actor", label="Actors (either side)",
                help="actor named as actor1 or actor2 (repeatable)", parse=str,
                keep=lambda ev, v, r: ev["actor1"].isin(v) | ev["actor2"].isin(v),
                sql=_sql_actors, words=_listed("actors", "actors"), widget="choices", many=True, choices=_actor_choices),
    FilterField(name="min_fatalities", key="fat_min", flag="--fat-min", label="Minimum fatalities",
                help="keep events with at least this many acknowledged fatalities (above 0, drops events without a figure)",
                parse=_whole, keep=_known_at_least,
                sql=lambda v, ctx: [("fatalities >= ?", [v])] if v else [],
                words=_fatality_words, widget="number", blank=0, step=1,
                tip="Above 0, events without an acknowledged figure are hidden."),
    FilterField(name="max_fatalities", key="fat_max", flag="--fat-max", label="Maximum fatalities",
                help="keep events with at most this many acknowledged fatalities (drops events without a figure)",
                parse=_whole, keep=lambda ev, v, r: ev["fatalities"].le(v).fillna(False).astype(bool),
                sql=lambda v, ctx: [("fatalities <= ?", [v])], words=None,
                widget="number", step=1, tip="Events without an acknowledged figure are hidden.", placeholder="no maximum"),
    FilterField(name="precisions", key="precision", flag="--precision", label="Location precision",
                help="location precision 1, 2 or 3 (repeatable)", parse=_whole,
                keep=lambda ev, v, r: ev["geo_precision"].isin(v),
                sql=lambda v, ctx: [_sql_in("geo_precision", v)],
                words=lambda spec: "precision " + ", ".join(map(str, spec.precisions)) if spec.precisions else "",
                widget="choices", many=True, blank=tuple(schema.GEO_PRECISION_LABELS),
                choices=lambda ev, r: {p: f"{p} — {text}" for p, text in schema.GEO_PRECISION_LABELS.items()}),
    FilterField(name="max_border_km", key="border_km", flag="--max-border-km", label="Max. distance to a border line (km)",
                help="keep events within this distance of the nearest border line of the geography", parse=_number,
                keep=lambda ev, v, r: ev["border_km"].le(v).fillna(False).astype(bool),
                sql=lambda v, ctx: [("border_km <= ?", [v])],
                words=lambda spec: f"within {_plain(spec.max_border_km)} km of a border line" if spec.max_border_km is not None else "",
                widget="number", step=5.0, placeholder="any distance"),
    FilterField(name="area", key="area", flag="--area", label="Area",
                help=f"keep events inside a polygon: a GeoJSON file, WKT, or the link's lon_lat_lon_lat… list "
                     f"(coordinates rounded to {AREA_DECIMALS} decimals)",
                parse=parse_area, read=read_area, show=area_text, keep=lambda ev, v, r: inside_area(ev, v),
                sql=_sql_area, sql_exact=False,
                words=lambda spec: area_words(spec.area) if spec.area else "", widget="area",
                tip="Draw a rectangle or polygon on the map (its toolbar, top left) to keep the events inside it."),
)
"""Every filter, in the order the sidebar, the command line and :meth:`FilterSpec.describe` use."""

_BY_KEY = {f.key: f for f in FIELDS}


@dataclass(frozen=True)
class FilterSpec:
    """Which events to keep. Empty fields do not filter; each field is one entry of :data:`FIELDS`.

    - ``search``: words that must all occur in the record's text (:data:`SEARCHED_COLUMNS`) or
      its region's names, case and accents folded.
    - ``regions``: names (English or alternative, with or without "District") or region ids;
      an event matches through its joined region.
    - ``countries``: the country the sources report the event in, as ISO3, ISO2 or English name.
    - ``actors``: an event matches when actor1 or actor2 is one of them.
    - fatality bounds: events with no known figure are kept only while no bound above 0 is set.
    - ``max_border_km``: events farther from the geography's nearest border line (or with no distance) are dropped.
    - ``area``: a polygon's outer ring as (lon, lat) corners, rounded to
      :data:`~mapdata.area.AREA_DECIMALS` decimals; events on its edge are kept.
    """

    search: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    regions: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()
    sub_event_types: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    min_fatalities: int | None = None
    max_fatalities: int | None = None
    precisions: tuple[int, ...] = ()
    max_border_km: float | None = None
    area: tuple[tuple[float, float], ...] | None = None

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise FilterError(f"start date {self.date_from} is after end date {self.date_to}")
        bad = [p for p in self.precisions if p not in schema.GEO_PRECISION_LABELS]
        if bad:
            raise FilterError(f"unknown precision level(s) {bad}; use 1, 2 or 3")
        unknown = [t for t in self.event_types if t not in schema.EVENT_TYPES]
        if unknown:
            raise FilterError(f"unknown event type(s): {', '.join(unknown)}; known: {', '.join(schema.EVENT_TYPES)}")
        for name in ("min_fatalities", "max_fatalities", "max_border_km"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise FilterError(f"{name} must not be negative (got {value})")
        if self.area is not None:
            try:
                object.__setattr__(self, "area", parse_area(area_text(self.area)))
            except ValueError as exc:
                raise FilterError(f"area: {exc}") from None

    @property
    def is_empty(self) -> bool:
        """True when the spec keeps every event."""
        return self == FilterSpec()

    def without_dates(self) -> "FilterSpec":
        """The same filter for every date: what a timeline shows around the selected period."""
        return dataclasses.replace(self, date_from=None, date_to=None)

    def to_query(self) -> dict[str, list[str]]:
        """The non-empty fields as URL query parameters (lists of strings)."""
        return {f.key: f.texts(getattr(self, f.name)) for f in FIELDS if getattr(self, f.name) not in (None, ())}

    def to_query_string(self) -> str:
        """The spec as a URL query string (without the leading ``?``)."""
        return urlencode(self.to_query(), doseq=True)

    @classmethod
    def from_query(cls, query: Mapping[str, str | Iterable[str]] | str) -> "FilterSpec":
        """Build a spec from a query string or mapping; keys that are not filters are ignored."""
        if isinstance(query, str):
            query = parse_qs(query.lstrip("?"), keep_blank_values=False)
        values: dict[str, object] = {}
        for f in FIELDS:
            raw = query.get(f.key)
            value = None if raw is None else f.value([raw] if isinstance(raw, str) else raw)
            if value is not None:
                values[f.name] = value
        return cls(**values)

    @classmethod
    def from_link(cls, link: str) -> "FilterSpec":
        """Build a spec from a link copied from the app: a full URL or just its ``?query``.

        Unlike :meth:`from_query`, a key that is neither a filter nor one of the app's
        :data:`VIEW_KEYS` is an error naming it, so a mistyped link never exports everything.
        """
        text = link.strip()
        query = urlsplit(text).query if "://" in text or text.startswith("/") else text.lstrip("?")
        parsed = parse_qs(query, keep_blank_values=True)
        unknown = [key for key in parsed if key not in _BY_KEY and key not in VIEW_KEYS]
        if unknown:
            raise FilterError(f"the link has unknown key(s) {', '.join(map(repr, unknown))}; "
                              f"filter keys: {', '.join(_BY_KEY)}")
        return cls.from_query({k: v for k, v in parsed.items() if k in _BY_KEY})

    def describe(self) -> str:
        """The active filters in words, or "no filters"."""
        parts = [f.words(self) for f in FIELDS if f.words is not None]
        return "; ".join(p for p in parts if p) or "no filters"


def resolve_regions(names: Iterable[str], regions: pd.DataFrame) -> tuple[str, ...]:
    """Region ids for names; raise FilterError naming the unknown ones, with suggestions."""
    lookup = region_lookup(regions)
    ids: list[str] = []
    unknown: list[str] = []
    for name in names:
        found = lookup.get(normalise_name(name)) or lookup.get(str(name).casefold())
        if found:
            ids.extend(found)
        else:
            unknown.append(name)
    if unknown:
        names_by_key = _display_names(regions)
        hints = {n: difflib.get_close_matches(normalise_name(n), list(names_by_key), n=3) for n in unknown}
        text = "; ".join(
            f"'{n}'" + (f" (did you mean {', '.join(dict.fromkeys(names_by_key[k] for k in h))}?)" if h else "")
            for n, h in hints.items()
        )
        raise FilterError(f"unknown region {text}")
    return tuple(dict.fromkeys(ids))


def _display_names(regions: pd.DataFrame) -> dict[str, str]:
    """Normalised English and alternative names → the region's English name, for suggestions."""
    names: dict[str, str] = {}
    alt_names = regions["names_alt"] if "names_alt" in regions else pd.Series("", index=regions.index)
    for name, alt in zip(regions["name_en"], alt_names):
        for candidate in [name, *str(alt or "").split("|")]:
            names.setdefault(normalise_name(candidate), name)
    return names


def in_period(events: pd.DataFrame, first: date | None, last: date | None) -> pd.Series:
    """Whether each event lies in first..last (inclusive; None: open): an event dated to a window
    (date_precision range, event_date..event_date_end) is inside when its window overlaps the
    period, any other event when its event_date is inside."""
    mask = pd.Series(True, index=events.index)
    if first:
        end = events["event_date_end"].fillna(events["event_date"]) if "event_date_end" in events else events["event_date"]
        mask &= end >= pd.Timestamp(first)
    if last:
        mask &= events["event_date"] <= pd.Timestamp(last)
    return mask


def filter_events(events: pd.DataFrame, spec: FilterSpec, regions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return the events that ``spec`` keeps, in their original order.

    ``regions`` (the regions layer) lets region names include alternative names; without it
    names are matched against the events' own ``region_id`` and ``region_name``.
    """
    mask = pd.Series(True, index=events.index)
    for f in FIELDS:
        value = getattr(spec, f.name)
        if value is not None and value != ():
            mask &= f.keep(events, value, regions)
    return events[mask.to_numpy()]


def sql_remainder(spec: FilterSpec) -> FilterSpec:
    """The part of ``spec`` that :func:`filter_sql` only approximates: :func:`filter_events` with it
    on the rows the SQL selected gives exactly the rows ``spec`` keeps."""
    return FilterSpec(**{f.name: getattr(spec, f.name) for f in FIELDS if not f.sql_exact})


def filter_sql(spec: FilterSpec, ctx: SqlContext) -> Condition:
    """The spec as one SQL ``WHERE`` clause and its parameters: each field's :attr:`FilterField.sql`,
    for the rows :func:`filter_events` keeps (queries on a store, :mod:`mapdata.store`; a few more
    for the fields :func:`sql_remainder` keeps)."""
    conditions = [c for f in FIELDS if getattr(spec, f.name) not in (None, ()) for c in f.sql(getattr(spec, f.name), ctx)]
    if not conditions:
        return "TRUE", []
    return " AND ".join(f"({text})" for text, _ in conditions), [p for _, params in conditions for p in params]


def _regions_from_events(events: pd.DataFrame) -> pd.DataFrame:
    table = events.loc[events["region_id"].fillna("").ne(""), ["region_id", "region_name"]].drop_duplicates()
    return table.rename(columns={"region_name": "name_en"})


def _plain(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
