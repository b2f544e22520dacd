"""The mapdata event schema itself (``mapdata``): the file already has the schema's columns."""

from __future__ import annotations

import pandas as pd

from .. import schema
from ._base import InputFormat


def _as_is(frame: pd.DataFrame, mapping: dict | None, label: str, date_format: str | None) -> pd.DataFrame:
    return frame


FORMAT = InputFormat(
    name="mapdata",
    label="This app's schema",
    description="the mapdata event schema",
    convert=_as_is,
    columns=schema.SOURCE_NAMES,
    core=schema.REQUIRED_NAMES,
    note="detected: the required schema columns are present",
)
