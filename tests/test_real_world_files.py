"""Real-world layouts, date forms, encodings and containers (tests/data/formats/), each with its
expected outcome, through the library and the command line."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import zipfile

import pandas as pd
import pytest

from mapdata.errors import AmbiguousDatesError
from mapdata.load import load_events
from workbooks import xlsx_bytes

# fixture → (layout words in the report, encoding, date form, accepted, {rejected row: column})
EXPECTED = {
    "acled_api_2019.csv": ("ACLED API / older export (2019–2023 layout", "UTF-8", "ISO 8601 date-time", 3, {}),
    "acled_excel_resave.csv": ("current layout, since March 2023) (all 31 published columns; columns reordered; "
                               "extra columns kept: analyst_comment", "UTF-8", "(9-May-20)", 2, {4: "event_date"}),
    "acled_r_resave.csv": ("ACLED export (current layout, since March 2023) (all 31 published columns)", "UTF-8",
                           "(01-January-2015)", 2, {}),
    "acled_pre2019_cp1252.csv": ("ACLED export before the 2019 taxonomy change", "Windows-1252", "dd/mm/yyyy", 11,
                                 {10: "event_type"}),
    "ucdp_ged19.csv": ("UCDP GED 19.x (42 columns) (all 42 published columns)", "UTF-8", "ISO 8601 date-time", 5, {}),
    "ucdp_hdx_hxl.csv": ("UCDP GED as republished on HDX", "UTF-8", "ISO 8601 date (YYYY-MM-DD)", 2, {}),
    "dates_dd_mm_yyyy.csv": ("the required schema columns are present", "UTF-8", "dd/mm/yyyy", 4, {}),
    "dates_mm_dd_yyyy.csv": ("the required schema columns are present", "UTF-8", "mm/dd/yyyy", 4, {}),
    "dates_day_month_name.csv": ("the required schema columns are present", "UTF-8", "(13 September 2022)", 4, {}),
    "dates_excel_serial.csv": ("the required schema columns are present", "UTF-8", "Excel serial day number", 4, {}),
    "dates_iso_datetime.csv": ("the required schema columns are present", "UTF-8", "ISO 8601 date-time", 4, {}),
    "missing_markers.csv": ("the required schema columns are present", "UTF-8", "ISO 8601 date (YYYY-MM-DD)", 4, {}),
}


def formats_file(data_dir, name):
    return data_dir / "formats" / name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_library(data_dir, name):
    layout, encoding, dates, accepted, rejected = EXPECTED[name]
    loaded = load_events(formats_file(data_dir, name), geocode=False)
    assert layout in loaded.report.detected_by
    assert loaded.report.encoding.startswith(encoding) and dates in loaded.report.dates
    assert len(loaded.events) == accepted
    assert dict(zip(loaded.rejected["row"], loaded.rejected["column"])) == rejected


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_command_line(data_dir, name):
    layout, encoding, dates, accepted, rejected = EXPECTED[name]
    out = subprocess.run([sys.executable, "-m", "mapdata", "validate", str(formats_file(data_dir, name))],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert layout in out.stdout and encoding in out.stdout and dates in out.stdout
    assert f"{accepted} rows accepted, {len(rejected)} rejected" in out.stdout
    for row, column in rejected.items():
        assert f"row {row}, column {column}" in out.stdout


def test_every_date_form_gives_the_same_days(data_dir):
    days = [load_events(formats_file(data_dir, name), geocode=False).events["event_date"].tolist()
            for name in EXPECTED if name.startswith("dates_")]
    assert all(d == days[0] for d in days) and len(days) == 5


def test_old_acled_taxonomy_is_mapped_and_the_original_kept(data_dir):
    events = load_events(formats_file(data_dir, "acled_pre2019_cp1252.csv"), geocode=False).events.set_index("event_id")
    mapped = events[["event_type", "sub_event_type", "acled_event_type_original"]]
    assert mapped.loc["1TEST"].tolist() == ["Battles", "Armed clash", "Battle-No change of territory"]
    assert mapped.loc["4TEST"].tolist() == ["Explosions/Remote violence", "", "Remote violence"]
    assert mapped.loc[["6TEST", "7TEST", "8TEST"], "event_type"].tolist() == ["Riots", "Protests", "Protests"]
    assert mapped.loc["10TEST"].tolist() == ["Strategic developments", "Headquarters or base established",
                                             "Headquarters or base established"]
    assert events.loc["1TEST", "event_date"] == pd.Timestamp("2015-12-29")
    assert events.loc["1TEST", "notes"] == "Test fixture row: ‘not a real event’, Café."
    assert events.loc["1TEST", "acled_gwno"] == "373" and events.loc["1TEST", "acled_ally_actor_1"] == ""


def test_missing_value_markers_are_empty_in_every_column(data_dir):
    events = load_events(formats_file(data_dir, "missing_markers.csv"), geocode=False).events
    assert set(events["actor2"]) == {""} and set(events["notes"]) == {""}
    assert events["fatalities"].isna().all()
    resaved = load_events(formats_file(data_dir, "acled_r_resave.csv"), geocode=False).events
    assert set(resaved["actor2"]) == {""} and resaved["fatalities"].isna().tolist() == [False, True]


def test_ucdp_windows_longer_than_a_month_are_ranges(data_dir):
    events = load_events(formats_file(data_dir, "ucdp_ged19.csv"), geocode=False).events.set_index("event_id")
    assert events["date_precision"].tolist() == ["day", "week", "month", "range", "range"]
    assert events.loc["UCDP-GED-800004", ["event_date", "event_date_end"]].tolist() == [
        pd.Timestamp("2015-01-01"), pd.Timestamp("2015-12-31")]
    assert events.loc["UCDP-GED-800005", "event_date_end"] == pd.Timestamp("2015-08-15")
    assert events["event_date_end"].isna().tolist() == [True, True, True, False, False]


def test_ambiguous_dates_are_one_error_or_read_as_told(data_dir):
    path = formats_file(data_dir, "dates_ambiguous.csv")
    with pytest.raises(AmbiguousDatesError, match="--date-format"):
        load_events(path, geocode=False)
    told = load_events(path, geocode=False, date_format="%d/%m/%Y")
    assert told.events["event_date"].dt.strftime("%Y-%m-%d").tolist() == ["2021-04-03", "2021-06-05", "2021-08-07", "2021-02-01"]
    assert told.report.dates == "dd/mm/yyyy, as given"
    out = subprocess.run([sys.executable, "-m", "mapdata", "validate", str(path), "--date-format", "%m/%d/%Y"],
                         capture_output=True, text=True)
    assert out.returncode == 0 and "4 rows accepted, 0 rejected" in out.stdout


def test_zip_and_xlsx_containers(data_dir, tmp_path):
    source = formats_file(data_dir, "acled_api_2019.csv")
    archive = tmp_path / "acled.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(source, "export/acled.csv")
    from_zip = load_events(archive, geocode=False)
    assert len(from_zip.events) == 3 and "zip archive, member export/acled.csv" in from_zip.report.notes
    rows = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8"))))
    book = tmp_path / "acled.xlsx"
    book.write_bytes(xlsx_bytes({"About": [["ACLED test fixture"]], "Data": rows}))
    with pytest.raises(Exception, match="required column"):
        load_events(book, geocode=False)  # the first sheet holds no events
    from_sheet = load_events(book, geocode=False, sheet="Data")
    assert len(from_sheet.events) == 3 and from_sheet.report.format == "acled"
    out = subprocess.run([sys.executable, "-m", "mapdata", "validate", str(book), "--sheet", "Data"], capture_output=True, text=True)
    assert out.returncode == 0 and "xlsx workbook, sheet 'Data' of 2" in out.stdout and "3 rows accepted" in out.stdout


def test_validate_fails_when_no_row_is_accepted_and_reports_are_grouped(tmp_path, data_dir):
    lines = (data_dir / "events_valid.csv").read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "all_bad.csv"
    bad.write_text("\n".join([lines[0]] + [line.replace(",day,", ",fortnight,") for line in lines[1:]] * 10) + "\n",
                   encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "mapdata", "validate", str(bad), "--rejected", str(tmp_path / "r.csv")],
                         capture_output=True, text=True)
    assert out.returncode == 1 and "no row was accepted" in out.stderr
    assert "0 rows accepted, 90 rejected" in out.stdout and len(out.stdout.splitlines()) <= 45
    assert "… " in out.stdout and pd.read_csv(tmp_path / "r.csv")["row"].nunique() == 90
    every = subprocess.run([sys.executable, "-m", "mapdata", "validate", str(bad), "--all"], capture_output=True, text=True)
    assert len(every.stdout.splitlines()) > 90


def test_an_export_that_keeps_no_event_says_so(tmp_path, data_dir):
    out_file = tmp_path / "none.geojson"
    out = subprocess.run([sys.executable, "-m", "mapdata", "export", "--events", str(data_dir / "events_valid.csv"),
                          "--from", "1990-01-01", "--to", "1990-12-31", "-o", str(out_file)], capture_output=True, text=True)
    assert out.returncode == 0
    assert "mapdata: warning: the filter (" in out.stderr and "1990-01-01" in out.stderr and "keeps none of the 9 events" in out.stderr
    assert '"features": []' in out_file.read_text(encoding="utf-8")


def test_validate_says_how_the_file_was_read_also_when_it_is_cached(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("MAPDATA_CACHE_DIR", str(tmp_path / "cache"))
    path = formats_file(data_dir, "ucdp_ged19.csv")
    runs = [subprocess.run([sys.executable, "-m", "mapdata", "validate", str(path)], capture_output=True, text=True)
            for _ in range(2)]
    assert any((tmp_path / "cache").glob("*.arrow")), "the first run cached the file"
    for out in runs:
        assert "UCDP GED 19.x" in out.stdout and "read: encoding UTF-8; dates ISO 8601 date-time" in out.stdout
