"""mapdata.formats through load_events: ACLED, UCDP GED and mapped CSVs in tests/data/import_*."""

from __future__ import annotations

import pkgutil

import pandas as pd
import pytest

import mapdata.formats
from mapdata.errors import MapdataError, MissingColumnsError
from mapdata.formats import ACLED_COLUMNS, FORMATS, UCDP_COLUMNS, detect_format, load_mapping, named_formats, to_schema
from mapdata.load import load_events


def header(path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()[0].split(",")


@pytest.mark.parametrize(("name", "fmt"), [
    ("import_acled.csv", "acled"), ("import_ucdp_ged.csv", "ucdp"), ("events_valid.csv", "mapdata"),
    ("import_custom.csv", "unknown"), ("import_placenames.csv", "mapdata"),
])
def test_detect_format(data_dir, name, fmt):
    assert detect_format(header(data_dir / name)) == fmt


def test_fixture_headers_are_the_published_ones(data_dir):
    assert header(data_dir / "import_acled.csv") == list(ACLED_COLUMNS) and len(ACLED_COLUMNS) == 31
    assert header(data_dir / "import_ucdp_ged.csv") == list(UCDP_COLUMNS) and len(UCDP_COLUMNS) == 49


def by_id(events: pd.DataFrame) -> pd.DataFrame:
    return events.set_index("event_id")


def test_acled_mapping_rules(data_dir):
    loaded = load_events(data_dir / "import_acled.csv", geocode=False)
    events = by_id(loaded.events)
    assert loaded.report.format == "acled" and "all 31 published columns" in loaded.report.detected_by
    assert events.loc["TEST-ACLED-1", "event_date"] == pd.Timestamp("2022-09-13")
    assert events.loc["TEST-ACLED-2", "event_date"] == pd.Timestamp("2022-09-13")  # "13 September 2022"
    assert events["date_precision"].to_dict() == {"TEST-ACLED-1": "day", "TEST-ACLED-2": "week", "TEST-ACLED-3": "month"}
    assert events["geo_precision"].tolist() == [1, 2, 3]
    assert events.loc["TEST-ACLED-2", "coord_source"] == "ACLED coordinates (geo_precision 2)"
    assert set(events["fatalities_note"]) == {"ACLED fatality estimate"}
    assert events.loc["TEST-ACLED-1", "fatalities"] == 3 and events.loc["TEST-ACLED-2", "fatalities"] == 0
    assert set(events["source_url"]) == {""}
    assert events.loc["TEST-ACLED-1", "acled_admin2"] == "TestAdmin2"
    assert events.loc["TEST-ACLED-2", "acled_iso"] == "51"
    assert events.loc["TEST-ACLED-3", "acled_time_precision"] == "3"
    assert events.loc["TEST-ACLED-2", "acled_civilian_targeting"] == "Civilian targeting"
    rejected = loaded.rejected
    assert rejected[["row", "column", "value"]].values.tolist() == [[5, "event_date", "31 Septembar 2022"]]
    assert rejected["file"].iloc[0].endswith("import_acled.csv")


def test_ucdp_mapping_rules(data_dir):
    loaded = load_events(data_dir / "import_ucdp_ged.csv", geocode=False)
    events = by_id(loaded.events)
    assert loaded.report.format == "ucdp" and "all 49 published columns" in loaded.report.detected_by
    assert list(events.index) == [f"UCDP-GED-90000{i}" for i in (1, 2, 3, 4, 5, 6, 7)]
    # where_prec 1..7 -> 1, 2, 3, 3, 3, 3, 3; raw code kept
    assert events["geo_precision"].tolist() == [1, 2, 3, 3, 3, 3, 3]
    assert events["ucdp_where_prec"].tolist() == ["1", "2", "3", "4", "5", "6", "7"]
    assert events.loc["UCDP-GED-900007", "coord_source"] == "UCDP GED coordinates (where_prec 7)"
    # date_prec and span -> day / week / week / month / range; the coarser of the two wins
    assert events["date_precision"].tolist() == ["day", "week", "week", "month", "range", "day", "month"]
    # a window longer than a month (date_prec 5, 89 days) is kept with its last day
    assert events.loc["UCDP-GED-900005", ["event_date", "event_date_end"]].tolist() == [
        pd.Timestamp("2020-09-27"), pd.Timestamp("2020-12-25")]
    assert events["event_date_end"].drop("UCDP-GED-900005").isna().all()
    assert events.loc["UCDP-GED-900006", "event_date"] == pd.Timestamp("2020-11-02")
    assert events.loc["UCDP-GED-900004", "ucdp_date_end"] == "2020-10-20"
    # type_of_violence 1/2 -> Battles (no sub-type), 3 -> Violence against civilians / Attack
    assert events["event_type"].tolist()[:3] == ["Battles", "Battles", "Violence against civilians"]
    assert events["sub_event_type"].tolist()[:3] == ["", "", "Attack"]
    assert events.loc["UCDP-GED-900003", "ucdp_type_of_violence"] == "3"
    assert events.loc["UCDP-GED-900001", "fatalities"] == 5
    assert events.loc["UCDP-GED-900001", "fatalities_note"] == "UCDP GED best estimate 5 (low 4, high 7)"
    assert events.loc["UCDP-GED-900007", "fatalities_note"] == "UCDP GED best estimate 3 (low not given, high not given)"
    assert events.loc["UCDP-GED-900001", ["ucdp_low", "ucdp_high"]].tolist() == ["4", "7"]
    assert events.loc["UCDP-GED-900001", "source"] == "UCDP Georeferenced Event Dataset (GED), event 900001; sources: Test fixture article"
    assert events.loc["UCDP-GED-900001", "location"] == "Kalbajar" and events.loc["UCDP-GED-900001", "admin1"] == "Kalbajar District"
    assert loaded.rejected[["row", "column", "value"]].values.tolist() == [[9, "event_type", "UCDP type_of_violence 4"]]


@pytest.mark.parametrize("mapping_file", ["import_custom_mapping.json", "import_custom_mapping.toml"])
def test_custom_csv_through_a_mapping_file(data_dir, mapping_file):
    loaded = load_events(data_dir / "import_custom.csv", mapping=data_dir / mapping_file, geocode=False)
    events = by_id(loaded.events)
    assert loaded.report.format == "mapping" and mapping_file in loaded.report.detected_by
    assert list(events.index) == ["TEST-CUSTOM-2", "TEST-CUSTOM-3"]  # id = prefix + spreadsheet row
    assert events.loc["TEST-CUSTOM-2", "event_date"] == pd.Timestamp("2020-09-27")
    assert events["geo_precision"].tolist() == [2, 2] and set(events["country"]) == {"Azerbaijan"}
    assert events.loc["TEST-CUSTOM-2", "fatalities"] == 2 and pd.isna(events.loc["TEST-CUSTOM-3", "fatalities"])
    assert events.loc["TEST-CUSTOM-2", "src_comment"] == "Test fixture row"
    assert loaded.rejected[["row", "column", "value"]].values.tolist() == [[4, "event_date", "31/02/2021"]]


def test_a_mapping_files_date_format_reads_both_date_columns(tmp_path):
    (tmp_path / "spans.csv").write_text(
        "From,To,Lat,Lon,Type,Source\n03/04/2021,05/04/2021,40.1,46.0,Battles,Test fixture source\n", encoding="utf-8")
    mapping = {"columns": {"event_date": "From", "event_date_end": "To", "latitude": "Lat", "longitude": "Lon",
                           "event_type": "Type", "source": "Source"},
               "defaults": {"geo_precision": "1", "date_precision": "range"}, "date_format": "%d/%m/%Y"}
    loaded = load_events(tmp_path / "spans.csv", mapping=mapping, geocode=False)
    assert loaded.rejected.empty
    assert loaded.events[["event_date", "event_date_end"]].iloc[0].tolist() == [pd.Timestamp("2021-04-03"), pd.Timestamp("2021-04-05")]
    told = load_events(tmp_path / "spans.csv", mapping=mapping, geocode=False, date_format="%m/%d/%Y")
    assert told.events["event_date"].iloc[0] == pd.Timestamp("2021-03-04")  # the date format given wins over the mapping's


def test_a_mapping_files_date_format_must_be_a_format():
    with pytest.raises(MapdataError, match="not a date format"):
        to_schema(pd.DataFrame({"d": []}), "mapping", {"columns": {"event_date": "d", "event_type": "d", "latitude": "d",
                                                                    "longitude": "d", "geo_precision": "d", "source": "d"},
                                                        "date_format": "dd/mm/yyyy"})


def test_the_date_format_given_reaches_ucdp_date_precision(data_dir, tmp_path):
    frame = pd.read_csv(data_dir / "import_ucdp_ged.csv", dtype=str, keep_default_na=False).head(1)
    frame[["date_start", "date_end"]] = ["03/04/2021", "09/04/2021"]  # a span of six days, written day first
    frame.to_csv(tmp_path / "ged.csv", index=False)
    with pytest.raises(MapdataError, match="--date-format"):
        load_events(tmp_path / "ged.csv", geocode=False)  # day or month first: ambiguous, said, not guessed
    loaded = load_events(tmp_path / "ged.csv", geocode=False, date_format="%d/%m/%Y")
    event = loaded.events.iloc[0]
    assert event["event_date"] == pd.Timestamp("2021-04-03") and event["date_precision"] == "week"


def test_json_and_toml_mappings_are_the_same(data_dir):
    assert load_mapping(data_dir / "import_custom_mapping.json") == load_mapping(data_dir / "import_custom_mapping.toml")


def test_bad_mapping_files_name_the_problem(data_dir, tmp_path):
    with pytest.raises(MapdataError, match="unknown target column.*lattitude"):
        load_mapping(data_dir / "import_mapping_bad.json")
    with pytest.raises(MapdataError, match="not in the file: Latitude, Publication"):
        load_events(data_dir / "import_custom.csv", mapping=data_dir / "import_mapping_missing_source.json")
    broken = tmp_path / "broken.toml"
    broken.write_text("columns = [", encoding="utf-8")
    with pytest.raises(MapdataError, match="not a valid mapping file"):
        load_mapping(broken)
    with pytest.raises(MapdataError, match="latitude, longitude.*neither mapped nor given a default"):
        load_mapping_dict = {"columns": {"event_date": "Date", "event_type": "Type", "source": "Source"},
                             "defaults": {"geo_precision": "2"}}
        to_schema(pd.DataFrame({"date": []}), "mapping", load_mapping_dict)


def test_unknown_format_without_mapping_says_what_to_do(data_dir):
    with pytest.raises(MissingColumnsError, match="give a column mapping"):
        load_events(data_dir / "import_custom.csv")


def test_format_can_be_forced(data_dir):
    with pytest.raises(MissingColumnsError):
        load_events(data_dir / "import_acled.csv", fmt="mapdata")
    loaded = load_events(data_dir / "import_acled.csv", fmt="acled", geocode=False)
    assert loaded.report.detected_by == "given" and len(loaded.events) == 3


@pytest.mark.parametrize("name", ["import_acled.csv", "import_ucdp_ged.csv", "events_bad.csv"])
def test_no_row_is_silently_dropped(data_dir, name):
    loaded = load_events(data_dir / name, geocode=False)
    data_rows = len((data_dir / name).read_text(encoding="utf-8").strip().splitlines()) - 1
    assert loaded.report.rows == data_rows
    assert loaded.report.accepted + loaded.report.rejected == data_rows
    assert len(loaded.events) == loaded.report.accepted and loaded.rejected["row"].nunique() == loaded.report.rejected


def test_loaded_still_unpacks_to_events_and_rejected(data_dir):
    loaded = load_events(data_dir / "events_valid.csv")
    events, rejected = loaded.events, loaded.rejected
    assert len(events) == 9 and rejected.empty


def test_every_format_module_is_registered():
    """Adding a format is one module in mapdata/formats/ plus its registry entry: none is forgotten."""
    modules = [m.name for m in pkgutil.iter_modules(mapdata.formats.__path__) if not m.name.startswith("_")]
    registered = {getattr(mapdata.formats, m).FORMAT.name for m in modules}
    assert registered == set(FORMATS) and len(modules) == len(FORMATS)
    assert all(f.label and f.description for f in FORMATS.values())


def test_readme_formats_table_lists_every_registered_format(repo_root):
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Bring your own data", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `") and not line.startswith("| `--format`")]
    assert [row.split("`")[1] for row in rows] == list(FORMATS), "the table follows the registry's order"
    for row, fmt in zip(rows, FORMATS.values()):
        assert f"| {fmt.label} |" in row


def test_cli_format_choices_are_the_registry(data_dir, capsys):
    from mapdata.cli import main

    assert named_formats() == ["auto"] + [f for f in FORMATS if not FORMATS[f].takes_mapping]
    with pytest.raises(SystemExit):
        main(["validate", "--format", "kml", str(data_dir / "events_valid.csv")])
    assert f"use {', '.join(named_formats())} or a .json/.toml mapping file" in capsys.readouterr().err
