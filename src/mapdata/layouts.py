"""The shapes other people's event tables come in: ACLED and UCDP layouts, and what re-saving adds.

Input is a table as the reader gives it: text cells, headers normalised by
:func:`mapdata.formats.header_key` (lower case, spaces as ``_``), index = record position.

Published layouts (the column lists checked against real files; sources beside each):

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


ACLED_CURRENT = Layout(
    "ACLED export (current layout, since March 2023)",
    ("event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
     "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
     "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3",
     "location", "latitude", "longitude", "geo_precision", "source", "source_scale", "notes",
     "fatalities", "tags", "timestamp"),
    ("disorder_type",),
)
ACLED_2019 = Layout(
    "ACLED API / older export (2019–2023 layout, with data_id, event_id_no_cnty, iso3)",
    ("data_id", "iso", "event_id_cnty", "event_id_no_cnty", "event_date", "year", "time_precision",
     "event_type", "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2",
     "inter2", "interaction", "region", "country", "admin1", "admin2", "admin3", "location",
     "latitude", "longitude", "geo_precision", "source", "source_scale", "notes", "fatalities",
     "timestamp", "iso3"),
    ("sub_event_type",),
)
ACLED_PRE_2019 = Layout(
    "ACLED export before the 2019 taxonomy change (GWNO, EVENT_ID_CNTY, old event types)",
    ("gwno", "event_id_cnty", "event_id_no_cnty", "event_date", "year", "time_precision", "event_type",
     "actor1", "ally_actor_1", "inter1", "actor2", "ally_actor_2", "inter2", "interaction", "country",
     "admin1", "admin2", "admin3", "location", "latitude", "longitude", "geo_precision", "source",
     "notes", "fatalities"),
    ("gwno",),
)
ACLED_LAYOUTS: tuple[Layout, ...] = (ACLED_CURRENT, ACLED_2019, ACLED_PRE_2019)
"""ACLED layouts, most specific first: the first whose marks are all present is the file's."""

UCDP_GED_20 = Layout(
    "UCDP GED 20.1 and later (49 columns)",
    ("id", "relid", "year", "active_year", "code_status", "type_of_violence", "conflict_dset_id",
     "conflict_new_id", "conflict_name", "dyad_dset_id", "dyad_new_id", "dyad_name",
     "side_a_dset_id", "side_a_new_id", "side_a", "side_b_dset_id", "side_b_new_id", "side_b",
     "number_of_sources", "source_article", "source_office", "source_date", "source_headline",
     "source_original", "where_prec", "where_coordinates", "where_description", "adm_1", "adm_2",
     "latitude", "longitude", "geom_wkt", "priogrid_gid", "country", "country_id", "region",
     "event_clarity", "date_prec", "date_start", "date_end", "deaths_a", "deaths_b",
     "deaths_civilians", "deaths_unknown", "best", "high", "low", "gwnoa", "gwnob"),
    ("relid",),
)
UCDP_GED_HDX = Layout(
    "UCDP GED as republished on HDX (45 columns, with start_year, end_year, iso3)",
    ("id", "year", "active_year", "start_year", "end_year", "type_of_violence", "conflict_new_id",
     "conflict_name", "dyad_new_id", "dyad_name", "side_a_new_id", "gwnoa", "side_a", "side_b_new_id",
     "gwnob", "side_b", "number_of_sources", "source_article", "source_office", "source_date",
     "source_headline", "source_original", "where_prec", "where_coordinates", "adm_1", "adm_2",
     "latitude", "longitude", "geom_wkt", "priogrid_gid", "country", "country_id", "iso3", "region",
     "event_clarity", "date_prec", "date_start", "date_end", "deaths_a", "deaths_b",
     "deaths_civilians", "deaths_unknown", "low", "best", "high"),
    ("start_year", "iso3"),
)
UCDP_GED_19 = Layout(
    "UCDP GED 19.x (42 columns)",
    ("id", "year", "active_year", "type_of_violence", "conflict_new_id", "conflict_name", "dyad_new_id",
     "dyad_name", "side_a_new_id", "gwnoa", "side_a", "side_b_new_id", "gwnob", "side_b",
     "number_of_sources", "source_article", "source_office", "source_date", "source_headline",
     "source_original", "where_prec", "where_coordinates", "adm_1", "adm_2", "latitude", "longitude",
     "geom_wkt", "priogrid_gid", "country", "country_id", "region", "event_clarity", "date_prec",
     "date_start", "date_end", "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown", "low",
     "best", "high"),
    (),
)
UCDP_LAYOUTS: tuple[Layout, ...] = (UCDP_GED_20, UCDP_GED_HDX, UCDP_GED_19)
"""UCDP GED layouts, most specific first (GED 19.x has no mark: it is what is left)."""

_INDEX_NAMES = re.compile(r"^(|unnamed:_0|\.\.\.1)$")
_UNNAMED = re.compile(r"^(|unnamed:_\d+)$")


def identify(columns, layouts: tuple[Layout, ...]) -> str:
    """The layout of a header (the first whose marks are present), with what differs from it:
    "ACLED … (all 31 columns)", or "…; columns reordered; extra columns: x; missing: y"."""
    present = list(columns)
    layout = next(lay for lay in layouts if set(lay.marks) <= set(present))
    missing = [c for c in layout.columns if c not in present]
    extra = [c for c in present if c not in layout.columns]
    shared = [c for c in present if c in layout.columns]
    notes = [f"all {len(layout.columns)} columns" if not missing else f"{len(shared)} of its {len(layout.columns)} columns"]
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
