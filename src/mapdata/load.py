"""Load an events CSV: decode, parse, validate every row, keep the good rows, report the rest.

Row-level problems never raise: each becomes a line in the ``rejected`` table naming the file,
the row, the column, the value and the reason. File-level problems (empty, not text, required
columns missing) raise a :class:`~mapdata.errors.FileFormatError` with a message a person can
act on. Validation is vectorised: no Python loop over rows.

Row numbers follow the spreadsheet convention: the header is row 1, the first record row 2.

What keeps a million rows fast (figures in the README, "Performance"):

- Arrow's CSV reader reads a plain UTF-8 file straight from its path (or from the uploaded
  bytes), checking UTF-8 as it converts the cells. Anything else (an empty or UTF-16 file, a
  second byte-order mark, a NUL byte, invalid UTF-8, blank or repeated header names, rows
  Arrow refuses) goes the careful way: Python's decoder for the exact message, then pandas'
  C reader, which reports each bad line by number.
- Cells are stripped only in the columns where some cell begins or ends with a byte that can
  be part of whitespace.
- Checks run once per distinct value of a column (dates, event and sub-event types, date
  precision, coordinates, geo_precision, fatalities) and reach the rows through the value
  codes. The URL rule runs in Arrow's RE2 for plain ASCII URLs and in Python's ``re`` only for
  the rest. Raw text is looked up only for the cells that are rejected. Two checks run at a
  time (much of their work is in Arrow and numpy, outside the GIL).
- One point geometry per distinct coordinate pair, shared by the events there, made with
  Python's cyclic garbage collector paused.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from os import PathLike
from pathlib import Path
from typing import IO, Callable, Iterator, Union

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from geopandas.array import GeometryArray

from . import config, formats, schema
from .errors import FileFormatError, MissingColumnsError
from .formats import ImportReport
from .geocode import Gazetteer, geocode_missing
from .points import number_pairs, shared_points

Source = Union[str, PathLike, bytes, IO[bytes], IO[str]]

REJECTED_COLUMNS = ("file", "row", "column", "value", "reason")
_MAX_VALUE_CHARS = 200
_BAD_LINE = re.compile(r"[Ll]ine (\d+)[^\d]+(\d+) fields?[^\d]+(\d+)")
_TEXT = pd.api.types.pandas_dtype("str")
_MAX_COUNT = 2**53
"""Largest fatalities figure accepted: above it (or infinite) a number cannot be a count stored exactly."""
_HEAD_BYTES = 1 << 20
"""Bytes read to find the header line; a longer first line is left to the careful reader."""
_URL_PLAIN = r"^[Hh][Tt][Tt][Pp][Ss]?://[!-~]+$"
"""A stricter rule for Arrow's RE2: printable ASCII after the scheme, so whatever it matches
:data:`mapdata.schema.WEB_URL_RULE` matches too (no printable ASCII character is whitespace)."""
_DECIMAL_BYTES = np.isin(np.arange(256), np.frombuffer(b"0123456789.-", dtype=np.uint8))
"""Per byte value: whether it may occur in a plain decimal number (see :func:`_plain_decimals`)."""
_CANONICAL_TYPES = {t.lower(): t for t in schema.EVENT_TYPES}
_SUB_TYPES = {f"{t}\x1f{s.lower()}": s for t, subs in schema.EVENT_TYPES.items() for s in subs}


@dataclass(frozen=True)
class Loaded:
    """What :func:`load_events` returns: the valid events, the rejected rows and the import report."""

    events: gpd.GeoDataFrame
    rejected: pd.DataFrame
    report: ImportReport = field(compare=False)


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
    table, structural = _read_table(source, label)
    _check_row_limit(table.num_rows + len(structural), label)
    frame = _to_frame(_header_keys(table, label))
    del table  # the cells before stripping: not needed any more
    if structural:
        frame.index = _kept_positions(len(frame), structural)
    frame, fmt, how = _convert(frame, fmt, mapping, label)
    frame = _complete_columns(frame, label, fmt)
    geocoding = pd.DataFrame()
    if geocode:
        frame, geocoding = geocode_missing(frame, geocode if isinstance(geocode, Gazetteer) else None)
    parsed, problems = _validate(frame)
    rejected = _rejected_table(problems + structural, frame, label)
    good, bad_rows = _good_rows(frame.assign(**parsed), rejected)
    report = ImportReport(
        file=label, format=fmt, detected_by=how, rows=len(frame) + len(structural), accepted=len(good),
        rejected=bad_rows, geocoded=int(frame["geocoded"].ne("").sum()) if "geocoded" in frame else 0,
        geocoding=geocoding,
    )
    return Loaded(_to_geodataframe(good), rejected, report)


def _kept_positions(count: int, structural: list[dict]) -> pd.Index:
    """Record positions (row number - 2) of the ``count`` rows kept when the careful reader skipped
    the broken rows in ``structural``: the rows after a skipped one keep their own numbers."""
    skipped = np.array([problem["row"] - 2 for problem in structural], dtype="int64")
    candidates = np.arange(count + len(skipped), dtype="int64")
    return pd.Index(candidates[~np.isin(candidates, skipped)][:count])


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


# --- reading ---------------------------------------------------------------------------------


def _read_table(source: Source, label: str) -> tuple[pa.Table, list[dict]]:
    """The file as an Arrow table of text cells, with the broken rows the careful reader skipped."""
    data = _path_or_bytes(source, label)
    table = _read_plain(data, label)
    if table is not None:
        return table, []
    raw = data.read_bytes() if isinstance(data, Path) else data
    frame, structural = _parse(_decode(raw, label), label)
    return pa.Table.from_pandas(frame, preserve_index=False), structural


def _path_or_bytes(source: Source, label: str) -> Path | bytes:
    """A path stays a path (Arrow reads the file itself); anything else is read into bytes."""
    if isinstance(source, (str, PathLike)):
        path = Path(source)
        if not path.is_file():
            raise FileFormatError(f"{label}: no such file")
        return path
    return _read_bytes(source)


def _read_bytes(source: Source) -> bytes:
    if isinstance(source, bytes):
        return source
    data = source.read()
    return data.encode("utf-8") if isinstance(data, str) else data


def _read_plain(data: Path | bytes, label: str) -> pa.Table | None:
    """Arrow's reading of a plain UTF-8 file; None when the file needs the careful reader.

    Arrow converts every cell as UTF-8 (and refuses the file otherwise) and decodes the header
    strictly, so a table here means the whole file is UTF-8; NUL bytes are looked for separately.
    """
    head = _head(data)
    start = _text_start(head)
    if start is None:
        return None
    first_line = head[start:].split(b"\n", 1)[0]
    delimiter = _delimiter(first_line)
    table = _arrow_csv(data, start, delimiter)
    if table is None or _has_nul(table):
        return None
    _check_header(first_line, delimiter, label)
    return table


def _head(data: Path | bytes) -> bytes:
    if isinstance(data, bytes):
        return data[:_HEAD_BYTES]
    with data.open("rb") as file:
        return file.read(_HEAD_BYTES)


def _text_start(head: bytes) -> int | None:
    """Where the text starts (after a UTF-8 BOM, as :func:`_decode` cuts it), or None when only the
    careful reader can tell: possibly empty, UTF-16, a first line not UTF-8 or longer than ``head``."""
    if not head or head.isspace() or head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    start = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    end = head.find(b"\n", start)
    if end < 0 and len(head) == _HEAD_BYTES:
        return None
    try:
        head[start:None if end < 0 else end].decode("utf-8")
    except UnicodeDecodeError:
        return None
    return start


def _arrow_csv(data: Path | bytes, start: int, delimiter: str) -> pa.Table | None:
    """All cells as text, read from byte ``start`` on exactly as pandas' pyarrow engine reads them:
    same options and block size (Arrow parses each block on its own, so where blocks end can
    change how a quoted line break is read). None if Arrow refuses the file or its header has
    blank or repeated names (pandas renames those).

    A path is opened as a plain file, so a name ending in .gz is not decompressed (the careful
    reader would not either).
    """
    options = {
        "read_options": pa_csv.ReadOptions(),
        "parse_options": pa_csv.ParseOptions(delimiter=delimiter),
        "convert_options": pa_csv.ConvertOptions(null_values=[], strings_can_be_null=False,
                                                 default_column_type=pa.large_string()),
    }
    try:
        if isinstance(data, bytes):
            table = pa_csv.read_csv(pa.BufferReader(pa.py_buffer(data)[start:]), **options)
        else:
            with pa.OSFile(str(data)) as file:
                file.seek(start)
                table = pa_csv.read_csv(file, **options)
        names = table.column_names  # decoded strictly: a name that is not UTF-8 raises here
    except Exception:  # noqa: BLE001 - any Arrow refusal means: use the careful reader
        return None
    renamed_by_pandas = "" in names or len(set(names)) < len(names)  # "Unnamed: 3", "x.1"
    return None if renamed_by_pandas else table


def _has_nul(table: pa.Table) -> bool:
    """Whether a header name or a cell holds a NUL byte (every byte of the file but the
    delimiters, quotes, line ends and a leading BOM is in one of them)."""
    if any("\x00" in name for name in table.column_names):
        return True
    return any(len(cells) and cells.min() == 0 for column in table.columns for cells in _cell_bytes(column))


def _cell_bytes(column: pa.ChunkedArray) -> Iterator[np.ndarray]:
    """Per chunk of a text column: the bytes of its cells, one after another (no copy)."""
    for chunk in column.chunks:
        offsets, data = _offsets_and_data(chunk)
        if len(data):
            yield data[offsets[0]:offsets[-1]]


def _offsets_and_data(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A text chunk's cell boundaries (``len(chunk) + 1`` offsets into the data) and its data bytes."""
    _, offsets, data = chunk.buffers()
    width = 8 if pa.types.is_large_string(chunk.type) else 4
    bounds = np.frombuffer(offsets, dtype=f"<i{width}", count=len(chunk) + 1, offset=chunk.offset * width)
    return bounds, (np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8))


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
    """The careful reader. Arrow (through pandas) first; a file it cannot take whole (ragged rows,
    newlines inside quotes) is parsed again by pandas' C reader, which reports each bad line by number."""
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


