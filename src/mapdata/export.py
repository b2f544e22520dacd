"""Exports of (filtered) events: RFC 7946 GeoJSON, CSV safe to open in a spreadsheet, GeoPackage.

:data:`FORMATS` is the registry of export formats (name, label, suffix, MIME type, writer): the
command line's ``--format`` choices and the Data & export page's downloads are read from it.
Adding an export format: a writer function, a chunk writer (the same file written a piece at a
time, for :mod:`mapdata.stream`) and its entry in :data:`FORMATS`. The CLI and the app call the
same functions, so the same filter gives the same file.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from json.encoder import encode_basestring  # json.dumps' string encoder (C) with ensure_ascii=False
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd

from . import credits, schema
from .area import area_geojson
from .filters import FilterSpec

Writer = Callable[[gpd.GeoDataFrame, FilterSpec | None, datetime | None, str, dict | None], bytes]
"""(events, filter, generation time, events file name, geography metadata) → the file's bytes."""


class ChunkWriter(Protocol):
    """Writes one export file from pieces of the selection, in order: the file equals what the
    format's :data:`Writer` makes of all the pieces together."""

    def add(self, events: gpd.GeoDataFrame) -> None:
        """Append the next events (the first call's columns are every call's columns)."""

    def close(self) -> None:
        """Finish the file (an empty selection gives a valid, empty file)."""


ChunkWriterFactory = Callable[[Path, "FilterSpec | None", "datetime | None", str, "dict | None"], ChunkWriter]
"""(path, filter, generation time, events file name, geography metadata) → a :class:`ChunkWriter`
writing ``path``."""


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its name (``--format``), a label for the download button, the file
    suffix, the MIME type, the writer that makes the file's bytes, and the chunk writer that
    writes the same file piece by piece."""

    name: str
    label: str
    suffix: str
    mime: str
    write: Writer
    chunks: ChunkWriterFactory


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
    return _metadata(len(events), _uses_geonames(events), spec, generated, source_name, geo_meta)


def _metadata(count: int, geonames: bool, spec: FilterSpec | None, generated: datetime | None, source_name: str,
              geo_meta: dict | None) -> dict:
    """:func:`metadata` from the count and whether a coordinate came from GeoNames."""
    spec = spec or FilterSpec()
    return {
        "title": "Conflict incidents (mapdata export)",
        "generated": (generated or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        "count": int(count),
        "filters": spec.to_query(),
        "filters_text": spec.describe(),
        **({"area": area_geojson(spec.area)} if spec.area else {}),
        "events_file": source_name,
        "sources": "Each feature names its own source and source_url; fatality figures say who claimed them.",
        "licences": [credits.boundaries(geo_meta)] + ([credits.GEONAMES] if geonames else []),
        "geo_precision": {str(k): v for k, v in schema.GEO_PRECISION_LABELS.items()},
        "caveats": "Summed fatalities undercount multi-site episodes whose per-site figures are unknown; "
                   "precision-3 points are reference points, not incident sites.",
    }


def to_geojson(events: pd.DataFrame, spec: FilterSpec | None = None, generated: datetime | None = None,
               source_name: str = "", geo_meta: dict | None = None) -> str:
    """RFC 7946 FeatureCollection of Points (lon, lat; 6 decimals) with all columns and metadata:
    ``json.dumps(collection, ensure_ascii=False, allow_nan=False)`` of the collection, with the
    features written column by column (:func:`_features`)."""
    head, tail = _collection(metadata(events, spec, generated, source_name, geo_meta))
    return head + _features(events) + tail


def _collection(meta: dict) -> tuple[str, str]:
    """The FeatureCollection's text before and after its features (``json.dumps`` of the whole)."""
    empty = json.dumps({"type": "FeatureCollection", "metadata": meta, "features": []}, ensure_ascii=False, allow_nan=False)
    return empty[:-2], empty[-2:]


