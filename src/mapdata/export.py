"""Exports of (filtered) events: RFC 7946 GeoJSON, CSV safe to open in a spreadsheet, GeoPackage.

:data:`FORMATS` is the registry of export formats (name, label, suffix, MIME type, writer): the
command line's ``--format`` choices and the Data & export page's downloads are read from it.
Adding an export format: a writer function plus its entry in :data:`FORMATS`. The CLI and the
app call the same functions, so the same filter gives the same file.
"""

from __future__ import annotations

import json
import math
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd

from . import credits, schema
from .area import area_geojson
from .filters import FilterSpec

Writer = Callable[[gpd.GeoDataFrame, FilterSpec | None, datetime | None, str, dict | None], bytes]
"""(events, filter, generation time, events file name, geography metadata) → the file's bytes."""


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its name (``--format``), a label for the download button, the file
    suffix, the MIME type, and the writer that makes the file's bytes."""

    name: str
    label: str
    suffix: str
    mime: str
    write: Writer


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_COORD_DECIMALS = 6


def export_columns(events: pd.DataFrame) -> list[str]:
    """Schema columns first (those present), then any extra columns, never the geometry."""
    present = [c for c in schema.COLUMN_NAMES if c in events.columns]
    extras = [c for c in events.columns if c not in schema.COLUMN_NAMES and c != "geometry"]
    return present + extras


def metadata(events: pd.DataFrame, spec: FilterSpec | None = None, generated: datetime | None = None,
             source_name: str = "", geo_meta: dict | None = None) -> dict:
    """The top-level description of an export: filters, count, time, sources and licences (those
    of the geography whose metadata is ``geo_meta``; default the ``GEO_DIR`` setting's)."""
    spec = spec or FilterSpec()
    return {
        "title": "Conflict incidents (mapdata export)",
        "generated": (generated or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        "count": int(len(events)),
        "filters": spec.to_query(),
        "filters_text": spec.describe(),
        **({"area": area_geojson(spec.area)} if spec.area else {}),
        "events_file": source_name,
        "sources": "Each feature names its own source and source_url; fatality figures say who claimed them.",
        "licences": [credits.boundaries(geo_meta)] + ([credits.GEONAMES] if _uses_geonames(events) else []),
        "geo_precision": {str(k): v for k, v in schema.GEO_PRECISION_LABELS.items()},
        "caveats": "Summed fatalities undercount multi-site episodes whose per-site figures are unknown; "
                   "precision-3 points are reference points, not incident sites.",
    }


def to_geojson(events: pd.DataFrame, spec: FilterSpec | None = None, generated: datetime | None = None,
               source_name: str = "", geo_meta: dict | None = None) -> str:
    """RFC 7946 FeatureCollection of Points (lon, lat; 6 decimals) with all columns and metadata."""
    columns = export_columns(events)
    props = _plain_columns(events, columns)
    lon = np.round(events["longitude"].to_numpy(dtype=float), _COORD_DECIMALS).tolist()
    lat = np.round(events["latitude"].to_numpy(dtype=float), _COORD_DECIMALS).tolist()
    features = [
        {"type": "Feature", "id": props["event_id"][i] if "event_id" in props else i,
         "geometry": {"type": "Point", "coordinates": [lon[i], lat[i]]},
         "properties": {c: props[c][i] for c in columns}}
        for i in range(len(events))
    ]
    collection = {"type": "FeatureCollection", "metadata": metadata(events, spec, generated, source_name, geo_meta), "features": features}
    return json.dumps(collection, ensure_ascii=False, allow_nan=False)


def to_csv(events: pd.DataFrame) -> str:
    """CSV of all columns; text cells that a spreadsheet would run as a formula are neutralised."""
    columns = export_columns(events)
    frame = pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in _plain_columns(events, columns).items()}, columns=columns)
    for col in columns:
        if schema.COLUMN_NAMES.count(col) == 0 or schema.column(col).kind == "str":
            frame[col] = neutralise_formulas(frame[col])
    return frame.to_csv(index=False, lineterminator="\n")


def rejected_csv(rejected: pd.DataFrame) -> bytes:
    """The rejected-rows table as CSV, with the raw values neutralised like every CSV export."""
    return rejected.assign(value=neutralise_formulas(rejected["value"])).to_csv(index=False).encode("utf-8")


