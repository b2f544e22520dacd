"""join_regions with real GeoPandas on real boundary layers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from mapdata import schema
from mapdata.errors import GeoDataError
from mapdata.join import country_mismatches, join_regions
from mapdata.load import load_events


def by_id(frame):
    return frame.set_index("event_id")


def test_points_inside_regions_get_region_columns(joined_events):
    row = by_id(joined_events).loc["AZARM-0011"]
    assert (row["region_name"], row["region_country"], row["region_level"], row["region_match"]) == (
        "Kalbajar District", "AZE", "ADM2", "inside")
    assert set(schema.DERIVED_NAMES) <= set(joined_events.columns)
    assert len(joined_events) == 9, "a join never drops or duplicates events"


def test_far_away_events_are_outside_not_forced_into_a_region(joined_events):
    brussels = by_id(joined_events).loc["AZARM-0032"]
    assert brussels["region_match"] == "outside" and brussels["region_id"] == ""
    assert np.isnan(brussels["border_km"]), "outside the geography: no honest distance to its border (was ~3,271 km)"


def test_point_in_a_gap_takes_the_nearest_region_within_tolerance(small_regions):
    kalbajar = small_regions[small_regions["name_en"] == "Kalbajar District"].geometry.iloc[0]
    north = kalbajar.bounds[3]
    x = kalbajar.representative_point().x
    outside_point = Point(x, north + 0.02)  # about 2 km north of Kalbajar's northern edge
    events = gpd.GeoDataFrame({"event_id": ["A", "B"], "country": ["Azerbaijan", "Azerbaijan"]},
                              geometry=[outside_point, Point(x, north + 0.5)], crs=schema.CRS)
    joined = join_regions(events, small_regions, tolerance_km=5)
    assert list(joined["region_match"]) == ["nearest", "outside"]
    assert joined["region_name"].iloc[0] == "Kalbajar District"
    assert np.isnan(joined["border_km"]).all(), "no border given: distance unknown, not zero"


def test_border_distance_is_in_km_and_small_on_the_line(joined_events):
    shurnukh = by_id(joined_events).loc["AZARM-0074", "border_km"]
    assert 0 <= shurnukh < 2
    inside = joined_events["region_match"] != "outside"
    assert (joined_events.loc[inside, "border_km"] >= 0).all() and joined_events.loc[~inside, "border_km"].isna().all()


def test_country_mismatch_is_flagged_not_fixed(joined_events):
    report = country_mismatches(joined_events)
    assert list(report["event_id"]) == ["AZARM-0074"]
    assert by_id(joined_events).loc["AZARM-0074", "country"] == "Armenia", "the reported country is kept"


def test_crs_mismatch_says_how_to_fix(small_regions, data_dir):
    events = load_events(data_dir / "events_valid.csv").events
    with pytest.raises(GeoDataError, match=r"to_crs"):
        join_regions(events.to_crs(3857), small_regions)


def test_join_of_no_events(small_regions, small_border, data_dir):
    events = load_events(data_dir / "header_only.csv").events
    joined = join_regions(events, small_regions, small_border)
    assert joined.empty and set(schema.DERIVED_NAMES) <= set(joined.columns)


def test_full_dataset_flags_exactly_the_documented_rows(repo_root, plotted_across_the_line):
    from mapdata import load_dataset

    data = load_dataset(repo_root / "data" / "events.csv")
    flagged = set(country_mismatches(data.events)["event_id"])
    assert flagged == plotted_across_the_line, "data/README.md lists the rows plotted across the line from the reported side"
    outside = set(data.events.loc[data.events["region_match"] == "outside", "location"])
    assert all(any(city in loc for city in ("Moscow", "Sochi", "Brussels", "Prague", "Washington")) for loc in outside)


def test_events_must_be_points(small_regions):
    events = gpd.GeoDataFrame({"event_id": ["A"]}, geometry=[Point(46.0, 40.0).buffer(0.1)], crs=schema.CRS)
    with pytest.raises(GeoDataError, match="point geometries"):
        join_regions(events, small_regions)


def test_repeated_points_share_one_result_per_reported_country(small_regions, small_border):
    kalbajar = small_regions[small_regions["name_en"] == "Kalbajar District"].geometry.iloc[0].representative_point()
    events = gpd.GeoDataFrame({"event_id": list("ABCD"), "country": ["Azerbaijan", "Armenia", "Azerbaijan", None]},
                              geometry=[kalbajar, kalbajar, kalbajar, kalbajar], crs=schema.CRS)
    joined = join_regions(events, small_regions, small_border)
    assert set(joined["region_name"]) == {"Kalbajar District"} and joined["border_km"].nunique() == 1
    assert list(joined["country_mismatch"]) == [False, True, False, False]