def _header_keys(table: pa.Table, label: str) -> pa.Table:
    """Normalised column names (see :func:`mapdata.formats.header_key`) and stripped cells."""
    names = [formats.header_key(c) for c in table.column_names]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise FileFormatError(f"{label}: duplicate column names: {', '.join(duplicates)}")
    columns = [pc.utf8_trim_whitespace(c) if _may_need_strip(c) else c for c in table.columns]
    return pa.Table.from_arrays(columns, names=names)


def _may_need_strip(column: pa.ChunkedArray) -> bool:
    """Whether some cell may begin or end with whitespace, told from the bytes whitespace begins
    or ends with: ASCII controls and space, or any byte of a multi-byte character. A chunk of
    printable ASCII without spaces has none; otherwise each cell's first and last byte are looked
    at (for an empty cell, its neighbours' bytes: at worst a needless strip)."""
    for chunk in column.chunks:
        offsets, data = _offsets_and_data(chunk)
        if not len(chunk) or not _outside_printable(data[offsets[0]:offsets[-1]]):
            continue
        first = data[np.minimum(offsets[:-1], len(data) - 1)]
        last = data[np.maximum(offsets[1:] - 1, 0)]
        if _outside_printable(first) or _outside_printable(last):
            return True
    return False


def _outside_printable(values: np.ndarray) -> bool:
    """Whether some byte is not printable ASCII other than space ("!".."~")."""
    return bool(len(values)) and (values.min() < 0x21 or values.max() > 0x7E)


