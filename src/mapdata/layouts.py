"""The shapes other people's event tables come in: published layouts, and what re-saving adds.

Input is a table as the reader gives it: text cells, headers normalised by
:func:`mapdata.read.header_key` (lower case, spaces as ``_``), index = record position. Each
input format declares its published layouts (:class:`Layout`; ``mapdata.formats.acled`` and
``mapdata.formats.ucdp``); :func:`identify` names the one a header is in and what differs.

The layouts (column lists checked against real files; sources beside each):

- ACLED current export (since 20 March 2023, 31 columns): ACLED's "Guide to 2023 ACLED column
  changes" (data_id, event_id_no_cnty and iso3 removed; disorder_type, civilian_targeting and
  tags added).
- ACLED API / older export (March 2019 – March 2023, 31 columns: data_id, iso, event_id_cnty,
  event_id_no_cnty, …, timestamp, iso3): ACLED's codebook as shipped with its R package acledR.
- ACLED before the 2019 taxonomy change (25 columns, upper case: GWNO, EVENT_ID_CNTY, …,
  ALLY_ACTOR_1, …, FATALITIES; no sub-event type): e.g. the "ACLED All Africa File" of 2016 in
  OCHA-DAP/hdx-scraper-acled's test fixtures.
- UCDP GED 20.1 and later (49 columns; 23.1–25.1 checked): relid, code_status, the *_dset_id
  columns and where_description added to GED 19.1's columns.
- UCDP GED 19.x (42 columns, ending low, best, high): ged191.csv in mcarans/hdx-scraper-ucdp.
- UCDP GED as republished per country on HDX (45 columns: start_year, end_year and iso3 added,
  the GED 20.1 additions absent, an HXL hashtag row under the header): conflict_data_BGD.csv in
  mcarans/hdx-scraper-ucdp.

Files re-saved by Excel, R or pandas carry an index column (a blank or "Unnamed: 0" header over
0, 1, 2, … or 1, 2, 3, …), empty columns without a name, reordered or extra columns: the first
two are dropped (and said), the others are named in the report and kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Layout:
    """A published column layout: its name for reports, its columns, and the columns that mark it."""

    name: str
    columns: tuple[str, ...]
    marks: tuple[str, ...]


_INDEX_NAMES = re.compile(r"^(|unnamed:_0|\.\.\.1)$")
_UNNAMED = re.compile(r"^(|unnamed:_\d+)$")


def identify(columns, layouts: tuple[Layout, ...]) -> str:
    """The layout of a header (the first whose marks are present; without any, the one sharing the
    most columns), with what differs from it:
    "ACLED … (all 31 published columns)", or "…; columns reordered; extra columns kept: x; missing: y"."""
    present = list(columns)
    marked = [lay for lay in layouts if set(lay.marks) <= set(present)]
    layout = marked[0] if marked else max(layouts, key=lambda lay: len(set(lay.columns) & set(present)))
    missing = [c for c in layout.columns if c not in present]
    extra = [c for c in present if c not in layout.columns]
    shared = [c for c in present if c in layout.columns]
    notes = [f"all {len(layout.columns)} published columns" if not missing
             else f"{len(shared)} of its {len(layout.columns)} published columns"]
    if shared != [c for c in layout.columns if c in present]:
        notes.append("columns reordered")
    if extra:
        notes.append(f"extra columns kept: {', '.join(extra)}")
    if missing:
        notes.append(f"missing: {', '.join(missing)}")
    return f"{layout.name} ({'; '.join(notes)})"


def tidy(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Drop what re-saving adds and carries no data: a leading index column and empty unnamed
    columns. Returns the frame and one note per thing dropped (for the report)."""
    notes = []
    if len(frame.columns) and _INDEX_NAMES.match(frame.columns[0]) and _is_row_index(frame.iloc[:, 0]):
        notes.append(f"index column {_shown(frame.columns[0])} dropped (added by a spreadsheet, R or pandas)")
        frame = frame.iloc[:, 1:]
    empty = [c for c in frame.columns if _UNNAMED.match(c) and not frame[c].ne("").any()]
    if empty:
        notes.append(f"{len(empty)} empty column(s) without a name dropped")
        frame = frame.drop(columns=empty)
    return frame, notes


def hxl_row(frame: pd.DataFrame) -> bool:
    """Whether the first data row is an HXL hashtag row (HDX files: every non-empty cell starts
    with "#", as in "#date", "#adm1+name")."""
    if not len(frame):
        return False
    first = frame.iloc[0]
    filled = first[first.ne("")]
    return bool(len(filled)) and bool(filled.str.match(r"^#[a-z][a-z0-9_]*(\s*\+[a-z0-9_]+)*$", case=False).all())


def _is_row_index(values: pd.Series) -> bool:
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    if not len(numbers) or np.isnan(numbers).any():
        return False
    steps = numbers - np.arange(len(numbers))
    return bool((steps == steps[0]).all() and steps[0] in (0, 1))


def _shown(name: str) -> str:
    return repr(name) if name else "without a name"
