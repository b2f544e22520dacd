"""mapdata.dates: one date form per column, chosen from the column's values."""

from __future__ import annotations

import pandas as pd
import pytest

from mapdata.dates import ISO_DATE, ISO_DATETIME, parse_dates
from mapdata.errors import AmbiguousDatesError, MapdataError

ISO_DAYS = ["2020-11-09", "2020-11-25", "2021-05-25", "2021-11-16"]


@pytest.mark.parametrize(("name", "form"), [
    ("dates_dd_mm_yyyy.csv", "dd/mm/yyyy"),
    ("dates_mm_dd_yyyy.csv", "mm/dd/yyyy"),
    ("dates_day_month_name.csv", "day month year (13 September 2022)"),
    ("dates_excel_serial.csv", "Excel serial day number (days since 1899-12-30, 16803–73050)"),
    ("dates_iso_datetime.csv", ISO_DATETIME),
])
def test_each_fixture_form_reads_to_the_same_days(data_dir, name, form):
    column = pd.read_csv(data_dir / "formats" / name, dtype=str)["event_date"]
    parsed = parse_dates(column)
    assert parsed.form == form
    assert parsed.text.tolist() == ISO_DAYS
    assert parsed.dates.tolist() == [pd.Timestamp(d) for d in ISO_DAYS]


@pytest.mark.parametrize(("values", "form", "days"), [
    (["9-May-20", "13-Dec-99"], "day-month-two-digit year, as Excel shows dates (9-May-20)", ["2020-05-09", "1999-12-13"]),
    (["01-January-2015", "15-March-2015"], "day-month-year (01-January-2015)", ["2015-01-01", "2015-03-15"]),
    (["2021-01-02T00:00:00Z", "2013-01-03 00:00:00.000", "2020-01-01T23:00:00-05:00"], ISO_DATETIME,
     ["2021-01-02", "2013-01-03", "2020-01-01"]),
    (["2022-09-13", ""], ISO_DATE, ["2022-09-13", ""]),
])
def test_forms_from_real_files(values, form, days):
    parsed = parse_dates(pd.Series(values))
    assert (parsed.form, parsed.text.tolist()) == (form, days)


def test_iso_is_read_beside_the_column_form_and_unread_cells_keep_their_text():
    parsed = parse_dates(pd.Series(["2022-09-13", "13 September 2022", "31 Septembar 2022", "2021-02-30"]))
    assert parsed.form == "day month year (13 September 2022), and ISO 8601"
    assert parsed.text.tolist() == ["2022-09-13", "2022-09-13", "31 Septembar 2022", "2021-02-30"]
    assert parsed.dates.isna().tolist() == [False, False, True, True]


def test_a_column_is_read_in_one_form_not_row_by_row():
    # 25/12 settles dd/mm for the whole column: 03/04 is then 3 April, never 4 March
    parsed = parse_dates(pd.Series(["25/12/2020", "03/04/2021", "26/12/2020", "12/27/2020"]))
    assert parsed.form == "dd/mm/yyyy"
    assert parsed.text.tolist() == ["2020-12-25", "2021-04-03", "2020-12-26", "12/27/2020"]


def test_an_ambiguous_column_is_one_clear_error_naming_both_readings(data_dir):
    column = pd.read_csv(data_dir / "formats" / "dates_ambiguous.csv", dtype=str)["event_date"]
    with pytest.raises(AmbiguousDatesError) as info:
        parse_dates(column, label="dates_ambiguous.csv")
    message = str(info.value)
    assert "dates_ambiguous.csv: column event_date" in message
    assert "dd/mm/yyyy and mm/dd/yyyy" in message and "03 April 2021 or 04 March 2021" in message
    assert "--date-format %d/%m/%Y or --date-format %m/%d/%Y" in message


def test_a_given_format_settles_it():
    values = pd.Series(["03/04/2021", "2021-05-06", "bad"])
    assert parse_dates(values, "%m/%d/%Y").text.tolist() == ["2021-03-04", "2021-05-06", "bad"]
    assert parse_dates(values, "%d/%m/%Y").form == "dd/mm/yyyy, as given"
    assert parse_dates(pd.Series(["44000"]), "excel").text.tolist() == ["2020-06-18"]
    with pytest.raises(MapdataError, match="not a date format"):
        parse_dates(values, "dd/mm/yyyy")


def test_numbers_outside_the_plausible_range_are_not_excel_dates():
    years = parse_dates(pd.Series(["2020", "2021"]))
    assert years.dates.isna().all() and years.text.tolist() == ["2020", "2021"]
    mixed = parse_dates(pd.Series(["44000", "12"]))
    assert mixed.dates.isna().all()
