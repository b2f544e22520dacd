"""Rejected rows grouped by reason, so a report of a big file stays readable.

A file with 20,000 bad dates gives one group ("event_date: not a valid date …", 20,000 rows, the
first three shown), not 20,000 lines. Reasons that differ only in a number (a duplicate id's "first
used on row N", a broken row's field counts) fall in one group. The command line prints
:func:`grouped_lines`; the Import page shows :func:`group_rejections`; both offer every row too.
"""

from __future__ import annotations

import re

import pandas as pd

SHOWN_PER_REASON = 3
MAX_LINES = 40
GROUP_COLUMNS = ("column", "reason", "rows", "first_rows")


def group_rejections(rejected: pd.DataFrame, shown: int = SHOWN_PER_REASON) -> pd.DataFrame:
    """One line per (column, reason) with the number of rows and the first ``shown`` of them
    ("row 5 ('31 Septembar 2022')"), most rows first."""
    if rejected.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "rows" else "object") for c in GROUP_COLUMNS})
    table = rejected.assign(_kind=rejected["reason"].astype(str).str.replace(r"\d+", "#", regex=True))
    groups = []
    for (column, _), part in table.groupby(["column", "_kind"], sort=False):
        reasons = part["reason"].unique()
        reason = reasons[0] if len(reasons) == 1 else f"{reasons[0]} (and similar)"
        first = part.drop_duplicates("row").head(shown)
        groups.append({
            "column": column,
            "reason": reason,
            "rows": int(part["row"].nunique()),
            "first_rows": ", ".join(_row_text(r.row, r.value) for r in first.itertuples(index=False)),
        })
    return pd.DataFrame(groups).sort_values("rows", ascending=False, kind="stable").reset_index(drop=True)


def grouped_lines(rejected: pd.DataFrame, max_lines: int = MAX_LINES) -> list[str]:
    """The grouped rejections as at most ``max_lines`` lines (two per reason), then how many
    reasons and rows were left out."""
    groups = group_rejections(rejected)
    lines: list[str] = []
    for i, group in enumerate(groups.itertuples(index=False)):
        if len(lines) + 2 > max_lines - 1 and i < len(groups) - 1:
            rest = groups.iloc[i:]
            lines.append(f"  … {len(rest)} more reasons ({int(rest['rows'].sum()):,} rows)")
            break
        lines.append(f"  {group.rows:,} × {group.column}: {group.reason}")
        lines.append(f"      {group.first_rows}{', …' if group.rows > SHOWN_PER_REASON else ''}")
    return lines


def _row_text(row: int, value: object) -> str:
    value = "" if pd.isna(value) else str(value)
    return f"row {row} ({_short(value)!r})" if value else f"row {row}"


def _short(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else re.sub(r"\s+", " ", value[:limit]) + "…"
