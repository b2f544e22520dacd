"""Load an events file: read → convert the format → geocode → validate → keep the good rows.

:func:`load_events` runs the stages, each in its own module: :mod:`mapdata.read` (the file as a
text table; file-level problems raise a :class:`~mapdata.errors.FileFormatError`),
:mod:`mapdata.formats` (detect the format, convert to the schema), :mod:`mapdata.geocode` (rows
with a place but no coordinates) and :mod:`mapdata.validate` (per-column checks; each bad cell a
rejected row naming file, row, column, value and reason). Row problems never raise.

Row numbers follow the spreadsheet convention: the header is row 1, the first record row 2.
The valid rows become a point GeoDataFrame with one point geometry per distinct coordinate pair,
shared by the events there, made with Python's cyclic garbage collector paused (figures in the
README, "Performance").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from os import PathLike
from typing import TYPE_CHECKING, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from geopandas.array import GeometryArray

from . import formats, schema
from .dates import parse_dates
from .gazetteers import UserGazetteer
from .geocode import Gazetteer, geocode_missing
from .points import number_pairs, shared_points
from .read import Source, read_text_table, source_label
from .schema import ImportReport
from .validate import rejected_table, validate

if TYPE_CHECKING:
    from .geo import Geography


@dataclass(frozen=True)
class Loaded:
    """What :func:`load_events` returns: the valid events, the rejected rows and the import report;
    for checks across the chunks of one file (:mod:`mapdata.stream`), the event id of every row
    the validator saw, accepted or not (indexed by row number), and each date column's form."""

    events: gpd.GeoDataFrame
    rejected: pd.DataFrame
    report: ImportReport = field(compare=False)
    ids: pd.Series = field(default_factory=lambda: pd.Series(dtype="str"), compare=False, repr=False)
    date_forms: dict[str, str] = field(default_factory=dict, compare=False)


def load_events(source: Source, name: str | None = None, fmt: str = "auto", mapping: dict | str | PathLike | None = None,
                geocode: bool | Gazetteer = True, date_format: str | None = None, sheet: str | None = None,
                gazetteers: Sequence[UserGazetteer] = (), geography: Geography | None = None) -> Loaded:
    """Read an events file, convert it to the mapdata schema, geocode, validate; see :class:`Loaded`.

    ``source`` is a path, raw bytes or a binary/text file object; ``name`` labels it in
    messages (defaults to the file name). Accepts UTF-8 with or without BOM, UTF-16 with BOM and
    Windows-1252; a zip holding one CSV; an .xlsx workbook (its first sheet, or ``sheet``); comma
    or semicolon delimiters and decimal commas. ``fmt`` is "auto" (detected from the
    header) or a name in :data:`mapdata.formats.FORMATS` ("mapdata", "acled", "ucdp", "mapping"
    with ``mapping``, a dict or a JSON/TOML file; giving ``mapping`` implies "mapping").
    ``geocode`` places rows that name a place but have no coordinates (``True``: the default
    gazetteer of the rows' countries, with the user ``gazetteers``
    (:func:`mapdata.gazetteers.read_gazetteer`); a :class:`~mapdata.geocode.Gazetteer`; ``False``:
    off), with the regions and border gazetteer of ``geography`` (default: the ``GEO_DIR`` setting's). Dates are read in one
    form per column, chosen from its values (:mod:`mapdata.dates`), or in ``date_format`` (a
    strptime pattern, or "excel").
    """
    label = name or source_label(source)
    text = read_text_table(source, label, sheet)
    frame, broken = text.frame, text.broken
    frame, fmt, how, date_format = formats.convert(frame, fmt, mapping, label, date_format)
    frame, date_forms = _read_dates(frame, date_format, label)
    geocoding = pd.DataFrame()
    if geocode:
        frame, geocoding = geocode_missing(frame, geocode if isinstance(geocode, Gazetteer) else None,
                                           regions=geography.regions if geography else None, user=gazetteers,
                                           geo_dir=geography.folder if geography else None)
    parsed, problems = validate(frame, date_forms)
    rejected = rejected_table(problems + broken, frame, label)
    good, bad_rows = _good_rows(frame.assign(**parsed), rejected)
    report = ImportReport(
        file=label, format=fmt, detected_by=how, rows=len(frame) + len(broken), accepted=len(good),
        rejected=bad_rows, geocoded=int(frame["geocoded"].ne("").sum()) if "geocoded" in frame else 0,
        geocoding=geocoding, encoding=text.encoding, dates=date_forms["event_date"], notes=text.notes,
    )
    return Loaded(_to_geodataframe(good), rejected, report, frame["event_id"].set_axis(frame.index + 2), date_forms)


def _read_dates(frame: pd.DataFrame, date_format: str | None, label: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """The date columns as ISO text (raw text where their form reads nothing), and each column's form."""
    forms = {}
    for column in ("event_date", "event_date_end"):
        parsed = parse_dates(frame[column], date_format, label, column)
        frame[column] = parsed.text
        forms[column] = parsed.form
    return frame, forms


def _good_rows(frame: pd.DataFrame, rejected: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The rows not named in ``rejected`` (by spreadsheet row number), and how many rows it names."""
    if rejected.empty:
        return frame, 0
    bad_rows = pd.unique(rejected["row"].astype(int))
    return frame[~np.isin(frame.index.to_numpy() + 2, bad_rows)], len(bad_rows)


def _to_geodataframe(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    frame = frame.reset_index(drop=True)
    frame["event_date"] = pd.to_datetime(frame["event_date"]).astype("datetime64[s]")
    frame["event_date_end"] = pd.to_datetime(frame["event_date_end"]).astype("datetime64[s]")
    frame["geo_precision"] = frame["geo_precision"].astype("int64")
    frame["fatalities"] = frame["fatalities"].astype("Int64")
    frame["latitude"] = frame["latitude"].astype("float64")
    frame["longitude"] = frame["longitude"].astype("float64")
    extras = [c for c in frame.columns if c not in schema.SOURCE_NAMES]
    frame = frame[list(schema.SOURCE_NAMES) + extras]
    geometry = _points(frame["longitude"].to_numpy(), frame["latitude"].to_numpy())
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=schema.CRS)


def _points(x: np.ndarray, y: np.ndarray) -> GeometryArray:
    """Point geometries, one object per distinct (x, y) shared by the events there (as
    :mod:`mapdata.cache` builds them again): events repeat places massively."""
    return shared_points(x, y, number_pairs(x, y))
