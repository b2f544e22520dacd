"""mapdata.layouts: ACLED and UCDP layouts from the header; what re-saving adds; HXL rows."""

from __future__ import annotations

import pandas as pd
import pytest

from mapdata.formats.acled import ACLED_LAYOUTS
from mapdata.formats.ucdp import UCDP_LAYOUTS
from mapdata.layouts import hxl_row, identify, tidy


def read(path, encoding="utf-8") -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
    frame.columns = [str(c).strip().lower().replace(" ", "_") for c in frame.columns]
    return frame


@pytest.mark.parametrize(("name", "layouts", "expected"), [
    ("import_acled.csv", ACLED_LAYOUTS, "ACLED export (current layout, since March 2023) (all 31 published columns)"),
    ("formats/acled_api_2019.csv", ACLED_LAYOUTS,
     "ACLED API / older export (2019–2023 layout, with data_id, event_id_no_cnty, iso3) (all 31 published columns)"),
    ("import_ucdp_ged.csv", UCDP_LAYOUTS, "UCDP GED 20.1 and later (49 columns) (all 49 published columns)"),
    ("formats/ucdp_ged19.csv", UCDP_LAYOUTS, "UCDP GED 19.x (42 columns) (all 42 published columns)"),
    ("formats/ucdp_hdx_hxl.csv", UCDP_LAYOUTS,
     "UCDP GED as republished on HDX (45 columns, with start_year, end_year, iso3) (all 45 published columns)"),
])
def test_published_layouts(data_dir, name, layouts, expected):
    assert identify(read(data_dir / name).columns, layouts) == expected


def test_pre_2019_acled_with_its_empty_unnamed_columns(data_dir):
    frame, notes = tidy(read(data_dir / "formats" / "acled_pre2019_cp1252.csv", encoding="cp1252"))
    assert notes == ["3 empty column(s) without a name dropped"]
    assert identify(frame.columns, ACLED_LAYOUTS) == (
        "ACLED export before the 2019 taxonomy change (GWNO, EVENT_ID_CNTY, old event types) (all 25 published columns)")


def test_excel_resave_index_column_reordered_and_extra_columns(data_dir):
    frame, notes = tidy(read(data_dir / "formats" / "acled_excel_resave.csv"))
    assert notes == ["index column 'unnamed:_0' dropped (added by a spreadsheet, R or pandas)"]
    assert identify(frame.columns, ACLED_LAYOUTS) == (
        "ACLED export (current layout, since March 2023) (all 31 published columns; columns reordered; "
        "extra columns kept: analyst_comment)")


def test_a_numbered_first_column_with_a_name_is_data(data_dir):
    frame = pd.DataFrame({"id": ["1", "2"], "x": ["a", "b"]})
    assert tidy(frame) == (frame, [])
    not_an_index = pd.DataFrame({"unnamed:_0": ["7", "3"], "x": ["a", "b"]})
    assert tidy(not_an_index)[1] == []


def test_hxl_row(data_dir):
    assert hxl_row(read(data_dir / "formats" / "ucdp_hdx_hxl.csv"))
    assert not hxl_row(read(data_dir / "formats" / "ucdp_ged19.csv"))
    assert not hxl_row(pd.DataFrame({"a": ["#1 hit", "x"]}))


def test_a_header_without_any_layout_mark_takes_the_closest_layout():
    core = ["event_id_cnty", "event_date", "time_precision", "event_type", "actor1", "country", "location",
            "latitude", "longitude", "geo_precision", "source", "fatalities", "notes"]
    assert identify(core, ACLED_LAYOUTS).startswith("ACLED export (current layout, since March 2023) (13 of its 31")
