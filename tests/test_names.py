"""Name folding and the country and region look-ups (mapdata.names)."""

from __future__ import annotations

import pandas as pd

from mapdata.names import country_iso3, normalise_name, region_lookup


def test_normalise_name_folds_case_accents_and_generic_words():
    assert normalise_name("Kəlbəcər rayonu") == normalise_name("KƏLBƏCƏR") == normalise_name("kalbacar")
    assert normalise_name("Syunik Province") == "syunik"


def test_country_iso3_takes_names_and_codes_and_leaves_unknown_empty():
    names = pd.Series(["Armenia", " azerbaijan ", "AZE", "Atlantis", None], index=[5, 6, 7, 8, 9])
    assert country_iso3(names).tolist() == ["ARM", "AZE", "AZE", "", ""]
    assert country_iso3(names).index.tolist() == [5, 6, 7, 8, 9]


def test_a_name_shared_by_two_regions_selects_both():
    regions = pd.DataFrame({"region_id": ["R1", "R2"], "name_en": ["Shusha City", "Shusha District"],
                            "names_alt": ["Shushi", "Shushi|Şuşa rayonu"]})
    lookup = region_lookup(regions)
    assert lookup["shushi"] == ("R1", "R2")
    assert lookup["shusha"] == ("R1", "R2")
    assert lookup["r1"] == ("R1",)
    assert lookup[normalise_name("Şuşa")] == ("R2",)
