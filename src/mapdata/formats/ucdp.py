"""UCDP Georeferenced Event Dataset files (``ucdp``), in every published layout (:data:`UCDP_LAYOUTS`).

event_id "UCDP-GED-<id>"; event_date = ``date_start``; date_precision is the coarser of what
``date_prec`` says (1 day; 2, 3 week; 4 month; 5 more than a month) and what the span
``date_start``..``date_end`` allows (0 days day; up to 6 week; up to 30 month). A window longer
than a month is kept as date_precision "range" with ``event_date_end`` = ``date_end`` (empty
for every other row). Dates are read in their column's form (:mod:`mapdata.dates`: GED 19.x
writes "2015-05-11 00:00:00.000"), here for the span and again, as every format's, by the loader. Where the dates cannot be read or end before they start,
date_precision carries the raw "UCDP date_prec N, N-day span" and the row is rejected with that
text. ``type_of_violence``
1 state-based and 2 non-state → Battles (no sub-type: UCDP does not record how the violence
was carried out), 3 one-sided → Violence against civilians / Attack; ``where_prec`` 1 → 1,
2 → 2, 3–7 → 3; fatalities = ``best``, fatalities_note "UCDP GED best estimate B (low L,
high H)". Raw codes, ``date_end``, ``low``, ``high`` and every other GED column are kept
as ``ucdp_<name>``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..dates import parse_dates
from ..layouts import Layout
from ._base import InputFormat, complete, labelled

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

UCDP_COLUMNS: tuple[str, ...] = UCDP_GED_20.columns
"""The header of a UCDP GED CSV (49 columns, as in GED 20.1–25.1)."""

_CORE = ("id", "type_of_violence", "side_a", "side_b", "where_prec", "latitude", "longitude",
         "date_prec", "date_start", "date_end", "best", "low", "high")
"""Columns a file must have to be taken as UCDP GED."""

UCDP_VIOLENCE: dict[str, tuple[str, str]] = {
    "1": ("Battles", ""),
    "2": ("Battles", ""),
    "3": ("Violence against civilians", "Attack"),
}
"""UCDP type_of_violence → (event_type, sub_event_type). 1 state-based, 2 non-state, 3 one-sided."""

UCDP_WHERE_PREC: dict[str, str] = {"1": "1", "2": "2", "3": "3", "4": "3", "5": "3", "6": "3", "7": "3"}
"""UCDP where_prec → our geo_precision: 1 exact; 2 within 25 km of a named place; 3–7 an
administrative unit, a larger area, the country or international waters."""

_PRECISION_RANK = ("day", "week", "month", "range")
_UCDP_DATE_PREC: dict[str, int] = {"1": 0, "2": 1, "3": 1, "4": 2, "5": 3}


def _from_ucdp(frame: pd.DataFrame, mapping: dict | None, label: str, date_format: str | None) -> pd.DataFrame:
    f = complete(frame, UCDP_COLUMNS)
    start = parse_dates(f["date_start"], date_format, label, "date_start")
    end = parse_dates(f["date_end"], date_format, label, "date_end")
    precision = _ucdp_precision(f["date_prec"], start.dates, end.dates)
    tov = f["type_of_violence"]
    known = tov.isin(list(UCDP_VIOLENCE))
    ok_best = f["best"].ne("")
    note = ("UCDP GED best estimate " + f["best"] + " (low " + f["low"].replace("", "not given")
            + ", high " + f["high"].replace("", "not given") + ")")
    article = np.where(f["source_article"].ne(""), "; sources: " + f["source_article"], "")
    out = pd.DataFrame({
        "event_id": np.where(f["id"].ne(""), "UCDP-GED-" + f["id"], ""),
        "event_date": f["date_start"],
        "date_precision": precision,
        "event_date_end": f["date_end"].where(precision.eq("range"), ""),
        "event_type": tov.map({k: v[0] for k, v in UCDP_VIOLENCE.items()}).where(known, labelled(tov, "UCDP type_of_violence {}")),
        "sub_event_type": tov.map({k: v[1] for k, v in UCDP_VIOLENCE.items()}).where(known, ""),
        "actor1": f["side_a"],
        "actor2": f["side_b"],
        "country": f["country"],
        "admin1": f["adm_1"],
        "location": f["where_coordinates"],
        "latitude": f["latitude"],
        "longitude": f["longitude"],
        "geo_precision": f["where_prec"].map(UCDP_WHERE_PREC).fillna(labelled(f["where_prec"], "UCDP where_prec {}")),
        "fatalities": f["best"],
        "fatalities_note": np.where(ok_best, note, ""),
        "source": np.where(f["id"].ne(""), "UCDP Georeferenced Event Dataset (GED), event " + f["id"] + article, ""),
        "source_url": "",
        "notes": "",
        "coord_source": labelled(f["where_prec"], "UCDP GED coordinates (where_prec {})").where(f["latitude"].ne(""), ""),
    }, index=f.index)
    kept = tuple(c for c in f.columns if c not in ("latitude", "longitude", "country"))
    return pd.concat([out, f[list(kept)].add_prefix("ucdp_")], axis=1)


def _ucdp_precision(date_prec: pd.Series, start: pd.Series, end: pd.Series) -> pd.Series:
    """The coarser of date_prec's meaning and the span start..end ("range" beyond a month); raw
    text where the span is unknown or negative."""
    span = (end - start).dt.days
    by_span = pd.cut(span, bins=[-1, 0, 6, 30, np.inf], labels=False)  # 0 day, 1 week, 2 month, 3 wider
    by_code = date_prec.map(_UCDP_DATE_PREC)
    rank = np.fmax(by_span.to_numpy(dtype=float), by_code.to_numpy(dtype=float))
    labels = pd.Series(np.array(_PRECISION_RANK + ("",), dtype=object)[np.nan_to_num(rank, nan=3).astype(int)], index=date_prec.index)
    span_text = span.astype("Int64").astype(str).replace("<NA>", "unknown")
    raw = "UCDP date_prec " + date_prec.replace("", "empty") + ", " + span_text + "-day span"
    bad = np.isnan(rank) | span.isna().to_numpy() | span.lt(0).to_numpy()
    return labels.where(~bad, raw)


FORMAT = InputFormat(
    name="ucdp",
    label="UCDP GED",
    description="UCDP Georeferenced Event Dataset (GED) CSV",
    convert=_from_ucdp,
    columns=UCDP_COLUMNS,
    core=_CORE,
    layouts=UCDP_LAYOUTS,
)
