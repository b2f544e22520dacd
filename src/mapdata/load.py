"""Load an events CSV: decode, parse, validate every row, keep the good rows, report the rest.

Row-level problems never raise: each becomes a line in the ``rejected`` table naming the file,
the row, the column, the value and the reason. File-level problems (empty, not text, required
columns missing) raise a :class:`~mapdata.errors.FileFormatError` with a message a person can
act on. Validation is vectorised: no Python loop over rows.

Row numbers follow the spreadsheet convention: the header is row 1, the first record row 2.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from datetime import date
from os import PathLike
from pathlib import Path
from dataclasses import dataclass, field
from typing import IO, Iterator, Union

import geopandas as gpd
import numpy as np
import pandas as pd

from . import config, formats, schema
from .errors import FileFormatError, MissingColumnsError
from .formats import ImportReport
from .geocode import Gazetteer, geocode_missing

Source = Union[str, PathLike, bytes, IO[bytes], IO[str]]

REJECTED_COLUMNS = ("file", "row", "column", "value", "reason")
_MAX_VALUE_CHARS = 200
_BAD_LINE = re.compile(r"[Ll]ine (\d+)[^\d]+(\d+) fields?[^\d]+(\d+)")


@dataclass(frozen=True)
class Loaded:
    """What :func:`load_events` returns: the valid events, the rejected rows and the import report.

    Unpacks as before: ``events, rejected = load_events(...)``.
    """

    events: gpd.GeoDataFrame
    rejected: pd.DataFrame
    report: ImportReport = field(compare=False)

    def __iter__(self) -> Iterator:
        return iter((self.events, self.rejected))


def load_events(source: Source, name: str | None = None, fmt: str = "auto", mapping: dict | str | PathLike | None = None,
                geocode: bool | Gazetteer = True) -> Loaded:
    """Read an events file, convert it to the mapdata schema, geocode, validate; see :class:`Loaded`.

    ``source`` is a path, raw bytes or a binary/text file object; ``name`` labels it in
    messages (defaults to the file name). Accepts UTF-8 with or without BOM (and UTF-16 with
    BOM), comma or semicolon delimiters and decimal commas. ``fmt`` is "auto" (detected from the
    header), "mapdata", "acled", "ucdp" or "mapping" (with ``mapping``, a dict or a JSON/TOML
    file; giving ``mapping`` implies "mapping"). ``geocode`` places rows that name a place but
    have no coordinates (``True``: the default gazetteer; a :class:`~mapdata.geocode.Gazetteer`;
    ``False``: off).
    """
    label = name or _label(source)
    data = _decode(_read_bytes(source, label), label)
    frame, structural = _parse(data, label)
    _check_row_limit(len(frame) + len(structural), label)
    frame = _header_keys(frame, label)
    frame, fmt, how = _convert(frame, fmt, mapping, label)
    frame = _complete_columns(frame, label, fmt)
    geocoding = pd.DataFrame()
    if geocode:
        frame, geocoding = geocode_missing(frame, geocode if isinstance(geocode, Gazetteer) else None)
    raw = frame.copy()
    problems = _validate(frame, label)
    rejected = _rejected_table(problems + structural, raw, label)
    bad_rows = set(rejected["row"].astype(int)) if len(rejected) else set()
    good = frame[~(frame.index.to_series() + 2).isin(bad_rows)]
    report = ImportReport(
        file=label, format=fmt, detected_by=how, rows=len(frame) + len(structural), accepted=len(good),
        rejected=len(bad_rows), geocoded=int(frame["geocoded"].ne("").sum()) if "geocoded" in frame else 0,
        geocoding=geocoding,
    )
    return Loaded(_to_geodataframe(good), rejected, report)


def _check_row_limit(rows: int, label: str) -> None:
    limit = config.get("MAX_ROWS")
    if rows > limit:
        raise FileFormatError(f"{label}: {rows:,} rows; the limit is {limit:,} (setting MAPDATA_MAX_ROWS). "
                              "Split the file or filter it before loading")


def empty_rejected() -> pd.DataFrame:
    """An empty rejected-rows table with the right columns."""
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else "object") for c in REJECTED_COLUMNS})


def _label(source: Source) -> str:
    if isinstance(source, (str, PathLike)):
        return str(source)
    return getattr(source, "name", None) or "<uploaded data>"


def _read_bytes(source: Source, label: str) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, (str, PathLike)):
        path = Path(source)
        if not path.is_file():
            raise FileFormatError(f"{label}: no such file")
        return path.read_bytes()
    data = source.read()
    return data.encode("utf-8") if isinstance(data, str) else data


def _decode(raw: bytes, label: str) -> bytes:
    """Check that ``raw`` is text and return it as UTF-8 without a BOM."""
    if not raw or raw.isspace():
        raise FileFormatError(f"{label}: the file is empty; expected a CSV with a header row")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raw = raw.decode("utf-16").encode("utf-8")
    elif raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    try:
        codecs.decode(raw, "utf-8")
    except UnicodeDecodeError as exc:
        raise FileFormatError(
            f"{label}: not UTF-8 text (undecodable byte at offset {exc.start}); "
            "save the file as CSV UTF-8 and try again"
        ) from None
    if b"\x00" in raw:
        raise FileFormatError(f"{label}: contains NUL bytes, so it is not a text CSV file")
    return raw


def _delimiter(data: bytes) -> str:
    end = data.find(b"\n")
    header = data if end < 0 else data[:end]
    return ";" if header.count(b";") > header.count(b",") else ","


def _parse(data: bytes, label: str) -> tuple[pd.DataFrame, list[dict]]:
    """Parse with Arrow's fast reader; a file it cannot take whole (ragged rows, newlines inside
    quotes) is parsed again by pandas' C reader, which reports each bad line by number."""
    delimiter = _delimiter(data)
    _check_header(data, delimiter, label)
    try:
        frame = pd.read_csv(io.BytesIO(data), sep=delimiter, dtype=str, keep_default_na=False, engine="pyarrow")
        return frame.fillna(""), []
    except Exception:  # noqa: BLE001 - any Arrow refusal means: use the careful reader below
        pass
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = pd.read_csv(
                io.BytesIO(data),
                sep=delimiter,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                on_bad_lines="warn",
                skip_blank_lines=True,
                index_col=False,
            )
        except pd.errors.EmptyDataError:
            raise FileFormatError(f"{label}: the file has no header row") from None
        except (pd.errors.ParserError, ValueError) as exc:
            raise FileFormatError(f"{label}: could not be parsed as CSV ({exc})") from None
    structural = []
    for warning in caught:
        for line, expected, saw in _BAD_LINE.findall(str(warning.message)):
            structural.append(
                {"row": int(line), "column": "(whole row)", "value": "",
                 "reason": f"expected {expected} fields, found {saw} (check quoting and delimiters)"}
            )
    return frame, structural


