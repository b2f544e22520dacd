"""load_events: real CSV files in tests/data/, good rows kept, bad rows reported."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from mapdata import schema
from mapdata.errors import FileFormatError, MapdataError, MissingColumnsError
from mapdata.load import load_events
from mapdata.schema import REJECTED_COLUMNS


def test_valid_file_loads_every_row_with_schema_types(data_dir):
    loaded = load_events(data_dir / "events_valid.csv")
    events, rejected = loaded.events, loaded.rejected
    assert len(events) == 9
    assert rejected.empty
    assert list(events.columns[: len(schema.SOURCE_NAMES)]) == list(schema.SOURCE_NAMES)
    assert events.crs.to_epsg() == 4326
    assert str(events["event_date"].dtype).startswith("datetime64")
    assert events["fatalities"].dtype == "Int64"
    kalbajar = events.set_index("event_id").loc["AZARM-0011"]
    assert kalbajar["geo_precision"] == 3
    assert (kalbajar.geometry.x, kalbajar.geometry.y) == (46.0383, 40.1067)
    unknown = events.set_index("event_id").loc["AZARM-0028", "fatalities"]
    assert pd.isna(unknown), "an empty fatalities cell means unknown, not zero"


def test_embedded_dataset_is_fully_valid(repo_root):
    loaded = load_events(repo_root / "data" / "events.csv")
    events, rejected = loaded.events, loaded.rejected
    assert len(events) == 224 and rejected.empty
    assert events["source_url"].str.match(r"https?://").all()
    assert events["event_id"].is_unique


def test_semicolons_decimal_commas_and_bom(data_dir):
    loaded = load_events(data_dir / "events_semicolon.csv")
    events, rejected = loaded.events, loaded.rejected
    assert rejected.empty
    assert len(events) == 3
    assert events["latitude"].iloc[0] == pytest.approx(39.7414)


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (3, "event_date", "not a valid date"),
        (4, "latitude", "out of range"),
        (5, "event_type", "unknown event type"),
        (6, "fatalities", "negative"),
        (7, "fatalities", "not a number"),
        (8, "event_id", "duplicate event_id (first used on row 2)"),
        (9, "source", "no source"),
        (11, "geo_precision", "must be 1, 2 or 3"),
        (12, "sub_event_type", "not an ACLED sub-event type"),
        (13, "source_url", "not an http(s) URL"),
        (14, "event_date", "future"),
        (15, "fatalities", "not a whole number"),
        (16, "event_id", "empty"),
        (18, "(whole row)", "expected 19 fields, found 20"),
    ],
)
def test_bad_rows_are_rejected_with_row_column_and_reason(data_dir, row, column, reason):
    rejected = load_events(data_dir / "events_bad.csv").rejected
    hit = rejected[(rejected["row"] == row) & (rejected["column"] == column)]
    assert len(hit) == 1, rejected.to_string()
    assert reason in hit["reason"].iloc[0]
    assert hit["file"].iloc[0].endswith("events_bad.csv")


def test_good_rows_survive_beside_bad_ones(data_dir):
    loaded = load_events(data_dir / "events_bad.csv")
    events, rejected = loaded.events, loaded.rejected
    assert list(events["event_id"]) == ["TEST-01", "TEST-09", "TEST-16"]
    assert list(rejected.columns) == list(REJECTED_COLUMNS)
    assert rejected["row"].nunique() == 14
    assert events.set_index("event_id").loc["TEST-09", "latitude"] == pytest.approx(40.1067)
    assert "<script>" in events.set_index("event_id").loc["TEST-16", "notes"], "text is kept unchanged"


def test_rejected_value_is_the_raw_text(data_dir):
    rejected = load_events(data_dir / "events_bad.csv").rejected
    assert rejected.loc[rejected["row"] == 7, "value"].iloc[0] == "many"


@pytest.mark.parametrize(
    ("name", "error", "words"),
    [
        ("empty.csv", FileFormatError, "empty"),
        ("events_missing_columns.csv", MissingColumnsError, "latitude, longitude, geo_precision, source, source_url"),
    ],
)
def test_file_level_problems_raise_one_clear_error(data_dir, name, error, words):
    with pytest.raises(error) as info:
        load_events(data_dir / name)
    assert name in str(info.value) and words in str(info.value)
    assert isinstance(info.value, MapdataError)


def test_header_only_file_gives_no_events_and_no_error(data_dir):
    loaded = load_events(data_dir / "header_only.csv")
    events, rejected = loaded.events, loaded.rejected
    assert len(events) == 0 and rejected.empty


def test_binary_and_non_utf8_input_raise_file_format_error():
    with pytest.raises(FileFormatError, match="NUL"):
        load_events(b"event_id,x\n\x00\x01\x02", name="blob.bin")
    with pytest.raises(FileFormatError, match="not UTF-8"):
        load_events("event_id;Kəlbəcər\n".encode("cp1254", errors="replace") + b"\xff\xfe\xfa", name="latin.csv")


def test_buffers_and_missing_files(data_dir):
    text = (data_dir / "events_valid.csv").read_text(encoding="utf-8")
    events = load_events(io.StringIO(text), name="upload.csv").events
    assert len(events) == 9
    with pytest.raises(FileFormatError, match="no such file"):
        load_events(data_dir / "does-not-exist.csv")


def test_row_limit_is_a_clear_error(data_dir, monkeypatch):
    monkeypatch.setenv("MAPDATA_MAX_ROWS", "5")
    with pytest.raises(FileFormatError, match=r"events_valid.csv: 9 rows; the limit is 5 \(setting MAPDATA_MAX_ROWS\)"):
        load_events(data_dir / "events_valid.csv")


def test_field_length_limit_names_row_and_column(data_dir, monkeypatch):
    monkeypatch.setenv("MAPDATA_MAX_FIELD_CHARS", "50")
    loaded = load_events(data_dir / "events_valid.csv")
    events, rejected = loaded.events, loaded.rejected
    notes = rejected[rejected["column"] == "notes"]
    assert len(notes) and (notes["reason"] == "longer than 50 characters").all()


def test_infinite_and_huge_fatalities_are_rejected_not_raised(data_dir):
    loaded = load_events(data_dir / "fatalities_out_of_range.csv")
    events, rejected = loaded.events, loaded.rejected
    # "nan" (row 7) is a missing-value marker (schema.MISSING_MARKERS): an unknown figure, not text
    assert list(events["event_id"]) == ["A5", "A6"] and events["fatalities"].tolist() == [3, pd.NA]
    reasons = rejected.groupby("row")["reason"].apply(" | ".join).to_dict()
    assert set(reasons) == {2, 3, 4, 5}
    for row in (2, 3, 4):
        assert "not a count (infinite or above" in reasons[row]
    assert "negative" in reasons[5]
    assert set(rejected["column"]) == {"fatalities"}


def test_rows_after_a_broken_row_keep_their_numbers_and_are_not_lost(data_dir):
    loaded = load_events(data_dir / "ragged_row_then_valid_rows.csv")
    events, rejected = loaded.events, loaded.rejected
    assert list(events["event_id"]) == ["R1", "R3", "R5"]  # R2 has a field too many, R4 no number
    assert rejected[["row", "column"]].values.tolist() == [[3, "(whole row)"], [5, "fatalities"]]
    assert rejected.loc[rejected["row"] == 5, "value"].tolist() == ["many"]


def test_plain_decimal_coordinates_read_as_the_general_reader_reads_them(data_dir):
    """A column of plain decimals takes a quicker path; a decimal comma elsewhere in the column
    sends it the general way. Both must give the same numbers, bit for bit (also "-0", "40.")."""
    loaded = load_events(data_dir / "coordinates_plain.csv")
    plain, plain_rejected = loaded.events, loaded.rejected
    loaded = load_events(data_dir / "coordinates_general.csv")
    general, general_rejected = loaded.events, loaded.rejected
    assert plain_rejected.empty and general_rejected.empty
    assert len(general) == len(plain) + 1
    for column in ("latitude", "longitude"):
        fast = plain[column].to_numpy()
        slow = general[column].to_numpy()[: len(plain)]
        assert fast.view("uint64").tolist() == slow.view("uint64").tolist(), column
    assert general[["latitude", "longitude"]].iloc[-1].tolist() == [40.5, 45.25]


def test_url_rule_is_the_same_for_plain_ascii_and_other_columns(data_dir):
    """A column of printable ASCII URLs is judged by a quicker path; a space or a non-ASCII
    character in another cell sends the column the general way. The verdicts must agree."""
    plain = load_events(data_dir / "urls_ascii.csv").rejected
    general = load_events(data_dir / "urls_general.csv").rejected
    expected = [[4, "https://"], [5, "http://"], [7, "ftp://example.org"], [8, "https:/x"]]
    assert plain[["row", "value"]].values.tolist() == expected
    assert general[["row", "value"]].values.tolist() == expected + [[10, "https://example.org/a b"]]
    assert set(plain["reason"]) == set(general["reason"]) == {"not an http(s) URL"}


def test_a_first_row_with_a_field_too_many_is_rejected_not_cut(data_dir):
    """pandas cuts the first record to the header's width without a word; the reader rejects it
    like any later row with a field too many, and the rows after it keep their numbers."""
    loaded = load_events(data_dir / "first_row_extra_field.csv")
    assert list(loaded.events["event_id"]) == ["F2", "F3"]
    assert loaded.rejected[["row", "column"]].values.tolist() == [[2, "(whole row)"]]
    assert "expected 9 fields, found 10" in loaded.rejected["reason"].iloc[0]
