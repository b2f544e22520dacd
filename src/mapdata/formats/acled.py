"""ACLED exports (``acled``), in every layout in circulation (:data:`ACLED_LAYOUTS`).

``event_id_cnty`` → event_id; ``event_date`` read in the column's date form (see
:mod:`mapdata.dates`: ISO, "13 September 2022", "9-May-20", dd/mm/yyyy, …);
``time_precision`` 1/2/3 → date_precision day/week/month (the date stays ACLED's own);
``geo_precision`` kept (ACLED's 1/2/3 mean what ours mean); coord_source "ACLED coordinates
(geo_precision N)"; fatalities kept, fatalities_note "ACLED fatality estimate"; source_url empty
(ACLED publishes none). Every other column is kept as ``acled_<name>``, as are the raw
``time_precision`` and ``geo_precision``. A file in the event types used before March 2019 has
them mapped by :mod:`mapdata.acled_taxonomy`, the original kept as ``acled_event_type_original``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import acled_taxonomy
from ..layouts import Layout
from ._base import InputFormat, complete, labelled

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

ACLED_COLUMNS: tuple[str, ...] = ACLED_CURRENT.columns
"""The header of a current ACLED export (31 columns)."""

_CORE = ("event_id_cnty", "event_date", "time_precision", "event_type", "actor1", "country",
         "location", "latitude", "longitude", "geo_precision", "source", "fatalities")
"""Columns a file must have to be taken as ACLED (older layouts lack a few others)."""

ACLED_TIME_PRECISION: dict[str, str] = {"1": "day", "2": "week", "3": "month"}


def _from_acled(frame: pd.DataFrame, mapping: dict | None, label: str, date_format: str | None) -> pd.DataFrame:
    f = complete(frame, ACLED_COLUMNS)
    event_type, sub_event_type, original = _current_taxonomy(f)
    precision = f["time_precision"].map(ACLED_TIME_PRECISION).fillna(f["time_precision"])
    out = pd.DataFrame({
        "event_id": f["event_id_cnty"],
        "event_date": f["event_date"],
        "date_precision": precision,
        "event_type": event_type,
        "sub_event_type": sub_event_type,
        "actor1": f["actor1"],
        "actor2": f["actor2"],
        "country": f["country"],
        "admin1": f["admin1"],
        "location": f["location"],
        "latitude": f["latitude"],
        "longitude": f["longitude"],
        "geo_precision": f["geo_precision"],
        "fatalities": f["fatalities"],
        "fatalities_note": np.where(f["fatalities"].ne(""), "ACLED fatality estimate", ""),
        "source": f["source"],
        "source_url": "",
        "notes": f["notes"],
        "coord_source": labelled(f["geo_precision"], "ACLED coordinates (geo_precision {})").where(f["latitude"].ne(""), ""),
    }, index=f.index)
    kept = ("time_precision", "geo_precision") + tuple(
        c for c in f.columns if c not in out.columns and c not in ("event_id_cnty", "time_precision", "geo_precision"))
    return pd.concat([out, f[list(kept)].add_prefix("acled_"), original], axis=1)


def _current_taxonomy(f: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """(event_type, sub_event_type) in the current taxonomy, and the original types as a column
    ``acled_event_type_original`` when the file uses the pre-2019 ones (else no column)."""
    if not acled_taxonomy.is_old_taxonomy(f["event_type"]):
        return f["event_type"], f["sub_event_type"], pd.DataFrame(index=f.index)
    types, subs = acled_taxonomy.to_current(f["event_type"], f["sub_event_type"], f["inter1"], f["inter2"])
    return types, subs, pd.DataFrame({"acled_event_type_original": f["event_type"]}, index=f.index)


FORMAT = InputFormat(
    name="acled",
    label="ACLED export",
    description="ACLED export (event_id_cnty … timestamp)",
    convert=_from_acled,
    columns=ACLED_COLUMNS,
    core=_CORE,
    layouts=ACLED_LAYOUTS,
)