def neutralise_formulas(values: pd.Series) -> pd.Series:
    """Prefix with ' the text cells starting with = + - @ tab or CR (OWASP CSV injection)."""
    text = values.astype(object)
    risky = text.str.startswith(_FORMULA_START).fillna(False).astype(bool) if len(text) else pd.Series(False, index=text.index)
    return text.where(~risky, "'" + text.astype(str))


_DATE_COLUMNS = tuple(c.name for c in schema.COLUMNS if c.kind == "date")


def to_gpkg(events: gpd.GeoDataFrame, path: str | Path, spec: FilterSpec | None = None, geo_meta: dict | None = None) -> Path:
    """Write a GeoPackage with one layer ``events`` (EPSG:4326) to ``path``; its description
    credits the geography whose metadata is ``geo_meta`` (default the ``GEO_DIR`` setting's)."""
    path = Path(path)
    frame = gpd.GeoDataFrame(events[export_columns(events)].copy(), geometry=events.geometry.to_numpy(), crs=schema.CRS)
    for col in _DATE_COLUMNS:
        if col in frame:  # ISO text, as in the other exports (an empty end date stays null)
            frame[col] = frame[col].dt.strftime("%Y-%m-%d")
    description = f"mapdata export; filters: {(spec or FilterSpec()).describe()}. {credits.boundaries(geo_meta)}"
    frame.to_file(path, driver="GPKG", layer="events", engine="pyogrio", layer_options={"DESCRIPTION": description})
    return path


def _geojson_bytes(events: gpd.GeoDataFrame, spec: FilterSpec | None, generated: datetime | None, source_name: str,
                   geo_meta: dict | None) -> bytes:
    return to_geojson(events, spec, generated, source_name, geo_meta).encode("utf-8")


def _csv_bytes(events: gpd.GeoDataFrame, spec: FilterSpec | None, generated: datetime | None, source_name: str,
               geo_meta: dict | None) -> bytes:
    return to_csv(events).encode("utf-8")


def _gpkg_bytes(events: gpd.GeoDataFrame, spec: FilterSpec | None, generated: datetime | None, source_name: str,
                geo_meta: dict | None) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        return to_gpkg(events, Path(tmp) / "events.gpkg", spec, geo_meta).read_bytes()


FORMATS: dict[str, ExportFormat] = {f.name: f for f in (
    ExportFormat("geojson", "GeoJSON (RFC 7946)", ".geojson", "application/geo+json", _geojson_bytes),
    ExportFormat("csv", "CSV (safe for spreadsheets)", ".csv", "text/csv", _csv_bytes),
    ExportFormat("gpkg", "GeoPackage", ".gpkg", "application/geopackage+sqlite3", _gpkg_bytes),
)}
"""Every export format by name, in the order the app offers them."""


def export_bytes(events: gpd.GeoDataFrame, fmt: str, spec: FilterSpec | None = None,
                 generated: datetime | None = None, source_name: str = "", geo_meta: dict | None = None) -> bytes:
    """The export in ``fmt`` (a name in :data:`FORMATS`) as bytes: what the CLI writes and the app
    offers; ``geo_meta`` is the metadata of the geography the events were joined to (its credit)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    return FORMATS[fmt].write(events, spec, generated, source_name, geo_meta)


def _plain_columns(events: pd.DataFrame, columns: list[str]) -> dict[str, list]:
    """Column values as JSON-ready Python lists: ISO dates, None for missing, no numpy types."""
    out: dict[str, list] = {}
    for col in columns:
        series = events[col]
        if pd.api.types.is_datetime64_any_dtype(series):
            values = series.dt.strftime("%Y-%m-%d").astype(object).where(series.notna(), None).tolist()
        elif pd.api.types.is_bool_dtype(series):
            values = [bool(v) for v in series.tolist()]
        else:
            values = series.astype(object).where(series.notna(), None).tolist()
            if not pd.api.types.is_string_dtype(series):  # text is already plain: str or None
                values = [_plain_value(v) for v in values]
        out[col] = values
    return out


def _plain_value(value: object) -> object:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    return value


def _uses_geonames(events: pd.DataFrame) -> bool:
    return "coord_source" in events and bool(events["coord_source"].astype(str).str.contains("GeoNames", regex=False).any())
