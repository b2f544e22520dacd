"""One filter specification for the CLI, the app and the exports, and the function applying it.

A :class:`FilterSpec` is immutable, round-trips to and from a URL query string (so a view can be
shared as a link), and describes itself in words for headlines and export metadata.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, fields
from datetime import date
from typing import Iterable, Mapping
from urllib.parse import parse_qs, urlencode

import pandas as pd

from . import schema
from .errors import FilterError
from .names import country_iso3, normalise_name, region_lookup

_QUERY_KEYS = {
    "date_from": "from",
    "date_to": "to",
    "regions": "region",
    "countries": "country",
    "event_types": "type",
    "sub_event_types": "subtype",
    "actors": "actor",
    "min_fatalities": "fat_min",
    "max_fatalities": "fat_max",
    "precisions": "precision",
    "max_border_km": "border_km",
}


@dataclass(frozen=True)
class FilterSpec:
    """Which events to keep. Empty fields do not filter.

    - ``regions``: names (English or alternative, with or without "District") or region ids;
      an event matches through its joined region.
    - ``countries``: ISO3 codes of the country the sources report the event in.
    - ``actors``: an event matches when actor1 or actor2 is one of them.
    - fatality bounds: events with no known figure are kept only while no bound above 0 is set.
    - ``max_border_km``: events farther from the state border (or with no distance) are dropped.
    """

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

    @property
    def is_empty(self) -> bool:
        """True when the spec keeps every event."""
        return self == FilterSpec()

    def to_query(self) -> dict[str, list[str]]:
        """The non-empty fields as URL query parameters (lists of strings)."""
        query: dict[str, list[str]] = {}
        for f in fields(self):
            if f.name not in _QUERY_KEYS:
                continue
            value = getattr(self, f.name)
            if value is None or value == ():
                continue
            values = value if isinstance(value, tuple) else (value,)
            query[_QUERY_KEYS[f.name]] = [v.isoformat() if isinstance(v, date) else _plain(v) for v in values]
        return query

    def to_query_string(self) -> str:
        """The spec as a URL query string (without the leading ``?``)."""
        return urlencode(self.to_query(), doseq=True)

    @classmethod
    def from_query(cls, query: Mapping[str, str | Iterable[str]] | str) -> "FilterSpec":
        """Build a spec from a query string or mapping; unknown keys are ignored."""
        if isinstance(query, str):
            query = parse_qs(query.lstrip("?"), keep_blank_values=False)
        values: dict[str, object] = {}
        for name, key in _QUERY_KEYS.items():
            raw = query.get(key)
            if raw is None:
                continue
            items = [raw] if isinstance(raw, str) else list(raw)
            items = [i for i in items if str(i).strip() != ""]
            if items:
                values[name] = _parse_field(name, items)
        return cls(**values)

    def describe(self) -> str:
        """The active filters in words, or "no filters"."""
        parts = []
        if self.date_from or self.date_to:
            parts.append(f"dates {self.date_from or '…'} to {self.date_to or '…'}")
        for name, label in (("regions", "regions"), ("countries", "countries"), ("event_types", "types"),
                            ("sub_event_types", "sub-types"), ("actors", "actors")):
            if getattr(self, name):
                parts.append(f"{label}: {', '.join(getattr(self, name))}")
        if self.min_fatalities is not None or self.max_fatalities is not None:
            parts.append(f"fatalities {self.min_fatalities if self.min_fatalities is not None else 0}"
                         f"–{self.max_fatalities if self.max_fatalities is not None else '…'}")
        if self.precisions:
            parts.append("precision " + ", ".join(map(str, self.precisions)))
        if self.max_border_km is not None:
            parts.append(f"within {_plain(self.max_border_km)} km of the state border")
        return "; ".join(parts) or "no filters"


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


def filter_events(events: pd.DataFrame, spec: FilterSpec, regions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return the events that ``spec`` keeps, in their original order.

    ``regions`` (the regions layer) lets region names include alternative names; without it
    names are matched against the events' own ``region_id`` and ``region_name``.
    """
    mask = pd.Series(True, index=events.index)
    if spec.date_from:
        mask &= events["event_date"] >= pd.Timestamp(spec.date_from)
    if spec.date_to:
        mask &= events["event_date"] <= pd.Timestamp(spec.date_to)
    if spec.regions:
        table = regions if regions is not None else _regions_from_events(events)
        mask &= events["region_id"].isin(resolve_regions(spec.regions, table))
    if spec.countries:
        wanted = {c.upper() for c in spec.countries}
        mask &= country_iso3(events["country"]).isin(wanted)
    if spec.event_types:
        mask &= events["event_type"].isin(spec.event_types)
    if spec.sub_event_types:
        mask &= events["sub_event_type"].isin(spec.sub_event_types)
    if spec.actors:
        mask &= events["actor1"].isin(spec.actors) | events["actor2"].isin(spec.actors)
    mask &= _fatality_mask(events["fatalities"], spec)
    if spec.precisions:
        mask &= events["geo_precision"].isin(spec.precisions)
    if spec.max_border_km is not None:
        mask &= events["border_km"].le(spec.max_border_km).fillna(False).astype(bool)
    return events[mask.to_numpy()]


def _fatality_mask(fatalities: pd.Series, spec: FilterSpec) -> pd.Series:
    mask = pd.Series(True, index=fatalities.index)
    if spec.min_fatalities:
        mask &= fatalities.ge(spec.min_fatalities).fillna(False).astype(bool)
    if spec.max_fatalities is not None:
        mask &= fatalities.le(spec.max_fatalities).fillna(False).astype(bool)
    return mask


def _regions_from_events(events: pd.DataFrame) -> pd.DataFrame:
    table = events.loc[events["region_id"].fillna("").ne(""), ["region_id", "region_name"]].drop_duplicates()
    return table.rename(columns={"region_name": "name_en"})


def _plain(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _parse_field(name: str, items: list) -> object:
    try:
        if name in ("date_from", "date_to"):
            return date.fromisoformat(str(items[-1]))
        if name in ("min_fatalities", "max_fatalities"):
            return int(items[-1])
        if name == "max_border_km":
            return float(items[-1])
        if name == "precisions":
            return tuple(int(i) for i in items)
    except ValueError:
        raise FilterError(f"bad value for '{_QUERY_KEYS[name]}': {items[-1]!r}") from None
    return tuple(str(i) for i in items)