def _to_frame(table: pa.Table) -> pd.DataFrame:
    """The table as pandas text columns (Arrow-backed, no copy)."""
    return table.to_pandas(types_mapper=lambda kind: _TEXT if pa.types.is_large_string(kind) or pa.types.is_string(kind)
                           else None)


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


# --- validation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Distinct:
    """A column as its distinct values plus, per row, the code of the row's value."""

    column: pd.Series
    values: pd.Series
    codes: np.ndarray

    @classmethod
    def of(cls, column: pd.Series) -> _Distinct:
        codes, uniques = pd.factorize(column, use_na_sentinel=False)
        return cls(column, pd.Series(uniques), codes)

    def mask(self, per_value: pd.Series) -> np.ndarray:
        """A per-value condition as a per-row mask."""
        flags = per_value.to_numpy(dtype=bool)
        return flags[self.codes] if flags.any() else np.zeros(len(self.codes), dtype=bool)

    def rows(self, per_value: pd.Series) -> pd.Series:
        """Per-value results spread back over the rows (the column itself if they are its values)."""
        if per_value.dtype == self.values.dtype and per_value.equals(self.values):
            return self.column
        return per_value.take(self.codes).set_axis(self.column.index)


def _problem(mask: np.ndarray, index: pd.Index, column: str,
             reason: str | Callable[[np.ndarray], np.ndarray]) -> list[dict]:
    """A batch of problems: the rows where ``mask`` holds, the column, and the reason (one text,
    or a function giving one text per position of the rows found)."""
    if not mask.any():
        return []
    positions = np.flatnonzero(mask)
    return [{"index": index[positions], "column": column, "reason": reason(positions) if callable(reason) else reason}]