def _features(events: pd.DataFrame, first: int = 0) -> str:
    """The events as GeoJSON Features separated as ``json.dumps`` separates list items (``first``:
    the position of the first event in the whole export, its id when it has no event_id), each
    with the text ``json.dumps`` gives it: every column is encoded at once (the same C string
    encoder and ``repr`` of numbers), then one ``%`` template per feature joins them; building a
    dict per feature and encoding those took ~3/4 of a 100k-event export."""
    columns = export_columns(events)
    encoded = {c: _json_column(events[c]) for c in columns}
    lon, lat = (_json_numbers(np.round(events[c].to_numpy(dtype=float), _COORD_DECIMALS)) for c in ("longitude", "latitude"))
    ids = encoded["event_id"] if "event_id" in encoded else [repr(first + i) for i in range(len(events))]
    keys = ", ".join(encode_basestring(c).replace("%", "%%") + ": %s" for c in columns)
    template = '{"type": "Feature", "id": %s, "geometry": {"type": "Point", "coordinates": [%s, %s]}, "properties": {' + keys + "}}"
    return ", ".join(template % row for row in zip(ids, lon, lat, *encoded.values()))


def to_csv(events: pd.DataFrame, header: bool = True) -> str:
    """CSV of all columns; text cells that a spreadsheet would run as a formula are neutralised.
    Without ``header``, the rows only (the next piece of a file being written)."""
    columns = export_columns(events)
    frame = pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in _plain_columns(events, columns).items()}, columns=columns)
    for col in columns:
        if schema.COLUMN_NAMES.count(col) == 0 or schema.column(col).kind == "str":
            frame[col] = neutralise_formulas(frame[col])
    return frame.to_csv(index=False, lineterminator="\n", header=header)


def rejected_csv(rejected: pd.DataFrame) -> bytes:
    """The rejected-rows table as CSV, with the raw values neutralised like every CSV export."""
    return rejected.assign(value=neutralise_formulas(rejected["value"])).to_csv(index=False).encode("utf-8")


def neutralise_formulas(values: pd.Series) -> pd.Series:
    """Prefix with ' the text cells starting with = + - @ tab or CR (OWASP CSV injection)."""
    text = values.astype(object)
    risky = text.str.startswith(_FORMULA_START).fillna(False).astype(bool) if len(text) else pd.Series(False, index=text.index)
    return text.where(~risky, "'" + text.astype(str))


_DATE_COLUMNS = tuple(c.name for c in schema.COLUMNS if c.kind == "date")


def to_gpkg(events: gpd.GeoDataFrame, path: str | Path, spec: FilterSpec | None = None, geo_meta: dict | None = None,
            append: bool = False) -> Path:
    """Write a GeoPackage with one layer ``events`` (EPSG:4326) to ``path``; its description
    credits the geography whose metadata is ``geo_meta`` (default the ``GEO_DIR`` setting's).
    With ``append``, add the events to the layer a first call wrote."""
    path = Path(path)
    frame = gpd.GeoDataFrame(events[export_columns(events)].copy(), geometry=events.geometry.to_numpy(), crs=schema.CRS)
    for col in _DATE_COLUMNS:
        if col in frame:  # ISO text, as in the other exports (an empty end date stays null)
            frame[col] = frame[col].dt.strftime("%Y-%m-%d")
    if append:
        frame.to_file(path, driver="GPKG", layer="events", engine="pyogrio", mode="a")
        return path
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


class _GeoJsonChunks:
    """GeoJSON whose metadata (count, licences) is known at the end: the features go to an
    anonymous temporary file first, then the collection is written around them."""

    def __init__(self, path: Path, spec: FilterSpec | None, generated: datetime | None, source_name: str,
                 geo_meta: dict | None) -> None:
        self.path, self.spec, self.generated, self.source_name, self.geo_meta = path, spec, generated, source_name, geo_meta
        self.features = tempfile.TemporaryFile("w+", encoding="utf-8", dir=path.parent)
        self.count, self.geonames = 0, False

    def add(self, events: gpd.GeoDataFrame) -> None:
        if len(events):
            self.features.write((", " if self.count else "") + _features(events, self.count))
            self.count += len(events)
            self.geonames = self.geonames or _uses_geonames(events)

    def close(self) -> None:
        head, tail = _collection(_metadata(self.count, self.geonames, self.spec, self.generated, self.source_name, self.geo_meta))
        with self.features, self.path.open("w", encoding="utf-8") as out:
            self.features.seek(0)
            out.write(head)
            shutil.copyfileobj(self.features, out, 1 << 22)
            out.write(tail)


