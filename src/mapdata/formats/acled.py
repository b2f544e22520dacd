"""ACLED exports (``acled``).

``event_id_cnty`` → event_id; ``event_date`` (ISO or "13 September 2022") → ISO date;
``time_precision`` 1/2/3 → date_precision day/week/month (the date stays ACLED's own);
``geo_precision`` kept (ACLED's 1/2/3 mean what ours mean); coord_source "ACLED coordinates
(geo_precision N)"; fatalities kept, fatalities_note "ACLED fatality estimate"; source_url empty
(ACLED publishes none). Every other column is kept as ``acled_<name>``, as are the raw
``time_precision`` and ``geo_precision``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._base import InputFormat, complete, iso_dates, labelled

ACLED_COLUMNS: tuple[str, ...] = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
    "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3",
    "location", "latitude", "longitude", "geo_precision", "source", "source_scale", "notes",
    "fatalities", "tags", "timestamp",
)
"""The header of a current ACLED export (31 columns)."""

_CORE = ("event_id_cnty", "event_date", "time_precision", "event_type", "actor1", "country",
         "location", "latitude", "longitude", "geo_precision", "source", "fatalities")
"""Columns a file must have to be taken as ACLED (older layouts lack a few others)."""

ACLED_TIME_PRECISION: dict[str, str] = {"1": "day", "2": "week", "3": "month"}


def _from_acled(frame: pd.DataFrame, mapping: dict | None, label: str) -> pd.DataFrame:
    f = complete(frame, ACLED_COLUMNS)
    precision = f["time_precision"].map(ACLED_TIME_PRECISION).fillna(f["time_precision"])
    out = pd.DataFrame({
        "event_id": f["event_id_cnty"],
        "event_date": iso_dates(f["event_date"], ("%Y-%m-%d", "%d %B %Y")),
        "date_precision": precision,
        "event_type": f["event_type"],
        "sub_event_type": f["sub_event_type"],
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
    return pd.concat([out, f[list(kept)].add_prefix("acled_")], axis=1)


FORMAT = InputFormat(
    name="acled",
    label="ACLED export",
    description="ACLED export (event_id_cnty … timestamp)",
    convert=_from_acled,
    columns=ACLED_COLUMNS,
    core=_CORE,
)
