"""Administrative-boundary files in the layouts people have, read into one table of units.

A *layout* says how to find a unit's id, English name, alternative names, country and level in
a file's columns; :data:`LAYOUTS` is the registry (geoBoundaries, GADM, HDX COD-AB, and plain
columns named by the user). Every file is brought to WGS84 and its invalid geometries are
repaired; what was repaired or guessed is reported, never hidden. A GeoPackage or a zipped
folder of shapefiles is read layer by layer. Units of level ``ADM0`` are country outlines.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from .names import find_country, suggest_countries
from .errors import GeoDataError

CRS = "EPSG:4326"

UNIT_COLUMNS = ("unit_id", "name_en", "names_alt", "country_iso3", "admin_level", "source", "licence")
"""The columns of a units table (plus ``geometry``); ``names_alt`` joined by ``|``."""

LICENCE_UNKNOWN = "licence unknown"

_POLYGONAL = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class Options:
    """What the user says about files whose layout does not tell: column names, country, level,
    source and licence (each ``None`` = detect)."""

    name_column: str | None = None
    id_column: str | None = None
    country: str | None = None
    level: str | None = None
    source: str | None = None
    licence: str | None = None


@dataclass
class Units:
    """The units read from one file (or one layer of it), with what the reading had to say."""

    frame: gpd.GeoDataFrame
    label: str
    layout: str
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Credit:
    source: str
    licence: str | None


@dataclass(frozen=True)
class Layout:
    """One boundary layout: how to recognise it from the column names and how to read it."""

    name: str
    describe: str
    detect: Callable[[list[str]], bool]
    read: Callable[[gpd.GeoDataFrame, Path, Options], tuple[pd.DataFrame, _Credit]]


def read_boundaries(path: Path, options: Options = Options()) -> list[Units]:
    """Read a boundary file (every polygon layer of it) into units tables, one per layer."""
    path = Path(path)
    if not path.is_file():
        raise GeoDataError(f"Boundary file not found: {path}")
    return [_read_layer(path, layer, options) for layer in _polygon_layers(path)]


def country_code(value: str) -> str:
    """ISO3 code for an ISO3 or ISO2 code, English name or variant; GeoDataError if unknown."""
    code = find_country(value)
    if not code:
        close = suggest_countries(value)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise GeoDataError(f"Unknown country {value!r}{hint}: give an ISO3 code (e.g. UKR) or the English name.")
    return code


def short_licence(text: str) -> str:
    """The usual short form of a licence name (``ODbL 1.0``, ``CC BY-SA 3.0``); other text unchanged."""
    text = str(text).strip()
    if re.match(r"open data commons open database licen[cs]e", text, re.I):
        version = re.search(r"(\d\.\d)", text)
        return "ODbL" + (f" {version.group(1)}" if version else "")
    match = re.match(r"creative commons attribution((?:[- ](?:sharealike|noncommercial|noderivatives|noderivs))*)\s*(\d\.\d)?", text, re.I)
    if match:
        parts = {"sharealike": "SA", "noncommercial": "NC", "noderivatives": "ND", "noderivs": "ND"}
        kinds = [parts[p.lower()] for p in re.findall(r"[a-z]+", match.group(1), re.I)]
        return " ".join(filter(None, ["CC", "-".join(["BY", *kinds]), match.group(2)]))
    return text


# --- layers and geometry ---------------------------------------------------------------------


def _polygon_layers(path: Path) -> list[str | None]:
    """The polygon layers of ``path`` (None: the file's only layer)."""
    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise GeoDataError(f"Cannot read boundary file {path}: {exc}") from exc
    if len(layers) <= 1:
        return [None]
    polygons = [str(name) for name, kind in layers if kind is None or "Polygon" in str(kind)]
    if not polygons:
        raise GeoDataError(f"Boundary file {path} has no polygon layer (layers: {', '.join(str(n) for n, _ in layers)}).")
    return sorted(polygons)


def _read_layer(path: Path, layer: str | None, options: Options) -> Units:
    label = f"{path.name}:{layer}" if layer else path.name
    try:
        frame = gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)
    except Exception as exc:
        raise GeoDataError(f"Cannot read boundary file {label}: {exc}") from exc
    if frame.empty:
        raise GeoDataError(f"Boundary file {label} has no features.")
    layout = _layout(list(frame.columns), label, options)
    units = Units(frame, label, layout.name)
    frame = _to_wgs84(frame, units)
    table, credit = layout.read(frame, path, options)
    geometry, repaired = _repair(frame.geometry.to_numpy())
    if repaired:
        units.notes.append(f"{label}: repaired {repaired} invalid geometr{'y' if repaired == 1 else 'ies'} (make_valid)")
    licence = options.licence or credit.licence
    if not licence:
        units.warnings.append(f"{label}: no licence found (no metadata, no --licence); credited as '{LICENCE_UNKNOWN}'")
    table = table.assign(source=options.source or credit.source, licence=licence or LICENCE_UNKNOWN)
    units.frame = gpd.GeoDataFrame(table[list(UNIT_COLUMNS)].reset_index(drop=True), geometry=geometry, crs=CRS)
    empty = units.frame.geometry.is_empty | units.frame.geometry.isna()
    if empty.any():
        units.warnings.append(f"{label}: {int(empty.sum())} feature(s) without a polygon left out")
        units.frame = units.frame[~empty.to_numpy()].reset_index(drop=True)
    return units


