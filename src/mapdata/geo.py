"""The boundary layers the app ships: regions, countries and the Armenia–Azerbaijan border.

`build_geo` turns the geoBoundaries source files (see ``geo/README.md``) into three small GeoJSON
files in ``geo/``; the ``load_*`` functions read them back. Building is deterministic: the same
sources give the same bytes, so the committed layers can be checked against their recipe.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from mapdata import config
from mapdata.errors import GeoDataError
from mapdata.schema import CRS


_REGION_COLUMNS = ("region_id", "name_en", "names_alt", "country_iso3", "admin_level", "source", "licence")
_COUNTRY_COLUMNS = ("iso3", "name", "source", "licence")
_BORDER_COLUMNS = ("name", "tolerance_km", "source", "licence")

_SHIPPED_LAYERS: dict[str, tuple[tuple, gpd.GeoDataFrame]] = {}
"""The shipped layers read so far in this process: layer → ((path, size, mtime, columns), frame)."""

_PRECISION = 5  # decimals of a degree written to the files (~1 m)
_GRID = 10.0**-_PRECISION
_MIN_BORDER_PIECE_KM = 1.0
_BORDER_NAME = "Armenia–Azerbaijan state border (derived)"
_BORDER_LICENCE = "ODbL 1.0 (derived from geoBoundaries ARM ADM0 / OpenStreetMap)"


@dataclass(frozen=True)
class _Source:
    """One geoBoundaries file and the credit every feature taken from it carries."""

    file: str
    iso3: str
    level: str
    source: str
    licence: str


_AZE_ADM2 = _Source(
    "geoBoundaries-AZE-ADM2_simplified.topojson", "AZE", "ADM2",
    "geoBoundaries gbOpen AZE ADM2 (Wikipedia)", "CC BY-SA 3.0",
)
_ARM_ADM1 = _Source(
    "geoBoundaries-ARM-ADM1_simplified.topojson", "ARM", "ADM1",
    "geoBoundaries gbOpen ARM ADM1 (OpenStreetMap)", "ODbL 1.0",
)
_ARM_ADM0 = _Source(
    "geoBoundaries-ARM-ADM0_simplified.topojson", "ARM", "ADM0",
    "geoBoundaries gbOpen ARM ADM0 (OpenStreetMap)", "ODbL 1.0",
)

# AZE ADM2 labels two units "Lankaran District". This one is 2 km from the real Lankaran District
# and shares edges with Neftchala (66 km) and Masally (23 km); it is kept as its own unit under an
# honest name rather than merged into either (see geo/README.md).
_RENAMED = {
    "AZE-ADM2-54616110B26341487": "Unit between Neftchala and Masally (labelled 'Lankaran District' in source)",
}

# Regions named after a gazetteer place: region name_en -> gazetteer place_id. The place's
# spellings name the region too (Sadarak District is named after Sadarak village, not its seat).
_NAMESAKES = {
    "Agstafa District": "GAZ-0065",
    "Dashkasan District": "GAZ-0067",
    "Gadabay District": "GAZ-0066",
    "Julfa District": "GAZ-0087",
    "Kalbajar District": "GAZ-0068",
    "Lachin District": "GAZ-0073",
    "Ordubad District": "GAZ-0088",
    "Qazakh District": "GAZ-0058",
    "Qubadli District": "GAZ-0076",
    "Sadarak District": "GAZ-0084",
    "Sharur District": "GAZ-0086",
    "Shusha City": "GAZ-0082",
    "Shusha District": "GAZ-0082",
    "Tovuz District": "GAZ-0055",
    "Zangilan District": "GAZ-0078",
}

# Gazetteer spellings that name the town only (former or other names), or another place.
_NOT_REGION_NAMES = frozenset({
    "Novaya Akstafa", "Новая Акстафа",  # Gazakh town 1939–1959
    "Karhat", "Dastafur", "Dəstəfur",  # Dashkasan: medieval name; district name until 1956
    "Nor Shahumyan",  # Kalbajar town under Armenian control
    "Abdallyar", "Abdalyar",  # Lachin town's former name
    "Kashunik", "Քաշունիք", "Санасар",  # Gubadli town under Armenian control
    "Kovsakan", "Կովսական", "Kowsakan",  # Zangilan town under Armenian control
    "Bash-Norashen", "Bashnorashen", "Башнорашен", "Norashen", "Ilyichevsk", "İliç",  # Sharur's former names
    "Jolfa",  # also the Iranian town across the Aras
})

# Well-established names not (all) in the gazetteer: the Armenian names of the Karabakh units.
_ESTABLISHED = {
    "Kalbajar District": ("Karvachar", "Քարվաճառ"),
    "Lachin District": ("Berdzor", "Բերձոր"),
    "Shusha City": ("Shushi", "Շուշի"),
    "Shusha District": ("Shushi", "Շուշի"),
    "Khankendi City": ("Stepanakert", "Ստեփանակերտ", "Степанакерт", "Xankəndi", "Ханкенди"),
}


def build_geo(source_dir: Path | None = None, gazetteer: Path | None = None, out_dir: Path | None = None) -> dict[str, Path]:
    """Build ``regions``, ``countries`` and ``border`` GeoJSON into ``out_dir``; return {layer: path}."""
    source_dir = Path(source_dir or config.get("SOURCE_BOUNDARIES"))
    gazetteer = Path(gazetteer or config.get("SOURCE_GAZETTEER"))
    out_dir = Path(out_dir or config.get("GEO_DIR"))
    _check_sources([source_dir / s.file for s in (_AZE_ADM2, _ARM_ADM1, _ARM_ADM0)] + [gazetteer])

    aze = _read_source(source_dir, _AZE_ADM2)
    arm1 = _read_source(source_dir, _ARM_ADM1)
    arm0 = _read_source(source_dir, _ARM_ADM0)
    alt_names = _alt_names(_read_gazetteer(gazetteer))

    layers = {
        "regions": _regions(aze, arm1, alt_names),
        "countries": _countries(aze, arm0),
        "border": _border(arm0, aze, float(config.get("BORDER_TOLERANCE_KM")), config.get("METRIC_CRS")),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    return {name: _write(frame, out_dir / f"{name}.geojson") for name, frame in layers.items()}


def load_regions(path: Path | None = None) -> gpd.GeoDataFrame:
    """Read the shipped regions layer (AZE districts and ARM provinces) in EPSG:4326."""
    frame = _load("regions", path, _REGION_COLUMNS)
    frame["names_alt"] = frame["names_alt"].fillna("")
    return frame


def load_countries(path: Path | None = None) -> gpd.GeoDataFrame:
    """Read the shipped countries layer (Armenia, Azerbaijan) in EPSG:4326."""
    return _load("countries", path, _COUNTRY_COLUMNS)


def load_border(path: Path | None = None) -> gpd.GeoDataFrame:
    """Read the shipped Armenia–Azerbaijan border line in EPSG:4326."""
    frame = _load("border", path, _BORDER_COLUMNS)
    frame["tolerance_km"] = frame["tolerance_km"].astype(float)
    return frame


# --- reading ---------------------------------------------------------------------------------


def _check_sources(paths: list[Path]) -> None:
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise GeoDataError(
            "Boundary source file(s) missing: " + ", ".join(missing)
            + ". Set MAPDATA_SOURCE_BOUNDARIES / MAPDATA_SOURCE_GAZETTEER to the folder/file that holds them."
        )


def _read_source(source_dir: Path, src: _Source) -> gpd.GeoDataFrame:
    """Read one geoBoundaries TopoJSON; the files carry no CRS member, they are WGS84 lon/lat."""
    path = source_dir / src.file
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise GeoDataError(f"Cannot read boundary source {path}: {exc}") from exc
    missing = {"shapeName", "shapeID"} - set(frame.columns)
    if missing or frame.empty:
        raise GeoDataError(f"Boundary source {path} has no features or lacks {sorted(missing)}.")
    frame = frame.set_crs(CRS, allow_override=True)
    frame["geometry"] = shapely.make_valid(frame.geometry.values)
    return frame[["shapeID", "shapeName", "geometry"]]


def _read_gazetteer(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"place_id", "name_en", "names_alt", "admin1"} - set(frame.columns)
    if missing:
        raise GeoDataError(f"Gazetteer {path} lacks column(s) {sorted(missing)}.")
    return frame.set_index("place_id")


def _load(layer: str, path: Path | None, columns: tuple[str, ...]) -> gpd.GeoDataFrame:
    """Read a layer file and check its columns; the shipped layers (no ``path``) are read once per
    process and file version, each caller getting its own copy."""
    shipped = path is None
    path = Path(path) if path else config.geo_path(layer)
    hint = "run `mapdata build-geo` to (re)build it"
    if not path.is_file():
        raise GeoDataError(f"Boundary layer '{layer}' not found at {path}; {hint}.")
    if not shipped:
        return _read_layer(layer, path, columns, hint)
    stat = path.stat()
    version = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, columns)
    known = _SHIPPED_LAYERS.get(layer)
    if known is None or known[0] != version:
        known = _SHIPPED_LAYERS[layer] = (version, _read_layer(layer, path, columns, hint))
    return known[1].copy()


def _read_layer(layer: str, path: Path, columns: tuple[str, ...], hint: str) -> gpd.GeoDataFrame:
    try:
        frame = gpd.read_file(path)
    except Exception as exc:
        raise GeoDataError(f"Cannot read boundary layer '{layer}' at {path} ({exc}); {hint}.") from exc
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise GeoDataError(f"Boundary layer '{layer}' at {path} lacks column(s) {missing}; {hint}.")
    frame = frame.set_crs(CRS) if frame.crs is None else frame.to_crs(CRS)
    return frame[[*columns, "geometry"]]


# --- building --------------------------------------------------------------------------------


def _alt_names(gazetteer: pd.DataFrame) -> dict[str, list[str]]:
    """Alternative names per region name_en: namesake spellings from the gazetteer + established ones."""
    names: dict[str, list[str]] = {}
    for region, place_id in _NAMESAKES.items():
        if place_id not in gazetteer.index:
            raise GeoDataError(f"Gazetteer has no {place_id}, the namesake of {region}; update geo._NAMESAKES.")
        row = gazetteer.loc[place_id]
        spellings = [row["name_en"], *row["names_alt"].split("|")]
        names[region] = [s.strip() for s in spellings if s.strip() and s.strip() not in _NOT_REGION_NAMES]
    for region, extra in _ESTABLISHED.items():
        names[region] = names.get(region, []) + list(extra)
    return names


def _join_names(name_en: str, candidates: list[str]) -> str:
    """Unique names in order, without the region's own name or its bare stem ("Kalbajar")."""
    own = {name_en.casefold(), name_en.rsplit(" ", 1)[0].casefold()}
    seen: list[str] = []
    for name in candidates:
        if name.casefold() not in own and name not in seen:
            seen.append(name)
    return "|".join(seen)


