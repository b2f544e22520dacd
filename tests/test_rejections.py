"""mapdata.rejections: rejected rows grouped by reason, within ~40 lines."""

from __future__ import annotations

import pandas as pd

from mapdata.rejections import group_rejections, grouped_lines, rejected_rows


def rejected(rows: list[tuple[int, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame([("f.csv", *r) for r in rows], columns=["file", "row", "column", "value", "reason"])


def test_groups_by_column_and_reason_most_rows_first():
    table = rejected([(2, "fatalities", "many", "not a number")]
                     + [(i, "event_date", f"x{i}", "not a valid date") for i in range(3, 9)]
                     + [(9, "event_id", "A", "duplicate event_id (first used on row 2)"),
                        (10, "event_id", "A", "duplicate event_id (first used on row 4)")])
    groups = group_rejections(table)
    assert groups[["column", "rows"]].values.tolist() == [["event_date", 6], ["event_id", 2], ["fatalities", 1]]
    assert groups.loc[0, "first_rows"] == "row 3 ('x3'), row 4 ('x4'), row 5 ('x5')"
    assert groups.loc[1, "reason"] == "duplicate event_id (first used on row 2) (and similar)"
    lines = grouped_lines(table)  # everything fits: every row, under its reason
    assert lines[:2] == ["  6 rows: event_date: not a valid date", "    row 3, column event_date ('x3'): not a valid date"]
    assert lines[-2:] == ["  1 row: fatalities: not a number", "    row 2, column fatalities ('many'): not a number"]
    assert len(lines) == 3 + 9
    short = grouped_lines(table, max_lines=12)  # not everything fits: the first three rows of each reason
    assert short[:5] == ["  6 rows: event_date: not a valid date", "    row 3, column event_date ('x3'): not a valid date",
                         "    row 4, column event_date ('x4'): not a valid date",
                         "    row 5, column event_date ('x5'): not a valid date", "    … 3 more"]


def test_at_most_forty_lines_however_many_reasons():
    table = rejected([(i, f"col{i}", "v", f"reason {chr(65 + i % 26)}{chr(65 + i // 26)}") for i in range(2, 200)])
    lines = grouped_lines(table)
    assert len(lines) <= 40
    assert lines[-1].startswith("  … ") and lines[-1].endswith("rows)")


def test_nothing_rejected_gives_no_lines():
    assert grouped_lines(rejected([])) == [] and group_rejections(rejected([])).empty


def test_rejected_rows_counts_source_rows_per_file_and_each_unmerged_event():
    rejected = pd.DataFrame({
        "file": ["a.csv", "a.csv", "b.csv", "b.csv", "b.csv"],
        "row": [5, 5, 5, -1, -1],
        "column": ["event_date", "latitude", "event_date", "event_id", "event_id"],
        "value": ["x", "y", "z", "E-1", "E-2"],
        "reason": ["r", "r", "r", "already used", "already used"],
    })
    assert rejected_rows(rejected) == 4  # row 5 of a.csv once, row 5 of b.csv, two events not merged
    assert rejected_rows(rejected.iloc[:0]) == 0
