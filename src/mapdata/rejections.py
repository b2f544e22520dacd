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
_SIMILAR = " (and similar)"
GROUP_COLUMNS = ("column", "reason", "rows", "first_rows")


def rejected_rows(rejected: pd.DataFrame) -> int:
    """How many source rows ``rejected`` names: distinct (file, row) pairs, each line of row -1 (an
    event not merged, whose source row the merge does not know) on its own. Several problems of one
    row count once; row 5 of two files counts twice."""
    if rejected.empty:
        return 0
    unknown = rejected["row"].eq(-1)
    return int(rejected.loc[~unknown, ["file", "row"]].drop_duplicates().shape[0] + unknown.sum())


def group_rejections(rejected: pd.DataFrame, shown: int = SHOWN_PER_REASON) -> pd.DataFrame:
    """One line per (column, reason) with the number of rows and the first ``shown`` of them
    ("row 5 ('31 Septembar 2022')"), most rows first."""
    if rejected.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "rows" else "object") for c in GROUP_COLUMNS})
    table = rejected.assign(_kind=_kinds(rejected["reason"]))
    groups = []
    for (column, _), part in table.groupby(["column", "_kind"], sort=False):
        reasons = part["reason"].unique()
        reason = reasons[0] if len(reasons) == 1 else f"{reasons[0]}{_SIMILAR}"
        first = part.drop_duplicates("row").head(shown)
        groups.append({
            "column": column,
            "reason": reason,
            "rows": int(part["row"].nunique()),
            "first_rows": ", ".join(_row_text(r.row, r.value) for r in first.itertuples(index=False)),
        })
    return pd.DataFrame(groups).sort_values("rows", ascending=False, kind="stable").reset_index(drop=True)


def grouped_lines(rejected: pd.DataFrame, max_lines: int = MAX_LINES) -> list[str]:
    """The rejections grouped by reason in at most ``max_lines`` lines: each reason with its count,
    then its rows as "row N, column C ('value'): reason". Every row when they all fit, else the first
    :data:`SHOWN_PER_REASON` of each; reasons that do not fit are summed up in the last line."""
    groups = group_rejections(rejected, shown=len(rejected))
    every = 2 * len(groups) + rejected[["row", "column", "reason"]].drop_duplicates().shape[0] <= max_lines
    lines: list[str] = []
    for i, group in enumerate(groups.itertuples(index=False)):
        part = _group_rows(rejected, group.column, group.reason)
        shown = part if every else part.head(SHOWN_PER_REASON)
        block = [f"  {group.rows:,} {'row' if group.rows == 1 else 'rows'}: {group.column}: {group.reason}"]
        block += [f"    row {r.row}, column {r.column}{_value_text(r.value)}: {r.reason}" for r in shown.itertuples(index=False)]
        block += [f"    … {len(part) - len(shown):,} more"] if len(shown) < len(part) else []
        if len(lines) + len(block) > max_lines - 1 and i < len(groups) - 1:
            rest = groups.iloc[i:]
            lines.append(f"  … {len(rest)} more reasons ({int(rest['rows'].sum()):,} rows)")
            break
        lines += block
    return lines


def _group_rows(rejected: pd.DataFrame, column: str, reason: str) -> pd.DataFrame:
    kind = _kind(reason.removesuffix(_SIMILAR))
    part = rejected[rejected["column"].eq(column) & _kinds(rejected["reason"]).eq(kind)]
    return part.drop_duplicates("row")


def _kinds(reasons: pd.Series) -> pd.Series:
    """:func:`_kind` of every reason, worked out once per distinct reason."""
    reasons = reasons.astype(str)
    return reasons.map({reason: _kind(reason) for reason in reasons.unique()})


def _kind(reason: str) -> str:
    """A reason with its numbers blanked, so "first used on row 5" and "… row 9" are one kind."""
    return re.sub(r"\d+", "#", reason)


def _value_text(value: object) -> str:
    value = "" if pd.isna(value) else str(value)
    return f" ({_short(value)!r})" if value else ""


def _row_text(row: int, value: object) -> str:
    return f"row {row}{_value_text(value)}"


def _short(value: str, limit: int = 100) -> str:
    return value if len(value) <= limit else re.sub(r"\s+", " ", value[:limit]) + "…"