def _to_wgs84(frame: gpd.GeoDataFrame, units: Units) -> gpd.GeoDataFrame:
    if frame.crs is None:
        x0, y0, x1, y1 = frame.total_bounds
        if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
            raise GeoDataError(f"{units.label} has no CRS and its coordinates are not longitude/latitude; "
                               "add the .prj file (shapefile) or convert it to WGS84.")
        units.notes.append(f"{units.label}: no CRS given; read as WGS84 longitude/latitude")
        return frame.set_crs(CRS)
    if not frame.crs.equals(CRS):
        units.notes.append(f"{units.label}: reprojected from {frame.crs.to_string()} to WGS84")
        return frame.to_crs(CRS)
    return frame


def _repair(geometry: np.ndarray) -> tuple[np.ndarray, int]:
    """Valid polygonal geometries (lines and points left by a repair are dropped); how many were invalid."""
    invalid = ~shapely.is_valid(geometry) & ~shapely.is_missing(geometry)
    fixed = geometry.copy()
    fixed[invalid] = [_polygonal(g) for g in shapely.make_valid(geometry[invalid])]
    return fixed, int(invalid.sum())


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    if geometry.geom_type in _POLYGONAL:
        return geometry
    parts = [p for p in shapely.get_parts(geometry) if p.geom_type in _POLYGONAL]
    return shapely.union_all(parts) if parts else shapely.Polygon()


# --- layouts ---------------------------------------------------------------------------------


def _layout(columns: list[str], label: str, options: Options) -> Layout:
    if options.name_column:
        return _COLUMNS
    for layout in LAYOUTS:
        if layout.detect(columns):
            return layout
    known = "; ".join(f"{layout.name}: {layout.describe}" for layout in LAYOUTS)
    raise GeoDataError(f"Cannot tell the layout of {label} (columns: {', '.join(columns)}). "
                       f"Known layouts — {known}. Otherwise name the columns with --name-column "
                       "(and --id-column, --country, --level).")


