"""FilterSpec and filter_events on real events joined to real regions."""

from __future__ import annotations

from datetime import date

import pytest

from mapdata.errors import FilterError
from mapdata.filters import FilterSpec, filter_events, resolve_regions


def test_query_string_round_trip():
    spec = FilterSpec(
        date_from=date(2021, 1, 1), date_to=date(2022, 12, 31), regions=("Kalbajar", "Lachin District"),
        countries=("AZE",), event_types=("Battles",), actors=("Military Forces of Armenia",),
        min_fatalities=1, max_fatalities=10, precisions=(1, 2), max_border_km=5.0,
    )
    text = spec.to_query_string()
    assert "region=Kalbajar&region=Lachin+District" in text and "border_km=5" in text
    assert FilterSpec.from_query(text) == spec
    assert FilterSpec.from_query("?" + text) == spec
    assert FilterSpec.from_query(spec.to_query()) == spec


def test_empty_spec_keeps_everything(joined_events):
    assert FilterSpec().is_empty
    assert FilterSpec().to_query_string() == ""
    assert len(filter_events(joined_events, FilterSpec())) == len(joined_events)


@pytest.mark.parametrize(
    "query",
    ["from=2021-13-01", "fat_min=many", "precision=7", "type=Skirmish", "from=2022-01-01&to=2021-01-01", "border_km=-1"],
)
def test_bad_query_values_raise_filter_error(query):
    with pytest.raises(FilterError):
        FilterSpec.from_query(query)


@pytest.mark.parametrize("name", ["Kalbajar", "kalbajar district", "Karvachar", "KƏLBƏCƏR", "Kalbajar  District"])
def test_region_names_resolve_with_alternatives_and_generic_words(name, small_regions):
    kalbajar = small_regions.loc[small_regions["name_en"] == "Kalbajar District", "region_id"].iloc[0]
    assert resolve_regions([name], small_regions) == (kalbajar,)


def test_unknown_region_names_the_name_and_suggests(small_regions):
    with pytest.raises(FilterError, match="unknown region 'Kalbajr'.*did you mean"):
        resolve_regions(["Kalbajr"], small_regions)


def test_each_field_filters(joined_events, small_regions):
    by = lambda spec: sorted(filter_events(joined_events, spec, small_regions)["event_id"])  # noqa: E731
    assert by(FilterSpec(regions=("Karvachar",))) == ["AZARM-0011", "AZARM-0028"]
    assert by(FilterSpec(date_from=date(2021, 11, 16), date_to=date(2021, 11, 16))) == ["AZARM-0028", "AZARM-0029"]
    assert by(FilterSpec(countries=("BEL",))) == ["AZARM-0032"]
    assert by(FilterSpec(event_types=("Battles",), precisions=(3,))) == ["AZARM-0028", "AZARM-0029", "AZARM-0066"]
    assert by(FilterSpec(min_fatalities=100)) == ["AZARM-0066"]
    assert "AZARM-0028" not in by(FilterSpec(max_fatalities=5)), "unknown fatalities do not pass a bound"
    assert by(FilterSpec(sub_event_types=("Non-violent transfer of territory",))) == ["AZARM-0011", "AZARM-0037"]
    assert by(FilterSpec(actors=("Civilians (Armenia)",))) == ["AZARM-0074"]
    assert by(FilterSpec(actors=("Military Forces of Russia",))) == ["AZARM-0009"], "actor2 counts too"
    assert by(FilterSpec(max_border_km=2)) == ["AZARM-0074"], "Shurnukh lies on the line; Brussels is far"


def test_filter_keeps_order_and_geometry(joined_events):
    out = filter_events(joined_events, FilterSpec(countries=("ARM",)))
    assert list(out.index) == sorted(out.index)
    assert out.crs == joined_events.crs


def test_describe_reads_like_a_sentence():
    spec = FilterSpec(regions=("Kalbajar",), max_border_km=5.0, min_fatalities=1)
    assert spec.describe() == "regions: Kalbajar; at least 1 fatality; within 5 km of the state border"
    assert FilterSpec().describe() == "no filters"
    assert FilterSpec(min_fatalities=5).describe() == "at least 5 fatalities"
    assert FilterSpec(max_fatalities=1).describe() == "at most 1 fatality"
    assert FilterSpec(min_fatalities=2, max_fatalities=10).describe() == "2–10 fatalities"
