"""Summaries the app shows: headline numbers, the timeline, per-region counts, the map's view.

Fatality sums are "at least" figures: an empty cell means no acknowledged figure, and the
per-site cells of multi-site episodes are empty, so sums undercount.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from . import schema
from .filters import FIELDS, FilterSpec, filter_events

FREQUENCIES = {"week": "W-MON", "month": "MS"}
"""Timeline bins: weeks start on Monday, months on the 1st."""


@dataclass(frozen=True)
class Headline:
    """The numbers always visible above a page."""

    events: int
    fatalities_at_least: int
    unknown_fatalities: int
    first: date | None
    last: date | None
    region_only: int
    windows: int = 0
    """Events dated to a window longer than a month (date_precision range)."""

    def fatalities_text(self) -> str:
        """Fatalities as an honest phrase, e.g. 'at least 392 (17 events without a figure)'."""
        unknown = f" ({self.unknown_fatalities} events without a figure)" if self.unknown_fatalities else ""
        return f"at least {self.fatalities_at_least:,}{unknown}"


def headline(events: pd.DataFrame) -> Headline:
    """Count, fatalities (known figures only), date span (to the last day of any window),
    region-only points and events dated to a window of ``events``."""
    dates = events["event_date"]
    ends = events["event_date_end"].fillna(dates) if "event_date_end" in events else dates
    return Headline(
        events=len(events),
        fatalities_at_least=int(events["fatalities"].sum(skipna=True)) if len(events) else 0,
        unknown_fatalities=int(events["fatalities"].isna().sum()),
        first=dates.min().date() if len(events) else None,
        last=ends.max().date() if len(events) else None,
        region_only=int((events["geo_precision"] == 3).sum()),
        windows=int(events["event_date_end"].notna().sum()) if "event_date_end" in events else 0,
    )


def timeline(events: pd.DataFrame, freq: str = "month") -> pd.DataFrame:
    """Events and known fatalities per period and event type (long format, every period present);
    ``period`` is the first day of a bin, ``end`` its last.

    An event dated to a window (date_precision range) counts as an event in every period its
    window overlaps, as the filters treat it; its fatalities count once, in the period the
    window starts, so the fatality sums stay those of the events."""
    columns = ["period", "end", "event_type", "events", "fatalities"]
    if events.empty:
        return pd.DataFrame(columns=columns)
    to_period = "W-SUN" if freq == "week" else "M"
    first = events["event_date"].dt.to_period(to_period).array.asi8
    ends = events["event_date_end"].fillna(events["event_date"]) if "event_date_end" in events else events["event_date"]
    spans = ends.dt.to_period(to_period).array.asi8 - first + 1
    rows = np.repeat(np.arange(len(events)), spans)
    step = np.arange(len(rows)) - np.repeat(np.cumsum(spans) - spans, spans)
    periods = pd.Series(pd.PeriodIndex.from_ordinals(first[rows] + step, freq=to_period).start_time)
    known = events["fatalities"].iloc[rows].reset_index(drop=True).where(step == 0)
    grouped = (
        pd.DataFrame({"period": periods, "event_type": events["event_type"].iloc[rows].to_numpy(), "fatalities": known})
        .groupby(["period", "event_type"], observed=True)
        .agg(events=("event_type", "size"), fatalities=("fatalities", lambda s: int(s.sum(skipna=True))))
        .reset_index()
    )
    return fill_timeline(grouped, freq)


def fill_timeline(counts: pd.DataFrame, freq: str = "month") -> pd.DataFrame:
    """:func:`timeline` from its counts (``period``, ``event_type``, ``events``, ``fatalities``; a
    row per bin and type with events): every period from the first to the last present, each type
    in the symbology's order, the bins' last days. A store counts in SQL and fills here."""
    columns = ["period", "end", "event_type", "events", "fatalities"]
    if counts.empty:
        return pd.DataFrame(columns=columns)
    full_range = pd.date_range(counts["period"].min(), counts["period"].max(), freq=FREQUENCIES[freq])
    types = [t for t in schema.EVENT_TYPES if t in set(counts["event_type"])]
    index = pd.MultiIndex.from_product([full_range, types], names=["period", "event_type"])
    filled = counts.set_index(["period", "event_type"]).reindex(index, fill_value=0).reset_index()
    offset = pd.DateOffset(weeks=1) if freq == "week" else pd.DateOffset(months=1)
    filled["end"] = filled["period"] + offset - pd.Timedelta(days=1)
    return filled[columns]


def timeline_in_period(series: pd.DataFrame, first: date | None, last: date | None) -> pd.Series:
    """For each row of :func:`timeline`, whether its bin overlaps ``first``..``last`` (open ends
    allowed): the bins a brushed timeline draws solid."""
    inside = pd.Series(True, index=series.index)
    if first:
        inside &= series["end"].dt.date >= first
    if last:
        inside &= series["period"].dt.date <= last
    return inside


def timeline_table(series: pd.DataFrame, measure: str = "events") -> pd.DataFrame:
    """:func:`timeline` as a table a screen reader can read: one row per bin (its first day as
    text), one column per event type (in the symbology's order of types)."""
    types = [t for t in schema.EVENT_TYPES if t in set(series["event_type"])]
    wide = series.pivot_table(index="period", columns="event_type", values=measure, aggfunc="sum", observed=True)
    wide = wide.reindex(columns=types).reset_index()
    wide["period"] = wide["period"].dt.strftime("%Y-%m-%d")
    return wide.rename(columns={"period": "from"})


def bin_span(start: object, end: object, step: str = "month") -> tuple[date, date]:
    """The first and last day of the week or month bins that ``start`` and ``end`` fall in
    (in any order): what a drag across the timeline selects. Numbers are epoch milliseconds (what
    a chart's interval selection on a time axis sends), anything else a date or timestamp."""
    period = "W-SUN" if step == "week" else "M"
    stamps = [pd.to_datetime(v, unit="ms") if isinstance(v, (int, float)) else pd.Timestamp(v) for v in (start, end)]
    first, last = sorted(stamps)
    return first.to_period(period).start_time.date(), last.to_period(period).end_time.date()


def region_summary(events: pd.DataFrame, regions: pd.DataFrame) -> pd.DataFrame:
    """Per region: events, known fatalities and events without a figure; regions with none get 0.

    Alternative names are listed comma-separated, for display.
    """
    fatalities = pd.to_numeric(events["fatalities"], errors="coerce").astype("float64")
    counts = pd.DataFrame({"region_id": events["region_id"].to_numpy(), "events": 1,
                           "fatalities": fatalities.fillna(0).to_numpy(),
                           "unknown_fatalities": fatalities.isna().to_numpy().astype("int64")}
                          ).groupby("region_id").sum()
    return region_table(counts, regions)


def region_table(counts: pd.DataFrame, regions: pd.DataFrame) -> pd.DataFrame:
    """:func:`region_summary` from its counts (indexed by ``region_id``: ``events``,
    ``fatalities``, ``unknown_fatalities``); a store counts in SQL and names the regions here."""
    table = pd.DataFrame(regions[["region_id", "name_en", "names_alt", "country_iso3", "admin_level"]]).set_index("region_id")
    table = table.join(counts).fillna({"events": 0, "fatalities": 0, "unknown_fatalities": 0, "names_alt": ""})
    table["names_alt"] = table["names_alt"].str.replace("|", ", ", regex=False)
    for col in ("events", "fatalities", "unknown_fatalities"):
        table[col] = table[col].astype("int64")
    return table.reset_index().sort_values(["events", "name_en"], ascending=[False, True], ignore_index=True)


def outside_count(events: pd.DataFrame) -> int:
    """Events that lie outside every region of the boundary layer (e.g. meetings abroad)."""
    return int((events["region_match"] == "outside").sum())


def view_bounds(events: pd.DataFrame, regions: pd.DataFrame, pad: float = 0.25) -> list[list[float]]:
    """[[south, west], [north, east]] of the first map view: the events inside the geography (in
    or near one of its regions), else the geography's regions.

    Far-away events (a meeting in Brussels, or in the capital) still count everywhere, but do not
    pull the first view away from the geography; nothing fixes the view to one region of the world.
    """
    local = events[events["region_match"].isin(["inside", "nearest"])] if "region_match" in events else events.iloc[0:0]
    west, south, east, north = (local if len(local) else regions).total_bounds
    return [[south - pad, west - pad], [north + pad, east + pad]]


def all_bounds(events: pd.DataFrame) -> list[list[float]] | None:
    """[[south, west], [north, east]] of every event, for 'show all events'."""
    if events.empty:
        return None
    west, south, east, north = events.total_bounds
    return [[south, west], [north, east]]


def time_windows(first: date, last: date, step: str = "month") -> list[tuple[date, date]]:
    """Consecutive windows (start, end inclusive) of one week or month covering first..last."""
    rule = FREQUENCIES[step]
    starts = pd.date_range(pd.Timestamp(first).to_period("W-SUN" if step == "week" else "M").start_time, last, freq=rule)
    offset = pd.DateOffset(weeks=1) if step == "week" else pd.DateOffset(months=1)
    return [(s.date(), (s + offset - pd.Timedelta(days=1)).date()) for s in starts]


def _window_end(row: pd.Series) -> str:
    """" – last day" for an event dated to a window (date_precision range), else nothing."""
    end = row.get("event_date_end")
    return f" – {end:%Y-%m-%d}" if end is not None and pd.notna(end) else ""


PLAYBACK_MODES: dict[str, str] = {
    "window": "one week or month at a time",
    "cumulative": "everything up to the end of the frame",
}
"""How the time player shows a frame: mode → what a frame holds."""


def frame_events(events: pd.DataFrame, window: tuple[date, date], mode: str = "window") -> pd.DataFrame:
    """The events one frame of the time player shows: those of its window (start, end inclusive),
    chosen by the date filter (so an event dated to a window of its own shows in every frame its
    window overlaps), or in ``cumulative`` mode every event up to the window's end."""
    if mode not in PLAYBACK_MODES:
        raise ValueError(f"unknown playback mode {mode!r}; use {', '.join(PLAYBACK_MODES)}")
    start, end = window
    return filter_events(events, FilterSpec(date_from=None if mode == "cumulative" else start, date_to=end))


def event_details(events: pd.DataFrame, event_id: str) -> dict[str, str] | None:
    """The full record of one event as label → plain text, for the details panel; None if absent."""
    rows = events[events["event_id"] == event_id]
    if rows.empty:
        return None
    row = rows.iloc[0]
    precision = int(row["geo_precision"])
    fatalities = "no acknowledged figure" if pd.isna(row["fatalities"]) else str(int(row["fatalities"]))
    region = row.get("region_name") or "outside the boundary layer"
    return {
        "Event": str(row["event_id"]),
        "Date": f"{row['event_date']:%Y-%m-%d}{_window_end(row)} (precision: {row['date_precision']})",
        "Type": " / ".join(t for t in (row["event_type"], row["sub_event_type"]) if t),
        "Actors": " — ".join(a for a in (row["actor1"], row["actor2"]) if a) or "not given",
        "Location": str(row["location"]),
        "Region": f"{region} ({row.get('region_match', '')}); reported country: {row['country']}",
        "Location precision": f"{precision} — {schema.GEO_PRECISION_LABELS[precision]}",
        "Coordinates": f"{row['latitude']:.4f}, {row['longitude']:.4f}; source: {row['coord_source'] or 'not given'}",
        "Fatalities": f"{fatalities}. Claims: {row['fatalities_note'] or 'none recorded'}",
        "Notes": str(row["notes"]),
        "Source": str(row["source"]),
        "Source URL": str(row["source_url"]),
    }


def colocated(events: pd.DataFrame, event_id: str) -> pd.DataFrame:
    """The events at exactly the same point as ``event_id``: itself first, then the others by date.

    Markers at one point lie on top of each other (typically region-only reference points), so
    the map lets only the top one be clicked; the details panel offers the others from this list.
    Empty when ``event_id`` is not among ``events``.
    """
    rows = events[events["event_id"] == event_id]
    if rows.empty:
        return events.iloc[0:0]
    lat, lon = rows.iloc[0]["latitude"], rows.iloc[0]["longitude"]
    same = events[(events["latitude"] == lat) & (events["longitude"] == lon)]
    others = (same["event_id"] != event_id).to_numpy()
    return same.assign(_other=others).sort_values(["_other", "event_date", "event_id"], kind="stable").drop(columns="_other")


def event_table(events: pd.DataFrame, limit: int | None = None) -> pd.DataFrame:
    """One row per event for the table under the map, newest first (the ``limit`` newest): id,
    date, type, location precision and fatalities in words (colour is never the only carrier of
    meaning), place, region.

    The keyboard and screen-reader path to every incident: selecting a row opens the same record
    as a click on its marker.
    """
    ordered = events.sort_values(["event_date", "event_id"], ascending=[False, True], kind="stable").head(limit)
    fatalities = ordered["fatalities"]
    region = ordered["region_name"].fillna("") if "region_name" in ordered else pd.Series("", index=ordered.index)
    return pd.DataFrame({
        "event": ordered["event_id"].to_numpy(),
        "date": ordered["event_date"].dt.strftime("%Y-%m-%d").to_numpy(),
        "type": ordered["event_type"].to_numpy(),
        "location precision": ordered["geo_precision"].map(
            lambda p: f"{int(p)} — {schema.GEO_PRECISION_LABELS.get(int(p), 'unknown')}").to_numpy(),
        "fatalities": fatalities.map(lambda f: "no figure" if pd.isna(f) else str(int(f))).to_numpy(),
        "location": ordered["location"].to_numpy(),
        "region": region.replace("", "outside the regions").to_numpy(),
    })


def map_summary(events: pd.DataFrame) -> str:
    """The map in one sentence, for screen readers and as the caption under it, e.g.
    "126 incidents, 2020–2025, most in Gegharkunik (40)"."""
    if events.empty:
        return summary_sentence(0, None, None, None)
    first, last = events["event_date"].min().year, events["event_date"].max().year
    regions = events["region_name"].fillna("") if "region_name" in events else pd.Series("", index=events.index)
    counts = regions[regions != ""].value_counts()
    return summary_sentence(len(events), first, last, (counts.index[0], int(counts.iloc[0])) if len(counts) else None)


def summary_sentence(count: int, first_year: int | None, last_year: int | None, top: tuple[str, int] | None) -> str:
    """:func:`map_summary` from its numbers: how many, the years, the region with most (name, count)."""
    if not count:
        return "No incidents match the filters."
    span = str(first_year) if first_year == last_year else f"{first_year}–{last_year}"
    noun = "incident" if count == 1 else "incidents"
    text = f"{count:,} {noun}, {span}"
    if top:
        text += f", most in {top[0]} ({top[1]:,})"
    return text + "."


def event_labels(events: pd.DataFrame, place_chars: int = 60) -> dict[str, str]:
    """One line per event for a picker: id · date · type · place (shortened to ``place_chars``)."""
    labels = {}
    for row in events.itertuples():
        place = row.location if len(row.location) <= place_chars else row.location[:place_chars - 1] + "…"
        labels[row.event_id] = f"{row.event_id} · {row.event_date:%Y-%m-%d} · {row.event_type} · {place}"
    return labels


@dataclass(frozen=True)
class FilterOptions:
    """What the filter widgets offer for a dataset: the date span and, per choice field of
    :data:`mapdata.filters.FIELDS`, its choices (value → label) in ``choices``."""

    first: date | None
    last: date | None
    choices: dict[str, dict]


def filter_options(events: pd.DataFrame, regions: pd.DataFrame) -> FilterOptions:
    """Choices for the filter widgets, from each field's own ``choices``; region labels carry the
    alternative names, so typing "Karvachar" finds Kalbajar District. Computed once per dataset
    (callers cache it)."""
    return FilterOptions(
        first=events["event_date"].min().date() if len(events) else None,
        last=events["event_date"].max().date() if len(events) else None,
        choices={f.name: f.choices(events, regions) for f in FIELDS if f.choices is not None},
    )