def _numbers(values: pd.Series, decimal_comma: bool = False) -> pd.Series:
    """Numbers from text; with ``decimal_comma`` a single comma is read as the decimal mark ("40,5")."""
    if decimal_comma:
        values = values.str.replace(",", ".", regex=False)
    return pd.to_numeric(values, errors="coerce")


def _validate(frame: pd.DataFrame) -> tuple[dict[str, pd.Series], list[dict]]:
    """Check every column; return the parsed columns and the problem batches (in report order).

    The checks read the frame and share nothing else, so two run at a time: much of their work
    is in Arrow and numpy, which release the GIL."""
    checks = (_validate_lengths, _validate_ids, _validate_dates, _validate_types, _validate_coordinates,
              _validate_precision, _validate_fatalities, _validate_sources)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda check: check(frame), checks))
    parsed: dict[str, pd.Series] = {}
    problems: list[dict] = []
    for columns, found in results:
        parsed.update(columns)
        problems += found
    return parsed, problems


def _validate_lengths(frame: pd.DataFrame) -> tuple[dict[str, pd.Series], list[dict]]:
    """Cells longer than MAX_FIELD_CHARS; characters are counted only in columns where some cell
    has more bytes than that (a character is at least one byte)."""
    limit = config.get("MAX_FIELD_CHARS")
    problems: list[dict] = []
    for col in frame.columns:
        values = frame[col]
        if values.dtype == _TEXT and len(values):
            longest = pc.max(pc.binary_length(_arrow(values))).as_py()
            if longest is None or longest <= limit:
                continue
        too_long = (values.str.len() > limit).to_numpy(dtype=bool)
        problems += _problem(too_long, frame.index, col, f"longer than {limit} characters")
    return {}, problems


def _validate_ids(frame: pd.DataFrame) -> tuple[dict[str, pd.Series], list[dict]]:
    ids = frame["event_id"]
    problems = _problem(ids.eq("").to_numpy(dtype=bool), frame.index, "event_id", "event_id is empty")
    if _all_distinct(ids):
        return {}, problems
    codes, uniques = pd.factorize(ids, use_na_sentinel=False)
    first = np.full(len(uniques), len(ids), dtype="int64")
    np.minimum.at(first, codes, np.arange(len(ids), dtype="int64"))
    first_row = frame.index.to_numpy()[first[codes]] + 2
    duplicate = (first[codes] != np.arange(len(ids))) & ids.ne("").to_numpy(dtype=bool)
    return {}, problems + _problem(duplicate, frame.index, "event_id", lambda rows: np.array(
        [f"duplicate event_id (first used on row {row})" for row in first_row[rows]], dtype=object))


def _all_distinct(column: pd.Series) -> bool:
    """Whether no value occurs twice (Arrow's hash of the distinct values, without codes per row)."""
    if column.dtype != _TEXT:
        return bool(column.is_unique)
    return len(pc.unique(_arrow(column))) == len(column)


def _arrow(column: pd.Series) -> pa.ChunkedArray:
    """The Arrow array behind a text column (no copy)."""
    return pa.Table.from_pandas(column.to_frame(), preserve_index=False).column(0)


def _validate_dates(frame: pd.DataFrame) -> tuple[dict[str, pd.Series], list[dict]]:
    raw = _Distinct.of(frame["event_date"])
    parsed = pd.to_datetime(raw.values, format="%Y-%m-%d", errors="coerce")
    problems = _problem(raw.mask(raw.values.eq("")), frame.index, "event_date", "event_date is empty")
    invalid = parsed.isna() & raw.values.ne("")
    problems += _problem(raw.mask(invalid), frame.index, "event_date",
                         "not a valid date (expected YYYY-MM-DD, a real calendar day)")
    future = parsed > pd.Timestamp(date.today())
    problems += _problem(raw.mask(future), frame.index, "event_date", "date lies in the future")

    given = _Distinct.of(frame["date_precision"])
    precision = given.values.str.lower().replace("", "day")
    unknown = ~precision.isin(schema.DATE_PRECISIONS)
    problems += _problem(given.mask(unknown), frame.index, "date_precision",
                         f"must be one of {', '.join(schema.DATE_PRECISIONS)}")
    return {"event_date": raw.rows(parsed), "date_precision": given.rows(precision)}, problems