def _regions(aze: gpd.GeoDataFrame, arm1: gpd.GeoDataFrame, alt: dict[str, list[str]]) -> gpd.GeoDataFrame:
    parts = []
    for frame, src in ((aze, _AZE_ADM2), (arm1, _ARM_ADM1)):
        names = frame["shapeID"].map(_RENAMED).fillna(frame["shapeName"])
        alt_for = (lambda n: [f"{n} Province"] if n != "Yerevan" else []) if src.iso3 == "ARM" else alt.get
        parts.append(gpd.GeoDataFrame({
            "region_id": frame["shapeID"],
            "name_en": names,
            "names_alt": [_join_names(n, alt_for(n) or []) for n in names],
            "country_iso3": src.iso3,
            "admin_level": src.level,
            "source": src.source,
            "licence": src.licence,
        }, geometry=frame.geometry.values, crs=CRS))
    regions = pd.concat(parts, ignore_index=True)
    duplicated = regions.loc[regions.duplicated(["country_iso3", "name_en"]), "name_en"].tolist()
    if duplicated:
        raise GeoDataError(f"Region names not unique after cleaning: {duplicated}.")
    return regions.sort_values(["country_iso3", "name_en", "region_id"], ignore_index=True)


def _countries(aze: gpd.GeoDataFrame, arm0: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Armenia from its ADM0 outline; Azerbaijan as the union of its districts (exclaves kept)."""
    azerbaijan = shapely.make_valid(shapely.union_all(aze.geometry.values))
    armenia = shapely.make_valid(shapely.union_all(arm0.geometry.values))
    return gpd.GeoDataFrame({
        "iso3": ["ARM", "AZE"],
        "name": ["Armenia", "Azerbaijan"],
        "source": [_ARM_ADM0.source, _AZE_ADM2.source + ", districts dissolved"],
        "licence": [_ARM_ADM0.licence, _AZE_ADM2.licence],
    }, geometry=[armenia, azerbaijan], crs=CRS)


def _border(arm0: gpd.GeoDataFrame, aze: gpd.GeoDataFrame, tolerance_km: float, metric_crs: str) -> gpd.GeoDataFrame:
    """The part of Armenia's outline within ``tolerance_km`` of any Azerbaijani district.

    The buffer is computed in the metric CRS and brought back to lon/lat, so the line keeps the
    outline's own vertices; pieces shorter than 1 km (spurs at the tri-points) are dropped.
    """
    outline = shapely.union_all(arm0.geometry.values).boundary
    aze_metric = shapely.union_all(aze.to_crs(metric_crs).geometry.values)
    near = gpd.GeoSeries([aze_metric.buffer(tolerance_km * 1000)], crs=metric_crs).to_crs(CRS).iloc[0]
    merged = shapely.line_merge(shapely.intersection(outline, near))
    pieces = [g for g in getattr(merged, "geoms", [merged]) if isinstance(g, shapely.LineString)]
    lengths = gpd.GeoSeries(pieces, crs=CRS).to_crs(metric_crs).length / 1000
    kept = [p for p, km in sorted(zip(pieces, lengths), key=lambda t: -t[1]) if km >= _MIN_BORDER_PIECE_KM]
    if not kept:
        raise GeoDataError(f"No border found within {tolerance_km} km; check BORDER_TOLERANCE_KM and the sources.")
    source = (
        f"{_ARM_ADM0.source} outline within {tolerance_km:g} km of {_AZE_ADM2.source}"
    )
    return gpd.GeoDataFrame({
        "name": [_BORDER_NAME],
        "tolerance_km": [tolerance_km],
        "source": [source],
        "licence": [_BORDER_LICENCE],
    }, geometry=[shapely.MultiLineString(kept)], crs=CRS)


# --- writing ---------------------------------------------------------------------------------


def _write(frame: gpd.GeoDataFrame, path: Path) -> Path:
    """Write GeoJSON with fixed precision and no timestamps; atomically replace ``path``."""
    frame = frame.copy()
    frame["geometry"] = shapely.set_precision(frame.geometry.values, _GRID)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    frame.to_file(tmp, driver="GeoJSON", engine="pyogrio", layer=path.stem,
                  RFC7946="YES", COORDINATE_PRECISION=_PRECISION, WRITE_BBOX="NO")
    tmp.write_text(_compact(json.loads(tmp.read_text(encoding="utf-8"))), encoding="utf-8")
    tmp.replace(path)
    return path


def _compact(collection: dict) -> str:
    """GDAL's GeoJSON without its padding spaces: one feature per line (about 20% smaller)."""
    dump = lambda obj: json.dumps(obj, ensure_ascii=False, separators=(",", ":"))  # noqa: E731
    head = dump({k: v for k, v in collection.items() if k != "features"})[:-1]
    features = ",\n".join(dump(f) for f in collection["features"])
    return f'{head},"features":[\n{features}\n]}}\n'
