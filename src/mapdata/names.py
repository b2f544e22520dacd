"""Names as people write them: folding place names so spellings compare, and looking up
countries and regions by name.

The filters, the geocoder, the join and the summaries all compare names the same way, so the
rules live here rather than in any one of those stages.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

COUNTRY_ISO3: dict[str, str] = {
    "Armenia": "ARM",
    "Azerbaijan": "AZE",
    "Russia": "RUS",
    "Belgium": "BEL",
    "Czechia": "CZE",
    "United States": "USA",
    "France": "FRA",
    "Georgia": "GEO",
    "Iran": "IRN",
    "Turkey": "TUR",
}
"""English country names the data uses, with their ISO 3166-1 alpha-3 codes."""

_GENERIC_WORDS = re.compile(
    r"\b(district|rayon|raion|rayonu|province|marz|region|city|city of|municipality|administrative|autonomous republic)\b"
)


def normalise_name(name: str) -> str:
    """Fold case, accents and generic words so 'Kəlbəcər rayonu' and 'Kalbajar District' compare."""
    text = unicodedata.normalize("NFKD", str(name).casefold().replace("ə", "a").replace("ı", "i"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _GENERIC_WORDS.sub(" ", text.replace("-", " ").replace("’", "'"))
    return " ".join(text.split())


def country_iso3(names: pd.Series) -> pd.Series:
    """ISO3 codes for English country names (or ISO3 codes already); empty where unknown."""
    known = {k.lower(): v for k, v in COUNTRY_ISO3.items()}
    known.update({v.lower(): v for v in COUNTRY_ISO3.values()})
    codes, distinct = pd.factorize(names.fillna(""), use_na_sentinel=False)  # few distinct names: map those
    iso = pd.Series(distinct, dtype=object).astype(str).str.strip().str.lower().map(known).fillna("").to_numpy(dtype=object)
    return pd.Series(iso[codes] if len(codes) else np.array([], dtype=object), index=names.index, dtype=object)


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