def _validate_types(frame: pd.DataFrame) -> tuple[dict[str, pd.Series], list[dict]]:
    """Event types by name in any case; sub-event types per distinct (type, sub-type) pair."""
    raw = _Distinct.of(frame["event_type"])
    known = raw.values.str.lower().map(_CANONICAL_TYPES)
    types = known.fillna(raw.values)
    problems = _problem(raw.mask(raw.values.eq("")), frame.index, "event_type", "event_type is empty")
    problems += _problem(raw.mask(known.isna() & raw.values.ne("")), frame.index, "event_type",
                         "unknown event type (ACLED types: " + ", ".join(schema.EVENT_TYPES) + ")")

    subs = _Distinct.of(frame["sub_event_type"])
    width = max(len(subs.values), 1)
    pairs = _Distinct.of(pd.Series(raw.codes * width + subs.codes, index=frame.index))
    type_code, sub_code = np.divmod(pairs.values.to_numpy(), width)
    pair_type = types.take(type_code).reset_index(drop=True)
    pair_sub = subs.values.take(sub_code).reset_index(drop=True)
    canonical_sub = (pair_type + "\x1f" + pair_sub.str.lower()).map(_SUB_TYPES)
    bad_sub = canonical_sub.isna() & pair_sub.ne("") & known.take(type_code).reset_index(drop=True).notna()
    reasons = ("not an ACLED sub-event type of " + pair_type).to_numpy()
    problems += _problem(pairs.mask(bad_sub), frame.index, "sub_event_type", lambda rows: reasons[pairs.codes[rows]])
    return {"event_type": raw.rows(types),
            "sub_event_type": pairs.rows(canonical_sub.fillna(pair_sub))}, problems


def _validate_coordinates(frame: pd.DataFrame) -> tuple[dict[str, pd.Series], list[dict]]:
    problems: list[dict] = []
    parsed: dict[str, pd.Series] = {}
    for col, bound in (("latitude", 90), ("longitude", 180)):
        value = _plain_decimals(frame[col])
        if value is None:
            raw = _Distinct.of(frame[col])
            number = _numbers(raw.values, decimal_comma=True)
            problems += _problem(raw.mask(raw.values.eq("")), frame.index, col, f"{col} is empty")
            problems += _problem(raw.mask(number.isna() & raw.values.ne("")), frame.index, col, f"{col} is not a number")
            value = raw.rows(number)
        out_of_range = (value.abs() > bound).to_numpy(dtype=bool)
        problems += _problem(out_of_range, frame.index, col, f"{col} out of range (-{bound}..{bound})")
        parsed[col] = value
    null_island = (parsed["latitude"].eq(0) & parsed["longitude"].eq(0)).to_numpy(dtype=bool)
    problems += _problem(null_island, frame.index, "latitude", "coordinates are 0, 0 (a placeholder, not a place)")
    return parsed, problems


def _plain_decimals(column: pd.Series) -> pd.Series | None:
    """The column as float64 when every cell is a plain decimal number, else None.

    Plain: only the bytes ``0-9 . -`` and accepted by Arrow's number parser, which rounds
    correctly, as :func:`_numbers` does (so the values are the same, read without hashing every
    distinct value). A negative zero goes the general way: pandas reads "-0" as 0 or -0.0
    depending on the column's other values.
    """
    if column.dtype != _TEXT or not len(column):
        return None
    cells = _arrow(column)
    if any(len(data) and not _DECIMAL_BYTES[data].all() for data in _cell_bytes(cells)):
        return None
    try:
        values = pc.cast(cells, pa.float64()).to_numpy()
    except pa.ArrowInvalid:  # a cell Arrow cannot read as a number: the general path says which
        return None
    if (np.signbit(values) & (values == 0)).any():
        return None
    return pd.Series(values, index=column.index)


