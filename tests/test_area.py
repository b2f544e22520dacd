"""The area filter: its polygon read from every way in (link, WKT, GeoJSON, a drawing) and applied."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mapdata import FilterError, FilterSpec, filter_events
from mapdata.area import AREA_DECIMALS, area_from_geojson, area_geojson, area_text, inside_area, parse_area, read_area

BOX = ((45.5, 39.5), (46.5, 39.5), (46.5, 40.3), (45.5, 40.3))


def _events(points: list[tuple[float, float]]) -> pd.DataFrame:
    return pd.DataFrame({"longitude": [p[0] for p in points], "latitude": [p[1] for p in points]})


def test_points_inside_and_on_the_edge_are_kept_outside_and_missing_are_not():
    events = _events([(46.0, 40.0), (45.5, 39.9), (46.5, 40.3), (45.49, 40.0), (46.0, 40.31), (float("nan"), 40.0)])
    assert inside_area(events, BOX).tolist() == [True, True, True, False, False, False]


def test_a_triangle_keeps_only_its_inside():
    triangle = ((0.0, 0.0), (2.0, 0.0), (0.0, 2.0))
    events = _events([(0.5, 0.5), (1.5, 1.5), (1.0, 1.0)])  # the last one on the hypotenuse
    assert inside_area(events, triangle).tolist() == [True, False, True]


def test_corners_are_rounded_so_a_point_within_the_rounding_may_change_side():
    """The precision caveat: corners keep AREA_DECIMALS decimals (about 11 m), so a drawn edge moves
    by up to half of that and an event that close to it can fall on the other side."""
    drawn = ((45.50004, 39.5), (46.5, 39.5), (46.5, 40.3), (45.50004, 40.3))
    spec = FilterSpec(area=drawn)
    assert spec.area[0] == (45.5, 39.5) and AREA_DECIMALS == 4
    just_outside_the_drawing = _events([(45.50002, 40.0)])
    assert filter_events(just_outside_the_drawing, spec).shape[0] == 1


def test_the_link_form_round_trips_and_is_short():
    spec = FilterSpec(area=BOX)
    assert spec.to_query() == {"area": ["45.5_39.5_46.5_39.5_46.5_40.3_45.5_40.3"]}
    assert FilterSpec.from_query(spec.to_query_string()) == spec
    assert FilterSpec.from_link(f"http://localhost:8501/?{spec.to_query_string()}&shade=events") == spec
    assert "%" not in spec.to_query_string()


def test_wkt_geojson_and_the_drawing_give_the_same_area(tmp_path):
    wkt = "POLYGON ((45.5 39.5, 46.5 39.5, 46.5 40.3, 45.5 40.3, 45.5 39.5))"
    assert parse_area(wkt) == BOX
    assert parse_area("45.5,39.5, 46.5,39.5, 46.5,40.3, 45.5,40.3") == BOX
    drawing = {"type": "Feature", "properties": {}, "geometry": area_geojson(BOX)}
    assert area_from_geojson(drawing) == BOX
    path = tmp_path / "box.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [drawing]}), encoding="utf-8")
    assert read_area(str(path)) == BOX
    assert read_area(wkt) == BOX and area_text(BOX) == "45.5_39.5_46.5_39.5_46.5_40.3_45.5_40.3"


@pytest.mark.parametrize("text, message", [
    ("45.5_39.5_46.5", "3 numbers: corners need a longitude and a latitude each"),
    ("45.5_39.5_46.5_39.5", "at least 3 different corners"),
    ("a_b_c_d_e_f", "not a list of numbers"),
    ("0_0_2_2_2_0_0_2", "not valid (Self-intersection"),
    ("200_0_201_0_201_1", "corner (200.0, 0.0) is not a longitude, latitude pair"),
    ("POLYGON ((0 0, 1 0", "not valid WKT"),
    ("POLYGON ((0 0, 9 0, 9 9, 0 9, 0 0), (1 1, 2 1, 2 2, 1 1))", "holes are not supported"),
])
def test_bad_areas_are_errors_that_say_why(text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_area(text)
    with pytest.raises(FilterError, match="bad value for 'area'"):
        FilterSpec.from_query({"area": text})


def test_a_geojson_file_must_hold_one_polygon(tmp_path):
    two = tmp_path / "two.geojson"
    feature = {"type": "Feature", "properties": {}, "geometry": area_geojson(BOX)}
    two.write_text(json.dumps({"type": "FeatureCollection", "features": [feature, feature]}), encoding="utf-8")
    with pytest.raises(ValueError, match="two.geojson: the FeatureCollection holds 2 features"):
        read_area(str(two))
    line = tmp_path / "line.geojson"
    line.write_text(json.dumps({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}), encoding="utf-8")
    with pytest.raises(ValueError, match="a LineString is not one polygon"):
        read_area(str(line))
    with pytest.raises(ValueError, match="cannot read"):
        read_area(str(tmp_path / "missing.geojson"))


def test_the_area_is_said_in_words_that_reproduce_it():
    words = FilterSpec(area=BOX, event_types=("Battles",)).describe()
    assert words == ("types: Battles; inside an area of 4 corners, lon 45.5 to 46.5, lat 39.5 to 40.3 "
                     "(lon_lat corners 45.5_39.5_46.5_39.5_46.5_40.3_45.5_40.3)")


def test_the_embedded_events_inside_the_box(repo_root):
    from mapdata import load_dataset

    data = load_dataset(repo_root / "data" / "events.csv")
    kept = filter_events(data.events, FilterSpec(area=BOX), data.regions)
    lon, lat = data.events["longitude"], data.events["latitude"]
    by_hand = data.events[lon.between(45.5, 46.5) & lat.between(39.5, 40.3)]
    assert 0 < len(kept) < len(data.events) and kept["event_id"].tolist() == by_hand["event_id"].tolist()