class _CsvChunks:
    """CSV: the header with the first piece, rows after."""

    def __init__(self, path: Path, spec: FilterSpec | None, generated: datetime | None, source_name: str,
                 geo_meta: dict | None) -> None:
        self.out = path.open("w", encoding="utf-8", newline="")
        self.header = True

    def add(self, events: gpd.GeoDataFrame) -> None:
        if len(events) or self.header:
            self.out.write(to_csv(events, header=self.header))
            self.header = False

    def close(self) -> None:
        self.out.close()


class _GpkgChunks:
    """GeoPackage: the layer is made with the first events (so that its geometry type is known:
    Point) and appended to after; a selection without events writes the empty layer at the end."""

    def __init__(self, path: Path, spec: FilterSpec | None, generated: datetime | None, source_name: str,
                 geo_meta: dict | None) -> None:
        self.path, self.spec, self.geo_meta = path, spec, geo_meta
        self.made = False
        self.empty: gpd.GeoDataFrame | None = None

    def add(self, events: gpd.GeoDataFrame) -> None:
        if len(events):
            to_gpkg(events, self.path, self.spec, self.geo_meta, append=self.made)
            self.made = True
        elif self.empty is None:
            self.empty = events

    def close(self) -> None:
        if not self.made and self.empty is not None:
            to_gpkg(self.empty, self.path, self.spec, self.geo_meta)


FORMATS: dict[str, ExportFormat] = {f.name: f for f in (
    ExportFormat("geojson", "GeoJSON (RFC 7946)", ".geojson", "application/geo+json", _geojson_bytes, _GeoJsonChunks),
    ExportFormat("csv", "CSV (safe for spreadsheets)", ".csv", "text/csv", _csv_bytes, _CsvChunks),
    ExportFormat("gpkg", "GeoPackage", ".gpkg", "application/geopackage+sqlite3", _gpkg_bytes, _GpkgChunks),
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


def _json_column(series: pd.Series) -> list[str]:
    """Each value of a column as ``json.dumps`` writes the value :func:`_plain_columns` gives it."""
    missing = series.isna().to_numpy()
    if pd.api.types.is_datetime64_any_dtype(series):
        texts = [f'"{v}"' for v in series.dt.strftime("%Y-%m-%d").fillna("").tolist()]
    elif pd.api.types.is_bool_dtype(series):
        texts = np.where(series.fillna(False).to_numpy(dtype=bool), "true", "false").tolist()
    elif pd.api.types.is_integer_dtype(series):
        texts = list(map(int.__repr__, series.fillna(0).to_numpy(dtype="int64").tolist()))
    elif pd.api.types.is_float_dtype(series):
        return _json_numbers(series.to_numpy(dtype=float))
    elif isinstance(series.dtype, pd.StringDtype):  # str or missing, nothing else
        texts = list(map(encode_basestring, series.fillna("").tolist()))
    else:
        return [json.dumps(v, ensure_ascii=False, allow_nan=False) for v in _plain_columns(series.to_frame(), [series.name])[series.name]]
    return _with_null(texts, missing)


def _json_numbers(values: np.ndarray) -> list[str]:
    """Floats as ``json.dumps`` writes them (``repr``); NaN as null (:func:`_plain_value`), and
    infinity refused as ``allow_nan=False`` refuses it."""
    missing = np.isnan(values)
    if np.isinf(values).any():
        raise ValueError("Out of range float values are not JSON compliant")
    return _with_null(list(map(float.__repr__, values.tolist())), missing)


def _with_null(texts: list[str], missing: np.ndarray) -> list[str]:
    if missing.any():
        for i in np.flatnonzero(missing).tolist():
            texts[i] = "null"
    return texts


def _plain_value(value: object) -> object:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    return value


def _uses_geonames(events: pd.DataFrame) -> bool:
    return "coord_source" in events and bool(events["coord_source"].astype(str).str.contains("GeoNames", regex=False).any())