def _text(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


def _alt_names(frame: pd.DataFrame, columns: list[str], primary: pd.Series) -> list[str]:
    """Per row: the distinct non-empty names of ``columns`` (each may hold several joined by ``|``),
    without the primary name."""
    out = []
    texts = [_text(frame[c]) for c in columns]
    for row, own in enumerate(primary):
        names: list[str] = []
        for text in texts:
            for name in text.iloc[row].split("|"):
                name = name.strip()
                if name and name != own and name not in names:
                    names.append(name)
        out.append("|".join(names))
    return out


def _table(ids, names: pd.Series, alt: list[str], country, level: str) -> pd.DataFrame:
    return pd.DataFrame({"unit_id": list(ids), "name_en": list(names), "names_alt": alt,
                         "country_iso3": country, "admin_level": level})


def _level_from(text: str | None, label: str) -> str:
    match = re.fullmatch(r"(?:ADM)?\s*(\d)", str(text or "").strip(), re.I)
    if not match:
        raise GeoDataError(f"{label}: cannot tell the administrative level; give --level (e.g. ADM1 or 1).")
    return f"ADM{match.group(1)}"


# geoBoundaries: shapeName, shapeID, shapeGroup (ISO3), shapeType (ADMn); metadata JSON beside it.

_GB_FILE = re.compile(r"geoBoundaries-([A-Z]{3})-(ADM\d)", re.I)


def _gb_metadata(path: Path) -> dict:
    match = _GB_FILE.search(path.name)
    if not match:
        return {}
    meta = path.with_name(f"geoBoundaries-{match.group(1).upper()}-{match.group(2).upper()}-metaData.json")
    if not meta.is_file():
        return {}
    try:
        return json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GeoDataError(f"Cannot read geoBoundaries metadata {meta}: {exc}") from exc


def _read_geoboundaries(frame: gpd.GeoDataFrame, path: Path, options: Options) -> tuple[pd.DataFrame, _Credit]:
    meta = _gb_metadata(path)
    from_name = _GB_FILE.search(path.name)
    country = options.country or meta.get("boundaryISO") or (from_name.group(1) if from_name else None)
    countries = _text(frame["shapeGroup"]) if "shapeGroup" in frame and not options.country else None
    if countries is None or (countries == "").any():
        if not country:
            raise GeoDataError(f"{path.name}: no country in the file or its name; give --country.")
        countries = pd.Series(country_code(country), index=frame.index)
    level_text = options.level or meta.get("boundaryType") or (from_name.group(2) if from_name else None)
    if not level_text and "shapeType" in frame:
        level_text = _text(frame["shapeType"]).iloc[0]
    level = _level_from(level_text, path.name)
    names = _text(frame["shapeName"])
    table = _table(_text(frame["shapeID"]), names, [""] * len(frame), countries.map(country_code).to_numpy(), level)
    iso = "/".join(sorted(set(table["country_iso3"])))
    if meta:
        release = re.search(r"/(gb[A-Z][a-z]+)/", meta.get("downloadURL", ""))
        origin = meta.get("boundarySource-1", "") or meta.get("boundarySource", "")
        source = " ".join(filter(None, ["geoBoundaries", release.group(1) if release else "", iso, level]))
        licence = meta.get("boundaryLicense")
        return table, _Credit(f"{source} ({origin})" if origin else source, short_licence(licence) if licence else None)
    return table, _Credit(f"geoBoundaries {iso} {level} ({path.name})", None)


# GADM: GID_n, NAME_n, VARNAME_n, NL_NAME_n (n = the file's level); GID_0 is the ISO3 code.


def _gadm_level(columns: list[str]) -> int:
    return max(int(m.group(1)) for c in columns if (m := re.fullmatch(r"GID_(\d)", c)))


def _read_gadm(frame: gpd.GeoDataFrame, path: Path, options: Options) -> tuple[pd.DataFrame, _Credit]:
    n = _gadm_level(list(frame.columns))
    name_column = f"NAME_{n}" if n else ("COUNTRY" if "COUNTRY" in frame else "NAME_0")
    names = _text(frame[name_column])
    alt_columns = [c for c in (f"VARNAME_{n}", f"NL_NAME_{n}") if c in frame]
    country = pd.Series(country_code(options.country), index=frame.index) if options.country else _text(frame["GID_0"]).map(country_code)
    table = _table(_text(frame[f"GID_{n}"]), names, _alt_names(frame, alt_columns, names), country.to_numpy(), f"ADM{n}")
    version = re.search(r"gadm(\d)(\d)", path.name, re.I)
    release = f"GADM {version.group(1)}.{version.group(2)}" if version else "GADM"
    return table, _Credit(f"{release} {'/'.join(sorted(set(table['country_iso3'])))} level {n} ({path.name})", None)


# HDX COD-AB: ADMn_EN (or another language), ADMn_PCODE, other ADMn_xx names; ADM0_PCODE is ISO2.


def _cod_level(columns: list[str]) -> int:
    return max(int(m.group(1)) for c in columns if (m := re.fullmatch(r"ADM(\d)_PCODE", c, re.I)))


def _read_cod(frame: gpd.GeoDataFrame, path: Path, options: Options) -> tuple[pd.DataFrame, _Credit]:
    columns = {c.upper(): c for c in frame.columns}
    n = _cod_level(list(frame.columns))
    names_at = [columns[c] for c in columns if re.fullmatch(rf"ADM{n}(_[A-Z]{{2}}|_REF|ALT\d[A-Z]{{2}})", c)]
    primary = columns.get(f"ADM{n}_EN") or next((c for c in names_at if re.fullmatch(rf"ADM{n}_[A-Z]{{2}}", c, re.I)), None)
    if primary is None:
        raise GeoDataError(f"{path.name}: COD-AB layout without an ADM{n}_<language> name column; give --name-column.")
    names = _text(frame[primary])
    if options.country:
        country = pd.Series(country_code(options.country), index=frame.index)
    else:
        given = columns.get("ADM0_PCODE") or columns.get("ADM0_EN")
        if given is None:
            raise GeoDataError(f"{path.name}: no ADM0_PCODE or ADM0_EN column to tell the country; give --country.")
        country = _text(frame[given]).map(country_code)
    alt = _alt_names(frame, [c for c in names_at if c != primary], names)
    table = _table(_text(frame[columns[f"ADM{n}_PCODE"]]), names, alt, country.to_numpy(), f"ADM{n}")
    return table, _Credit(f"HDX COD-AB {'/'.join(sorted(set(table['country_iso3'])))} ADM{n} ({path.name})", None)


# Any polygon layer: the user names the columns.


def _read_columns(frame: gpd.GeoDataFrame, path: Path, options: Options) -> tuple[pd.DataFrame, _Credit]:
    wanted = [c for c in (options.name_column, options.id_column) if c]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise GeoDataError(f"{path.name} has no column(s) {', '.join(missing)} (columns: {', '.join(map(str, frame.columns))}).")
    if not options.country:
        raise GeoDataError(f"{path.name}: give --country (ISO3 code or English name) for a layer named by --name-column.")
    iso3 = country_code(options.country)
    level = _level_from(options.level or "1", path.name)
    names = _text(frame[options.name_column])
    ids = _text(frame[options.id_column]) if options.id_column else [f"{iso3}-{level}-{i + 1}" for i in range(len(frame))]
    alt_columns = [c for c in frame.columns if c not in wanted and "name" in str(c).lower() and pd.api.types.is_string_dtype(frame[c])]
    table = _table(ids, names, _alt_names(frame, alt_columns, names), iso3, level)
    return table, _Credit(f"{path.name} ({iso3} {level})", None)


_COLUMNS = Layout("columns", "any polygon layer, with --name-column [--id-column] --country [--level]",
                  lambda columns: False, _read_columns)

LAYOUTS: tuple[Layout, ...] = (
    Layout("geoBoundaries", "shapeName, shapeID (+ metadata JSON beside the file)",
           lambda columns: {"shapeName", "shapeID"} <= set(columns), _read_geoboundaries),
    Layout("GADM", "GID_n, NAME_n, VARNAME_n, NL_NAME_n",
           lambda columns: any(re.fullmatch(r"GID_\d", c) for c in columns), _read_gadm),
    Layout("COD-AB", "ADMn_EN / ADMn_<language>, ADMn_PCODE",
           lambda columns: any(re.fullmatch(r"ADM\d_PCODE", c, re.I) for c in columns), _read_cod),
    _COLUMNS,
)
"""The boundary layouts, tried in this order; ``columns`` only when named by --name-column."""