def _check_header(data: bytes, delimiter: str, label: str) -> None:
    """Refuse repeated column names here: both CSV readers would silently rename them (x, x.1)."""
    end = data.find(b"\n")
    line = (data if end < 0 else data[:end]).decode("utf-8").rstrip("\r")
    try:
        names = [formats.header_key(c) for c in next(csv.reader([line], delimiter=delimiter), [])]
    except csv.Error:  # not a plain header line (e.g. a stray CR): the CSV reader below will say what is wrong
        return
    duplicates = sorted({n for n in names if n and names.count(n) > 1})
    if duplicates:
        raise FileFormatError(f"{label}: duplicate column names: {', '.join(duplicates)}")


def _header_keys(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    names = [formats.header_key(c) for c in frame.columns]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise FileFormatError(f"{label}: duplicate column names: {', '.join(duplicates)}")
    return frame.set_axis(names, axis=1).apply(lambda s: s.str.strip())


def _convert(frame: pd.DataFrame, fmt: str, mapping, label: str) -> tuple[pd.DataFrame, str, str]:
    """Detect or take the format and convert to the schema; return (frame, format, how it was chosen)."""
    if mapping is not None:
        how = f"column mapping {Path(mapping).name}" if isinstance(mapping, (str, PathLike)) else "column mapping given"
        mapping = formats.load_mapping(mapping) if isinstance(mapping, (str, PathLike)) else mapping
        return formats.to_schema(frame, "mapping", mapping, label), "mapping", how
    if fmt == "auto":
        fmt = formats.detect_format(frame.columns)
        if fmt == "unknown":
            return frame, "mapdata", "not recognised; read as the mapdata schema"
        how = formats.detection_note(frame.columns, fmt)
    else:
        how = "given"
    return formats.to_schema(frame, fmt, None, label), fmt, how


def _complete_columns(frame: pd.DataFrame, label: str, fmt: str) -> pd.DataFrame:
    missing = [c for c in schema.REQUIRED_NAMES if c not in frame.columns]
    if missing:
        raise MissingColumnsError(
            f"{label}: required column(s) missing: {', '.join(missing)}. "
            f"Found: {', '.join(frame.columns) or 'none'}. Required: {', '.join(schema.REQUIRED_NAMES)}"
            + ("; not an ACLED export or a UCDP GED file either: give a column mapping (JSON or TOML)" if fmt == "mapdata" else "")
        )
    for col in schema.SOURCE_NAMES:
        if col not in frame.columns:
            frame[col] = ""
    return frame


def _problem(mask: pd.Series, frame: pd.DataFrame, column: str, reason: str | pd.Series) -> list[dict]:
    if not mask.any():
        return []
    rows = frame.index[mask.to_numpy()]
    reasons = reason[mask] if isinstance(reason, pd.Series) else reason
    return [{"index": rows, "column": column, "reason": reasons}]


def _numbers(values: pd.Series, decimal_comma: bool = False) -> pd.Series:
    """Numbers from text; with ``decimal_comma`` a single comma is read as the decimal mark ("40,5")."""
    if decimal_comma:
        values = values.str.replace(",", ".", regex=False)
    return pd.to_numeric(values, errors="coerce")


def _validate(frame: pd.DataFrame, label: str) -> list[dict]:
    """Check every column; write parsed values back into ``frame``; return problem batches."""
    problems: list[dict] = []
    limit = config.get("MAX_FIELD_CHARS")
    for col in frame.columns:
        too_long = frame[col].str.len() > limit
        problems += _problem(too_long, frame, col, f"longer than {limit} characters")

    ids = frame["event_id"]
    problems += _problem(ids.eq(""), frame, "event_id", "event_id is empty")
    codes, uniques = pd.factorize(ids, use_na_sentinel=False)
    first = np.full(len(uniques), len(ids), dtype="int64")
    np.minimum.at(first, codes, np.arange(len(ids), dtype="int64"))
    first_row = pd.Series(first[codes] + 2, index=frame.index)
    duplicate = ids.duplicated(keep="first") & ids.ne("")
    problems += _problem(duplicate, frame, "event_id", "duplicate event_id (first used on row " + first_row.astype(str) + ")")

    problems += _validate_dates(frame)
    problems += _validate_types(frame)
    problems += _validate_coordinates(frame)
    problems += _validate_precision(frame)
    problems += _validate_fatalities(frame)

    problems += _problem(frame["source"].eq(""), frame, "source", "no source given")
    url = frame["source_url"]
    bad_url = url.ne("") & ~url.str.match(r"^[Hh][Tt][Tt][Pp][Ss]?://\S+$")
    problems += _problem(bad_url, frame, "source_url", "not an http(s) URL")
    return problems


def _validate_dates(frame: pd.DataFrame) -> list[dict]:
    raw = frame["event_date"]
    parsed = pd.to_datetime(raw, format="%Y-%m-%d", errors="coerce")
    problems = _problem(raw.eq(""), frame, "event_date", "event_date is empty")
    invalid = parsed.isna() & raw.ne("")
    problems += _problem(invalid, frame, "event_date", "not a valid date (expected YYYY-MM-DD, a real calendar day)")
    future = parsed > pd.Timestamp(date.today())
    problems += _problem(future, frame, "event_date", "date lies in the future")
    frame["event_date"] = parsed

    precision = frame["date_precision"].str.lower().replace("", "day")
    unknown = ~precision.isin(schema.DATE_PRECISIONS)
    problems += _problem(unknown, frame, "date_precision", f"must be one of {', '.join(schema.DATE_PRECISIONS)}")
    frame["date_precision"] = precision
    return problems


def _validate_types(frame: pd.DataFrame) -> list[dict]:
    canonical = {t.lower(): t for t in schema.EVENT_TYPES}
    types = frame["event_type"].str.lower().map(canonical)
    problems = _problem(frame["event_type"].eq(""), frame, "event_type", "event_type is empty")
    problems += _problem(types.isna() & frame["event_type"].ne(""), frame, "event_type", "unknown event type (ACLED types: " + ", ".join(schema.EVENT_TYPES) + ")")
    frame["event_type"] = types.fillna(frame["event_type"])

    pairs = {f"{t}\x1f{s.lower()}": s for t, subs in schema.EVENT_TYPES.items() for s in subs}
    subs = (frame["event_type"] + "\x1f" + frame["sub_event_type"].str.lower()).map(pairs)
    bad_sub = subs.isna() & frame["sub_event_type"].ne("") & types.notna()
    problems += _problem(bad_sub, frame, "sub_event_type", "not an ACLED sub-event type of " + frame["event_type"])
    frame["sub_event_type"] = subs.fillna(frame["sub_event_type"])
    return problems


def _validate_coordinates(frame: pd.DataFrame) -> list[dict]:
    problems: list[dict] = []
    for col, bound in (("latitude", 90), ("longitude", 180)):
        raw = frame[col]
        value = _numbers(raw, decimal_comma=True)
        problems += _problem(raw.eq(""), frame, col, f"{col} is empty")
        problems += _problem(value.isna() & raw.ne(""), frame, col, f"{col} is not a number")
        problems += _problem(value.abs() > bound, frame, col, f"{col} out of range (-{bound}..{bound})")
        frame[col] = value
    null_island = frame["latitude"].eq(0) & frame["longitude"].eq(0)
    problems += _problem(null_island, frame, "latitude", "coordinates are 0, 0 (a placeholder, not a place)")
    return problems


def _validate_precision(frame: pd.DataFrame) -> list[dict]:
    value = _numbers(frame["geo_precision"])
    bad = ~value.isin(list(schema.GEO_PRECISION_LABELS))
    labels = "; ".join(f"{k} {v}" for k, v in schema.GEO_PRECISION_LABELS.items())
    frame["geo_precision"] = value
    return _problem(bad, frame, "geo_precision", f"must be 1, 2 or 3 ({labels})")


def _validate_fatalities(frame: pd.DataFrame) -> list[dict]:
    raw = frame["fatalities"]
    value = _numbers(raw)
    problems = _problem(value.isna() & raw.ne(""), frame, "fatalities", "not a number")
    problems += _problem(value < 0, frame, "fatalities", "negative")
    problems += _problem(value.notna() & (value != np.floor(value)), frame, "fatalities", "not a whole number")
    frame["fatalities"] = value
    return problems


def _rejected_table(problems: list[dict], frame: pd.DataFrame, label: str) -> pd.DataFrame:
    parts = []
    for batch in problems:
        if "index" in batch:
            index = batch["index"]
            column = batch["column"]
            values = frame.loc[index, column] if column in frame.columns else ""
            parts.append(pd.DataFrame({
                "row": np.asarray(index) + 2,
                "column": column,
                "value": pd.Series(values, index=index).astype(str).str.slice(0, _MAX_VALUE_CHARS).to_numpy(),
                "reason": np.asarray(batch["reason"]) if isinstance(batch["reason"], pd.Series) else batch["reason"],
            }))
        else:
            parts.append(pd.DataFrame([batch]))
    if not parts:
        return empty_rejected()
    table = pd.concat(parts, ignore_index=True)
    table.insert(0, "file", label)
    table["row"] = table["row"].astype("int64")
    return table.sort_values(["row", "column"], kind="stable").reset_index(drop=True)[list(REJECTED_COLUMNS)]


def _to_geodataframe(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    frame = frame.reset_index(drop=True)
    frame["event_date"] = pd.to_datetime(frame["event_date"]).astype("datetime64[s]")
    frame["geo_precision"] = frame["geo_precision"].astype("int64")
    frame["fatalities"] = frame["fatalities"].astype("Int64")
    frame["latitude"] = frame["latitude"].astype("float64")
    frame["longitude"] = frame["longitude"].astype("float64")
    extras = [c for c in frame.columns if c not in schema.SOURCE_NAMES]
    frame = frame[list(schema.SOURCE_NAMES) + extras]
    geometry = gpd.points_from_xy(frame["longitude"], frame["latitude"], crs=schema.CRS)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=schema.CRS)
