"""Input checks and column readers shared by the layers: frames are guarded once, where they enter,
and optional columns read as empty."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mapdata import schema
from mapdata.errors import GeoDataError, MissingColumnsError

COORD_DECIMALS = 5
"""Coordinates sent to the browser are rounded to this many decimals (~1 m)."""
_EVENT_COLUMNS = ("event_id", "event_type", "geo_precision")


def check_bounds(bounds: Sequence[float]) -> tuple[float, float, float, float]:
    """``bounds`` as four finite, ordered floats (min lon, min lat, max lon, max lat)."""
    values = tuple(float(v) for v in bounds)
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise GeoDataError(f"bounds must be four finite numbers (min lon, min lat, max lon, max lat), got {bounds!r}")
    west, south, east, north = values
    if west > east or south > north:
        raise GeoDataError(f"bounds must be ordered (min lon, min lat, max lon, max lat), got {bounds!r}")
    return values


def check_frame(frame: gpd.GeoDataFrame, columns: Sequence[str], what: str) -> gpd.GeoDataFrame:
    """``frame`` if it is a GeoDataFrame in the schema's CRS with ``columns``; a clear error otherwise."""
    if not isinstance(frame, gpd.GeoDataFrame):
        raise GeoDataError(f"{what} must be a GeoDataFrame, got {type(frame).__name__}")
    if frame.crs is not None and not frame.crs.equals(schema.CRS):
        raise GeoDataError(f"{what} has CRS {frame.crs.to_string()}; the map needs {schema.CRS}: use {what}.to_crs('{schema.CRS}')")
    if missing := [c for c in columns if c not in frame.columns]:
        raise MissingColumnsError(f"{what} lacks the column(s) {', '.join(missing)}")
    return frame


def check_events(events: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The events that have a point geometry; the others are skipped with a warning naming them."""
    events = check_frame(events, _EVENT_COLUMNS, "events")
    usable = has_point(events)
    if not usable.all():
        skipped = events.loc[~usable, "event_id"].astype(str).tolist()
        warnings.warn(f"Not drawn (no point geometry): {', '.join(skipped[:10])}{' …' if len(skipped) > 10 else ''}", stacklevel=3)
    return events[usable]


def has_point(events: gpd.GeoDataFrame) -> pd.Series:
    """True for the events with a point geometry: the ones the incident layer draws."""
    points = np.asarray(events.geometry.array)
    return pd.Series(~shapely.is_missing(points) & ~shapely.is_empty(points) & (shapely.get_type_id(points) == 0),
                     index=events.index)


def xy(events: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of the event points, as arrays (vectorised, no per-point Python)."""
    points = events.geometry.array
    return shapely.get_x(points), shapely.get_y(points)


def rounded(values) -> list[float]:
    """Coordinates rounded to ``COORD_DECIMALS``, as a list for JSON."""
    return np.round(np.asarray(values, dtype=float), COORD_DECIMALS).tolist()


def geometry_json(geometry) -> dict:
    """A shapely geometry as a GeoJSON dict with rounded coordinates."""
    rounded_geometry = shapely.transform(geometry, lambda points: np.round(points, COORD_DECIMALS))
    return shapely.geometry.mapping(rounded_geometry)


def text(frame: pd.DataFrame, name: str) -> list[str]:
    """Column ``name`` as stripped strings ("" for missing values or a missing column)."""
    if name not in frame.columns:
        return [""] * len(frame)
    return ["" if pd.isna(v) else str(v).strip() for v in frame[name]]


def dates(events: pd.DataFrame) -> list[str]:
    """event_date as YYYY-MM-DD where it parses, the raw text otherwise; for an event dated to a
    window (event_date_end given), "start – end"."""
    if "event_date" not in events.columns:
        return [""] * len(events)
    parsed = pd.to_datetime(events["event_date"], errors="coerce")
    raw = text(events, "event_date")
    starts = [r if pd.isna(d) else d.strftime("%Y-%m-%d") for d, r in zip(parsed, raw)]
    if "event_date_end" not in events.columns or not events["event_date_end"].notna().any():
        return starts
    ends = pd.to_datetime(events["event_date_end"], errors="coerce")
    return [start if pd.isna(end) else f"{start} – {end:%Y-%m-%d}" for start, end in zip(starts, ends)]


def fatalities(events: pd.DataFrame) -> pd.Series:
    """fatalities as floats, NaN where no figure is known."""
    if "fatalities" not in events.columns:
        return pd.Series(np.nan, index=events.index, dtype=float)
    return pd.to_numeric(events["fatalities"], errors="coerce").astype(float)


def precision(events: pd.DataFrame) -> pd.Series:
    """geo_precision as 1, 2 or 3; anything else is drawn as 3, the most cautious symbol."""
    values = pd.to_numeric(events["geo_precision"], errors="coerce")
    return values.where(values.isin([1, 2, 3]), 3).astype(int)
