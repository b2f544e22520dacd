"""Geographies: the folder of boundary layers the app and the command line use.

A geography is data. :func:`build_geography` turns administrative-boundary files of any country
(geoBoundaries, GADM, HDX COD-AB or any polygon layer; see :mod:`mapdata.boundaries`) into a
folder with ``regions``, ``countries`` and ``border`` GeoJSON and ``geography.json`` (countries,
levels, metric CRS, borders, sources, licences and credits). :func:`build_geo` is the same build
over the shipped geoBoundaries files with the shipped region's curated names. The ``load_*``
functions read a geography back (default: the ``GEO_DIR`` setting). Building is deterministic:
the same sources give the same bytes, so a committed geography can be checked against its recipe.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import Geod

from mapdata import config
from mapdata.borders import COLUMNS as _BORDER_COLUMNS, land_borders, user_borders
from mapdata.boundaries import LICENCE_UNKNOWN, Options, Units, read_boundaries
from mapdata.errors import GeoDataError
from mapdata.files import write_atomically, write_text_atomically
from mapdata.names import country_name
from mapdata.schema import CRS


LAYERS = ("regions", "countries", "border")
METADATA = "geography.json"

_REGION_COLUMNS = ("region_id", "name_en", "names_alt", "country_iso3", "admin_level", "source", "licence")
_COUNTRY_COLUMNS = ("iso3", "name", "source", "licence")

_SHIPPED_LAYERS: dict[str, tuple[tuple, gpd.GeoDataFrame]] = {}
"""The shipped layers read so far in this process: layer → ((path, size, mtime, columns), frame)."""

_PRECISION = 5  # decimals of a degree written to the files (~1 m)
_GRID = 10.0**-_PRECISION
_GEOD = Geod(ellps="WGS84")

# The shipped geography: geoBoundaries files in SOURCE_BOUNDARIES, curated with the gazetteer.
_SHIPPED_FILES = (
    "geoBoundaries-AZE-ADM2_simplified.topojson",
    "geoBoundaries-ARM-ADM1_simplified.topojson",
    "geoBoundaries-ARM-ADM0_simplified.topojson",
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


@dataclass
class GeoBuild:
    """What a build wrote and had to say: the files, counts, notes and warnings."""

    paths: dict[str, Path]
    metadata: dict
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary_lines(self) -> list[str]:
        """What the geography holds, one line each: regions by country and level, countries,
        border lines (or why ``border_km`` will be empty), metric CRS. The CLI prints them, the
        Import page shows them."""
        meta = self.metadata
        levels = "; ".join(f"{iso3} {', '.join(levels)}" for iso3, levels in meta["levels"].items())
        borders = ", ".join(f"{b['name']} ({b['km']:,} km)" for b in meta["borders"]) or "none (border_km will be empty)"
        return [f"regions: {meta['regions']} ({levels})",
                f"countries: {len(meta['countries'])} ({', '.join(c['name'] for c in meta['countries'])})",
                f"border lines: {len(meta['borders'])}: {borders}",
                f"metric CRS: {meta['metric_crs']}"]


def build_geography(
    files: Sequence[Path],
    out_dir: Path,
    options: Options = Options(),
    border_files: Sequence[Path] = (),
    tolerance_km: float | None = None,
    rename: Mapping[str, str] | None = None,
    extra_names: Callable[[str, str], Iterable[str]] | None = None,
) -> GeoBuild:
    """Build a geography folder in ``out_dir`` from boundary ``files`` (several countries and
    levels may be combined; ``ADM0`` layers are country outlines) and optional user line layers.

    ``rename`` (unit id → name) and ``extra_names`` (name, ISO3 → alternative names) carry
    curation the files lack. Land borders are derived between every pair of neighbouring
    countries (:func:`mapdata.borders.land_borders`).
    """
    started = time.perf_counter()
    if not [f for f in files if not Path(f).name.endswith("-metaData.json")]:
        raise GeoDataError("No boundary file given.")
    tolerance = float(config.get("BORDER_TOLERANCE_KM") if tolerance_km is None else tolerance_km)
    boundary_files = [Path(f) for f in files if not Path(f).name.endswith("-metaData.json")]  # read beside their file
    read = [units for path in boundary_files for units in read_boundaries(path, options)]
    build = GeoBuild({}, {}, [n for u in read for n in u.notes], [w for u in read for w in u.warnings])
    units = pd.concat([u.frame for u in read], ignore_index=True)
    if not (units["admin_level"] != "ADM0").any():
        raise GeoDataError("Only country outlines (ADM0) given; add at least one file of regions (ADM1, ADM2, …).")
    regions = _regions(units, rename or {}, extra_names, build)
    metric = metric_crs(regions)
    countries, outline_units = _countries(units)
    lines = land_borders(countries, outline_units, tolerance, metric)
    if len(countries) == 1:
        build.notes.append(f"single-country geography ({countries['name'].item()}): land borders cannot be told "
                           "from coast, so no border line is derived; border_km stays empty unless --border is given")
    elif lines.empty:
        build.notes.append(f"no two countries of the geography share a border within {tolerance:g} km; "
                           "border_km stays empty unless --border is given")
    for path in border_files:
        extra, warnings = user_borders(Path(path))
        lines = pd.concat([lines, extra], ignore_index=True) if len(lines) else extra
        build.warnings.extend(warnings)
    layers = {"regions": regions, "countries": countries, "border": lines}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    build.paths = {name: _write(frame, out_dir / f"{name}.geojson") for name, frame in layers.items()}
    build.metadata = _metadata(read, regions, countries, lines, metric, build.notes)
    build.paths["geography"] = _write_json(build.metadata, out_dir / METADATA)
    build.seconds = time.perf_counter() - started
    return build


SIDECARS = (".dbf", ".shx", ".prj", ".cpg", ".qix", ".sbn", ".sbx")
"""Files read beside a shapefile (``.shp``) of the same name, never on their own."""


def build_uploaded(files: Sequence[tuple[str, bytes]], options: Options = Options()) -> tuple[Geography, GeoBuild]:
    """Build a geography from uploaded boundary files (name, bytes), as ``mapdata geo build`` does,
    in a temporary folder of its own; return it read back, with the build's notes and warnings.

    The files keep their names (a geoBoundaries ``…-metaData.json`` is read beside its file, a
    shapefile's sidecars beside it). The folder is deleted when the geography is no longer used. A
    file that cannot be read is one :class:`GeoDataError` naming it as uploaded.
    """
    folder = Path(tempfile.mkdtemp(prefix="mapdata-geo-"))
    sources = folder / "sources"
    sources.mkdir()
    paths = []
    for name, content in files:
        path = sources / Path(name).name
        path.write_bytes(content)
        if path.suffix.lower() not in SIDECARS:
            paths.append(path)
    try:
        build = build_geography(paths, folder / "geo", options)
        geography = load_geography(folder / "geo")
    except GeoDataError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise GeoDataError(str(exc).replace(f"{sources}{os.sep}", "")) from None
    finally:
        shutil.rmtree(sources, ignore_errors=True)
    weakref.finalize(geography, shutil.rmtree, folder, True)
    return geography, build


def build_geo(source_dir: Path | None = None, gazetteer: Path | None = None, out_dir: Path | None = None) -> dict[str, Path]:
    """Build the shipped geography (``geo/``) from its geoBoundaries files; return {layer: path}."""
    source_dir = Path(source_dir or config.get("SOURCE_BOUNDARIES"))
    gazetteer = Path(gazetteer or config.get("SOURCE_GAZETTEER"))
    files = [source_dir / name for name in _SHIPPED_FILES]
    _check_sources(files + [gazetteer])
    alt = _alt_names(_read_gazetteer(gazetteer))

    def shipped_names(name: str, iso3: str) -> list[str]:
        if iso3 == "ARM":  # provinces: "<name> Province", the gazetteer's admin1 form; Yerevan is a city
            return [f"{name} Province"] if name != "Yerevan" else []
        return list(alt.get(name, []))

    build = build_geography(files, Path(out_dir or config.get("GEO_DIR")), rename=_RENAMED, extra_names=shipped_names)
    return build.paths


@dataclass(frozen=True, eq=False)
class Geography:
    """A geography read back from its folder: the layers the join, the filters and the map use,
    and its metadata (countries, metric CRS, borders, sources, credits). Passed explicitly through
    the library and the app, so a session or a command can work on another geography than the
    ``GEO_DIR`` setting's (the default)."""

    folder: Path
    regions: gpd.GeoDataFrame
    countries: gpd.GeoDataFrame
    border: gpd.GeoDataFrame
    metadata: dict

    @property
    def metric_crs(self) -> str:
        """The projected CRS (metres) for distances and buffers: the one chosen when the geography
        was built (stored in geography.json), unless the ``METRIC_CRS`` setting overrides it."""
        return config.get("METRIC_CRS") or self.metadata["metric_crs"]

    @property
    def gazetteer(self) -> Path:
        """Where the geography's own gazetteer of sourced places would be (the shipped one has one)."""
        return self.folder / "gazetteer_border.csv"


class OnGeography:
    """Events joined to a geography (a dataset, an event source, a store): its regions and border
    lines, read from the ``geography`` the class provides."""

    geography: Geography

    @property
    def regions(self) -> gpd.GeoDataFrame:
        """The regions of the geography the events are joined to."""
        return self.geography.regions

    @property
    def border(self) -> gpd.GeoDataFrame:
        """The border lines of the geography ``border_km`` was measured to."""
        return self.geography.border


def load_geography(folder: Path | None = None) -> Geography:
    """Read the geography in ``folder`` (default: the ``GEO_DIR`` setting's, whose layers are read
    once per process and file version)."""
    if folder is None:
        return Geography(config.get("GEO_DIR"), load_regions(), load_countries(), load_border(), load_metadata())
    folder = check_geography(folder)
    return Geography(folder, load_regions(folder / "regions.geojson"), load_countries(folder / "countries.geojson"),
                     load_border(folder / "border.geojson"), load_metadata(folder / METADATA))


def load_regions(path: Path | None = None) -> gpd.GeoDataFrame:
    """Read a geography's regions layer (default: the ``GEO_DIR`` setting's) in EPSG:4326."""
    frame = _load("regions", path, _REGION_COLUMNS)
    frame["names_alt"] = frame["names_alt"].fillna("")
    return frame


def load_countries(path: Path | None = None) -> gpd.GeoDataFrame:
    """Read a geography's country outlines in EPSG:4326."""
    return _load("countries", path, _COUNTRY_COLUMNS)


def load_border(path: Path | None = None) -> gpd.GeoDataFrame:
    """Read a geography's border lines (land borders and user lines; may be empty) in EPSG:4326."""
    frame = _load("border", path, _BORDER_COLUMNS)
    frame["tolerance_km"] = frame["tolerance_km"].astype(float)
    return frame


def load_metadata(path: Path | None = None) -> dict:
    """Read a geography's ``geography.json`` (countries, levels, metric CRS, borders, credits)."""
    path = Path(path) if path else config.get("GEO_DIR") / METADATA
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GeoDataError(f"Geography metadata not found at {path}; build the folder with `mapdata geo build`.") from None
    except (OSError, ValueError) as exc:
        raise GeoDataError(f"Cannot read geography metadata {path}: {exc}") from exc


def describe_borders(meta: dict) -> str:
    """What ``border_km`` measures in the geography of metadata ``meta``: its border lines and
    their lengths, or why there are none."""
    lines = meta.get("borders", [])
    if not lines:
        return "No border line in this geography: " + (meta.get("border_note") or "border_km is empty") + "."
    listed = "; ".join(f"{line['name']}, {line['km']:,} km" for line in lines)
    return f"border_km is the distance to the nearest of these border lines: {listed}."


def metric_crs(regions: gpd.GeoDataFrame) -> str:
    """The projected CRS (metres) for distances and buffers over ``regions``: the
    ``METRIC_CRS`` setting when set, else the WGS84 UTM zone of the centre of their bounds. A
    geography stores the one chosen when it was built (:attr:`Geography.metric_crs` reads it)."""
    override = config.get("METRIC_CRS")
    if override:
        return override
    if len(regions) == 0:
        raise GeoDataError("No regions to choose a metric CRS for; set MAPDATA_METRIC_CRS.")
    lonlat = regions if regions.crs is None or regions.crs.equals(CRS) else regions.to_crs(CRS)
    x0, y0, x1, y1 = lonlat.total_bounds
    lon, lat = (x0 + x1) / 2, (y0 + y1) / 2
    zone = min(int((lon + 180) // 6) + 1, 60)
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def check_geography(folder: Path) -> Path:
    """``folder`` if it holds a geography (its three layers); GeoDataError saying how to build one."""
    folder = Path(folder)
    missing = [f"{layer}.geojson" for layer in LAYERS if not (folder / f"{layer}.geojson").is_file()]
    if missing:
        raise GeoDataError(f"{folder} is not a geography folder (missing {', '.join(missing)}); "
                           "build one with `mapdata geo build FILE... -o DIR`.")
    return folder


# --- reading ---------------------------------------------------------------------------------


def _check_sources(paths: list[Path]) -> None:
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise GeoDataError(
            "Boundary source file(s) missing: " + ", ".join(missing)
            + ". Set MAPDATA_SOURCE_BOUNDARIES / MAPDATA_SOURCE_GAZETTEER to the folder/file that holds them."
        )


def _read_gazetteer(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"place_id", "name_en", "names_alt", "admin1"} - set(frame.columns)
    if missing:
        raise GeoDataError(f"Gazetteer {path} lacks column(s) {sorted(missing)}.")
    return frame.set_index("place_id")


def _load(layer: str, path: Path | None, columns: tuple[str, ...]) -> gpd.GeoDataFrame:
    """Read a layer file and check its columns; the configured geography's layers (no ``path``)
    are read once per process and file version, each caller getting its own copy."""
    shipped = path is None
    path = Path(path) if path else config.geo_path(layer)
    hint = "build the geography with `mapdata geo build` (the shipped one: `mapdata build-geo`)"
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
    if frame.empty:  # GeoJSON keeps no columns without features (a geography without border lines)
        frame = gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in columns}, geometry=[], crs=frame.crs)
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


def _join_names(name_en: str, candidates: Iterable[str]) -> str:
    """Unique names in order, without the region's own name or its bare stem ("Kalbajar")."""
    own = {name_en.casefold(), name_en.rsplit(" ", 1)[0].casefold()}
    seen: list[str] = []
    for name in candidates:
        if name.casefold() not in own and name not in seen:
            seen.append(name)
    return "|".join(seen)


def _regions(units: gpd.GeoDataFrame, rename: Mapping[str, str],
             extra_names: Callable[[str, str], Iterable[str]] | None, build: GeoBuild) -> gpd.GeoDataFrame:
    """Every unit below country level, renamed where curated, with its alternative names; sorted by
    country, finest level first, name and id."""
    frame = units[units["admin_level"] != "ADM0"].rename(columns={"unit_id": "region_id"})
    names = pd.Series([rename.get(rid, name) for rid, name in zip(frame["region_id"], frame["name_en"])], index=frame.index, dtype=object)
    alt = [_join_names(name, [*filter(None, given.split("|")), *(extra_names(name, iso3) if extra_names else ())])
           for name, given, iso3 in zip(names, frame["names_alt"], frame["country_iso3"])]
    regions = frame.assign(name_en=names, names_alt=alt)[[*_REGION_COLUMNS, "geometry"]]
    duplicated = regions.loc[regions.duplicated(["region_id"]), "region_id"].tolist()
    if duplicated:
        raise GeoDataError(f"Region ids not unique: {duplicated[:10]}; give --id-column with a unique column.")
    repeated = regions.loc[regions.duplicated(["country_iso3", "admin_level", "name_en"], keep=False)]
    for (iso3, level), group in repeated.groupby(["country_iso3", "admin_level"]):
        build.warnings.append(f"{iso3} {level}: {group['name_en'].nunique()} name(s) used by more than one unit "
                              f"({', '.join(sorted(set(group['name_en']))[:5])}…); a filter by such a name selects all of them")
    # Within a country the finest level comes first: where levels overlap, the join takes the first region.
    depth = -regions["admin_level"].str[3:].astype(int)
    order = regions.assign(_depth=depth).sort_values(["country_iso3", "_depth", "name_en", "region_id"]).index
    return gpd.GeoDataFrame(regions.loc[order].reset_index(drop=True), crs=CRS)


def _countries(units: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict[str, gpd.GeoDataFrame]]:
    """One outline per country: its ADM0 layer when given, else the union of its coarsest units
    (exclaves kept); and per country the units the outline was made from."""
    rows, made_from = [], {}
    for iso3, own in units.groupby("country_iso3", sort=True):
        levels = sorted(own["admin_level"].unique(), key=lambda level: int(level[3:]))
        parts = own[own["admin_level"] == levels[0]]
        outline = shapely.make_valid(shapely.union_all(parts.geometry.values))
        source = parts["source"].iloc[0] + ("" if levels[0] == "ADM0" else f", {levels[0]} units dissolved")
        rows.append({"iso3": iso3, "name": country_name(iso3), "source": source,
                     "licence": parts["licence"].iloc[0], "geometry": outline})
        made_from[iso3] = parts
    return gpd.GeoDataFrame(rows, columns=[*_COUNTRY_COLUMNS, "geometry"], geometry="geometry", crs=CRS), made_from


def _metadata(read: list[Units], regions: gpd.GeoDataFrame, countries: gpd.GeoDataFrame,
              lines: gpd.GeoDataFrame, metric: str, notes: list[str]) -> dict:
    """The small description of a geography the app, the exports and the credits are made from."""
    sources = sorted({(u.label, u.layout, src, lic, len(u.frame))
                      for u in read for src, lic in {(s, l) for s, l in zip(u.frame["source"], u.frame["licence"])}})
    derived = lines["tolerance_km"].notna()  # land borders derive from the outlines credited already
    given = zip(lines.loc[~derived, "source"], lines.loc[~derived, "licence"])
    credits = sorted({f"{src}: {lic}" for _, _, src, lic, _ in sources} | {f"{src}: {lic}" for src, lic in given})
    levels = regions.groupby("country_iso3")["admin_level"].agg(lambda s: sorted(set(s))).to_dict()
    borders = [{"name": name, "km": round(float(_GEOD.geometry_length(geom)) / 1000, 1)}
               for name, geom in zip(lines["name"], lines.geometry)]
    return {
        "name": " and ".join(countries["name"]) if len(countries) <= 2 else f"{len(countries)} countries",
        "countries": [{"iso3": iso3, "name": name} for iso3, name in zip(countries["iso3"], countries["name"])],
        "levels": levels,
        "regions": len(regions),
        "bounds": [round(float(v), _PRECISION) for v in regions.total_bounds],
        "metric_crs": metric,
        "borders": borders,
        "border_note": next((n for n in notes if "border" in n), "") if not borders else "",
        "sources": [{"file": label, "layout": layout, "source": src, "licence": lic, "features": n}
                    for label, layout, src, lic, n in sources],
        "licence_unknown": any(LICENCE_UNKNOWN in credit for credit in credits),
        "credits": credits,
    }


# --- writing ---------------------------------------------------------------------------------


def _write(frame: gpd.GeoDataFrame, path: Path) -> Path:
    """Write GeoJSON with fixed precision and no timestamps; atomically replace ``path``."""
    if frame.empty:  # GDAL writes an empty layer with a CRS member; RFC 7946 wants none
        return write_text_atomically(path, _compact({"type": "FeatureCollection", "name": path.stem, "features": []}))
    frame = frame.copy()
    frame["geometry"] = shapely.set_precision(frame.geometry.values, _GRID)

    def gdal_then_compact(tmp: Path) -> None:
        frame.to_file(tmp, driver="GeoJSON", engine="pyogrio", layer=path.stem,
                      RFC7946="YES", COORDINATE_PRECISION=_PRECISION, WRITE_BBOX="NO")
        tmp.write_text(_compact(json.loads(tmp.read_text(encoding="utf-8"))), encoding="utf-8")

    return write_atomically(path, gdal_then_compact)


def _write_json(data: dict, path: Path) -> Path:
    return write_text_atomically(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def _compact(collection: dict) -> str:
    """GDAL's GeoJSON without its padding spaces: one feature per line (about 20% smaller)."""
    dump = lambda obj: json.dumps(obj, ensure_ascii=False, separators=(",", ":"))  # noqa: E731
    head = dump({k: v for k, v in collection.items() if k != "features"})[:-1]
    features = ",\n".join(dump(f) for f in collection["features"])
    return f'{head},"features":[\n{features}\n]}}\n' if features else f'{head},"features":[]}}\n'
