"""Name folding and the country and region look-ups (mapdata.names)."""

from __future__ import annotations

import pandas as pd
import pytest

from mapdata.errors import FilterError
from mapdata.names import (countries, country_iso3, country_name, find_country, names_admin_unit, normalise_name, region_lookup,
                           resolve_country)


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


@pytest.mark.parametrize("given, iso3", [
    ("UKR", "UKR"), ("ukr", "UKR"), ("UA", "UKR"), ("Ukraine", "UKR"), (" ukraine ", "UKR"),
    ("Burkina Faso", "BFA"), ("BF", "BFA"), ("Myanmar", "MMR"), ("Burma", "MMR"), ("Myanmar (Burma)", "MMR"),
    ("Democratic Republic of Congo", "COD"), ("DR Congo (Zaire)", "COD"), ("Republic of Congo", "COG"),
    ("Russia (Soviet Union)", "RUS"), ("Russian Federation", "RUS"), ("Syrian Arab Republic", "SYR"),
    ("Côte d'Ivoire", "CIV"), ("Ivory Coast", "CIV"), ("Türkiye", "TUR"), ("Turkey", "TUR"),
    ("Mexico", "MEX"), ("the Netherlands", "NLD"), ("Bosnia-Herzegovina", "BIH"), ("Armenia", "ARM"),
])
def test_find_country(given, iso3):
    assert find_country(given) == iso3


def test_unknown_country_suggests_close_names():
    assert find_country("Atlantis") == ""
    with pytest.raises(FilterError, match=r"unknown country 'Ukrane' \(did you mean Ukraine[,?]"):
        resolve_country("Ukrane")
    with pytest.raises(FilterError, match="unknown country 'Qqqq'; give an ISO3"):
        resolve_country("Qqqq")


def test_table_is_the_whole_world():
    table = countries()
    assert len(table) > 240 and len({c.iso3 for c in table}) == len(table)
    assert country_name("BFA") == "Burkina Faso" and country_name("XXX") == "XXX"


def test_country_iso3_column_of_world_countries():
    names = pd.Series(["Ukraine", "Burkina Faso", "", None, "Atlantis", "Ukraine"], index=[5, 6, 7, 8, 9, 10])
    assert country_iso3(names).tolist() == ["UKR", "BFA", "", "", "", "UKR"]
    assert country_iso3(names).index.tolist() == [5, 6, 7, 8, 9, 10]


@pytest.mark.parametrize("written, plain", [
    ("Donetsk Oblast", "Donetsk"), ("Донецька область", "Донецька"), ("Al Anbar Governorate", "Al Anbar"),
    ("Provincia de Buenos Aires", "Buenos Aires"), ("Département du Nord", "Nord"), ("Shan State", "Shan"),
    ("Kəlbəcər rayonu", "Kəlbəcər"), ("Estado de México", "Mexico"), ("Wilaya de Tizi Ouzou", "Tizi Ouzou"),
])
def test_generic_words_of_admin_units_are_droppable(written, plain):
    assert normalise_name(written) == normalise_name(plain)
    assert names_admin_unit(written) and not names_admin_unit(plain)


def test_transliteration_variants_match_through_alternative_names():
    regions = pd.DataFrame({"region_id": ["UA-14", "UA-51"], "name_en": ["Donetsk Oblast", "Odesa Oblast"],
                            "names_alt": ["Донецька область|Donetskaya Oblast", "Odessa|Одеська область"]})
    lookup = region_lookup(regions)
    for name in ("Donetsk", "Donetsk Oblast", "Донецька область", "donetskaya"):
        assert lookup[normalise_name(name)] == ("UA-14",), name
    for name in ("Odesa", "Odessa", "Odessa Oblast", "Одеська область"):
        assert lookup[normalise_name(name)] == ("UA-51",), name