def _validate_precision(frame: pd.DataFrame) -> tuple[dict[str, pd.Series], list[dict]]:
    raw = _Distinct.of(frame["geo_precision"])
    value = _numbers(raw.values)
    bad = ~value.isin(list(schema.GEO_PRECISION_LABELS))
    labels = "; ".join(f"{k} {v}" for k, v in schema.GEO_PRECISION_LABELS.items())
    problems = _problem(raw.mask(bad), frame.index, "geo_precision", f"must be 1, 2 or 3 ({labels})")
    return {"geo_precision": raw.rows(value)}, problems


def _validate_fatalities(frame: pd.DataFrame) -> tuple[dict[str, pd.Series], list[dict]]:
    raw = _Distinct.of(frame["fatalities"])
    value = _numbers(raw.values)
    problems = _problem(raw.mask(value.isna() & raw.values.ne("")), frame.index, "fatalities", "not a number")
    problems += _problem(raw.mask(value < 0), frame.index, "fatalities", "negative")
    as_float = pd.to_numeric(value, errors="coerce").astype("float64")
    huge = value.notna() & ~(as_float.abs() <= _MAX_COUNT)
    problems += _problem(raw.mask(huge), frame.index, "fatalities", f"not a count (infinite or above {_MAX_COUNT:,})")
    fraction = value.notna() & ~huge & (value != np.floor(value))
    problems += _problem(raw.mask(fraction), frame.index, "fatalities", "not a whole number")
    return {"fatalities": raw.rows(value)}, problems


def _validate_sources(frame: pd.DataFrame) -> tuple[dict[str, pd.Series], list[dict]]:
    """A source is named; a URL, where given, is http(s)."""
    problems = _problem(frame["source"].eq("").to_numpy(dtype=bool), frame.index, "source", "no source given")
    return {}, problems + _problem(_bad_urls(frame["source_url"]), frame.index, "source_url", "not an http(s) URL")


def _bad_urls(url: pd.Series) -> np.ndarray:
    """Non-empty cells that do not follow :data:`mapdata.schema.WEB_URL_RULE`. Plain ASCII URLs
    pass quickly (see :func:`_plain_urls`); the rest are judged by pandas with Python's ``re``,
    exactly as the rule is written."""
    bad = np.zeros(len(url), dtype=bool)
    if not len(url):
        return bad
    if url.dtype == _TEXT:
        unsure = ~_plain_urls(_arrow(url))
    else:
        unsure = np.ones(len(url), dtype=bool)
    if unsure.any():
        rest = url[unsure]
        bad[unsure] = (rest.ne("") & ~rest.str.fullmatch(schema.WEB_URL_RULE)).to_numpy(dtype=bool)
    return bad


def _plain_urls(cells: pa.ChunkedArray) -> np.ndarray:
    """Cells that certainly follow :data:`mapdata.schema.WEB_URL_RULE`. When the whole column is
    printable ASCII without spaces, a cell matches exactly when it starts with "http://" or
    "https://" and goes on after it (other spellings of the scheme are left unsure); otherwise
    Arrow's RE2 checks :data:`_URL_PLAIN`."""
    if any(_outside_printable(data) for data in _cell_bytes(cells)):
        plain = pc.match_substring_regex(cells, _URL_PLAIN)
    else:
        length = pc.binary_length(cells)
        plain = pc.or_(pc.and_(pc.starts_with(cells, "http://"), pc.greater(length, len("http://"))),
                       pc.and_(pc.starts_with(cells, "https://"), pc.greater(length, len("https://"))))
    return pc.fill_null(plain, False).to_numpy()


# --- results ---------------------------------------------------------------------------------


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
                "reason": batch["reason"],
            }))
        else:
            parts.append(pd.DataFrame([batch]))
    if not parts:
        return empty_rejected()
    table = pd.concat(parts, ignore_index=True)
    table.insert(0, "file", label)
    table["row"] = table["row"].astype("int64")
    return table.sort_values(["row", "column"], kind="stable").reset_index(drop=True)[list(REJECTED_COLUMNS)]


def _good_rows(frame: pd.DataFrame, rejected: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The rows not named in ``rejected`` (by spreadsheet row number), and how many rows it names."""
    if rejected.empty:
        return frame, 0
    bad_rows = pd.unique(rejected["row"].astype(int))
    return frame[~np.isin(frame.index.to_numpy() + 2, bad_rows)], len(bad_rows)


def _to_geodataframe(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    frame = frame.reset_index(drop=True)
    frame["event_date"] = pd.to_datetime(frame["event_date"]).astype("datetime64[s]")
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
