"""Reading: an events file (path, bytes or file object) → a table of text cells.

This is the one place that turns a file into text: every later stage (format conversion,
geocoding, validation) starts from the table :func:`read_text_table` returns. File-level
problems (empty, not text, not CSV, repeated header names, too many rows) raise a
:class:`~mapdata.errors.FileFormatError` naming the file; a broken row becomes a rejected-row
record, and the rows after it keep their own numbers.

Two paths give the same table (``tests/test_read.py`` checks it on every fixture and on fuzzed
files):

- the fast path (:func:`read_fast`): Arrow's CSV reader reads a plain UTF-8 file straight from
  its path (or from the uploaded bytes), checking UTF-8 as it converts the cells;
- the careful path (:func:`read_careful`), for anything else (an empty, UTF-16 or Windows-1252
  file, a second byte-order mark, a NUL byte, invalid UTF-8, blank or repeated header names, rows
  Arrow refuses): :mod:`mapdata.charsets` for the encoding (or the exact message), then pandas'
  C reader, which reports each bad line by number.

Cells are stripped only in the columns where some cell begins or ends with a byte that can be
part of whitespace; headers are normalised by :func:`header_key`.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import IO, Iterator, Union

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from . import charsets, config, layouts, schema
from .containers import unpack
from .errors import FileFormatError

Source = Union[str, PathLike, bytes, IO[bytes], IO[str]]
"""What can be read: a path, raw bytes, or a binary or text file object."""

TEXT = pd.api.types.pandas_dtype("str")
"""The pandas dtype of the text table's columns (Arrow-backed strings)."""
_BAD_LINE = re.compile(r"[Ll]ine (\d+)[^\d]+(\d+) fields?[^\d]+(\d+)")
_MARKER_FIRST = np.isin(np.arange(256), [ord(m[0]) for m in schema.MISSING_MARKERS])
_MARKER_LENGTHS = (min(map(len, schema.MISSING_MARKERS)), max(len(m.encode()) for m in schema.MISSING_MARKERS))
_HEAD_BYTES = 1 << 20
"""Bytes read to find the header line; a longer first line is left to the careful reader."""


@dataclass(frozen=True)
class TextTable:
    """What :func:`read_text_table` gives: the text table, its broken rows, and how it was read."""

    frame: pd.DataFrame
    """Normalised header names, stripped cells, missing-value markers as empty cells; the index is
    each record's position (spreadsheet row - 2), so rows after a skipped row keep their numbers."""
    broken: list[dict]
    """Broken rows as rejected-row records (row, column, value, reason)."""
    encoding: str = charsets.UTF8
    """The text encoding the file was in (see :mod:`mapdata.charsets`)."""
    notes: tuple[str, ...] = ()
    """What else the report should say: the container, columns dropped, an HXL row skipped."""


def read_text_table(source: Source, label: str, sheet: str | None = None) -> TextTable:
    """Read ``source`` (``label`` names it in messages) the fast way if it can, else the careful way.

    A zip holding one CSV and an .xlsx workbook (the first sheet, or ``sheet``) are read from
    inside (:mod:`mapdata.containers`); a file in a legacy encoding is converted
    (:mod:`mapdata.charsets`). What re-saving added (an index column, empty unnamed columns) and an
    HDX hashtag row are dropped and noted (:mod:`mapdata.layouts`).
    """
    unpacked = unpack(_path_or_bytes(source, label), label, sheet)
    data = unpacked.data
    table = read_fast(data, label)
    broken: list[dict] = []
    if table is None:
        text, encoding = charsets.to_utf8(data.read_bytes() if isinstance(data, Path) else data, label)
        table = read_fast(text, label) if encoding != charsets.UTF8 else None  # converted: Arrow may take it now
        if table is None:
            table, broken = _read_text(text, label)
    else:
        encoding = charsets.UTF8_BOM if _head(data).startswith(codecs.BOM_UTF8) else charsets.UTF8
    _check_row_limit(table.num_rows + len(broken), label)
    frame = _to_frame(_header_keys(table, label))
    del table  # the cells before stripping: not needed any more
    if broken:
        frame.index = _kept_positions(len(frame), broken)
    frame, notes = layouts.tidy(frame)
    if layouts.hxl_row(frame):
        frame = frame.iloc[1:]
        notes.append("HXL hashtag row (row 2) skipped")
    return TextTable(frame, broken, encoding, tuple(filter(None, [unpacked.container, *notes])))


def source_label(source: Source) -> str:
    """How messages name ``source``: its path, its file name, or "<uploaded data>"."""
    if isinstance(source, (str, PathLike)):
        return str(source)
    return getattr(source, "name", None) or "<uploaded data>"


def header_key(name: object) -> str:
    """A header name as the text table has it: stripped, lower case, spaces as underscores."""
    return str(name).strip().lower().replace(" ", "_")


def _kept_positions(count: int, broken: list[dict]) -> pd.Index:
    """Record positions (row number - 2) of the ``count`` rows kept when the careful reader skipped
    the ``broken`` rows: the rows after a skipped one keep their own numbers."""
    skipped = np.array([problem["row"] - 2 for problem in broken], dtype="int64")
    candidates = np.arange(count + len(skipped), dtype="int64")
    return pd.Index(candidates[~np.isin(candidates, skipped)][:count])


def _check_row_limit(rows: int, label: str) -> None:
    limit = config.get("MAX_ROWS")
    if rows > limit:
        raise FileFormatError(f"{label}: {rows:,} rows; the limit is {limit:,} (setting MAPDATA_MAX_ROWS). "
                              "Split the file or filter it before loading")


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


def read_fast(data: Path | bytes, label: str) -> pa.Table | None:
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
    """Where the text starts (after a UTF-8 BOM, as :func:`mapdata.charsets.to_utf8` cuts it), or None when only the
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
    return any(len(cells) and cells.min() == 0 for column in table.columns for cells in cell_bytes(column))


def cell_bytes(column: pa.ChunkedArray) -> Iterator[np.ndarray]:
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


def read_careful(raw: bytes, label: str) -> tuple[pa.Table, list[dict]]:
    """The careful reading of a file's bytes: the table and the broken rows it skipped."""
    return _read_text(charsets.to_utf8(raw, label)[0], label)


def _read_text(text: bytes, label: str) -> tuple[pa.Table, list[dict]]:
    """The careful reading of UTF-8 text without a BOM."""
    frame, broken = _parse(text, label)
    return pa.Table.from_pandas(frame, preserve_index=False), broken


def _delimiter(data: bytes) -> str:
    end = data.find(b"\n")
    header = data if end < 0 else data[:end]
    return ";" if header.count(b";") > header.count(b",") else ","


def _parse(data: bytes, label: str) -> tuple[pd.DataFrame, list[dict]]:
    """The careful reader: pandas' C reader, which reads what Arrow refused (ragged rows, a header with
    blank names) and reports each bad line by number."""
    delimiter = _delimiter(data)
    _check_header(data, delimiter, label)
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
    broken = _first_row_too_long(data, delimiter)
    if broken:  # pandas kept it without its extra fields (index_col=False): reject it like any other
        frame = frame.iloc[1:].reset_index(drop=True)
    for warning in caught:
        for line, expected, saw in _BAD_LINE.findall(str(warning.message)):
            broken.append(
                {"row": int(line), "column": "(whole row)", "value": "",
                 "reason": f"expected {expected} fields, found {saw} (check quoting and delimiters)"}
            )
    return frame, broken


def _first_row_too_long(data: bytes, delimiter: str) -> list[dict]:
    """The first record as a broken row when it holds a non-empty field beyond the header's.

    pandas (``index_col=False``) reports a too-long row from the second record on but cuts the
    first one to the header's width without a word, which would lose its extra values silently.
    """
    limit = csv.field_size_limit(max(csv.field_size_limit(), len(data)))  # a cell may be as long as the file
    try:
        records = (r for r in csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline=""),
                                         delimiter=delimiter) if r)
        header, first = next(records, []), next(records, [])
    finally:
        csv.field_size_limit(limit)
    if len(first) <= len(header) or not any(cell.strip() for cell in first[len(header):]):
        return []
    return [{"row": 2, "column": "(whole row)", "value": "",
             "reason": f"expected {len(header)} fields, found {len(first)} (check quoting and delimiters)"}]


def _check_header(data: bytes, delimiter: str, label: str) -> None:
    """Refuse repeated column names here: both CSV readers would silently rename them (x, x.1)."""
    end = data.find(b"\n")
    line = (data if end < 0 else data[:end]).decode("utf-8").rstrip("\r")
    try:
        names = [header_key(c) for c in next(csv.reader([line], delimiter=delimiter), [])]
    except csv.Error:  # not a plain header line (e.g. a stray CR): the CSV reader below will say what is wrong
        return
    _refuse_repeated(names, label)


def _refuse_repeated(names: list[str], label: str) -> None:
    """One clear error for repeated (normalised) column names, which readers would rename (x, x.1)."""
    duplicates = sorted({n for n in names if n and names.count(n) > 1})
    if duplicates:
        raise FileFormatError(f"{label}: duplicate column names: {', '.join(duplicates)}")


def _header_keys(table: pa.Table, label: str) -> pa.Table:
    """Normalised column names (see :func:`header_key`) and stripped cells."""
    names = [header_key(c) for c in table.column_names]
    _refuse_repeated(names, label)
    columns = [pc.utf8_trim_whitespace(c) if _may_need_strip(c) else c for c in table.columns]
    return pa.Table.from_arrays([_blank_missing(c) for c in columns], names=names)


def _blank_missing(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """The column with the missing-value markers of :data:`mapdata.schema.MISSING_MARKERS` as
    empty cells. Only a column where some cell has a marker's length and first byte is searched."""
    if not any(_may_be_marker(chunk) for chunk in column.chunks):
        return column
    found = pc.is_in(column, value_set=pa.array(schema.MISSING_MARKERS, type=column.type))
    return pc.if_else(found, pa.scalar("", type=column.type), column)


def _may_be_marker(chunk: pa.Array) -> bool:
    offsets, data = _offsets_and_data(chunk)
    if not len(chunk) or not len(data):
        return False
    lengths = np.diff(offsets)
    first = data[np.minimum(offsets[:-1], len(data) - 1)]
    return bool((_MARKER_FIRST[first] & (lengths >= _MARKER_LENGTHS[0]) & (lengths <= _MARKER_LENGTHS[1])).any())


def _may_need_strip(column: pa.ChunkedArray) -> bool:
    """Whether some cell may begin or end with whitespace, told from the bytes whitespace begins
    or ends with: ASCII controls and space, or any byte of a multi-byte character. A chunk of
    printable ASCII without spaces has none; otherwise each cell's first and last byte are looked
    at (for an empty cell, its neighbours' bytes: at worst a needless strip)."""
    for chunk in column.chunks:
        offsets, data = _offsets_and_data(chunk)
        if not len(chunk) or not outside_printable(data[offsets[0]:offsets[-1]]):
            continue
        first = data[np.minimum(offsets[:-1], len(data) - 1)]
        last = data[np.maximum(offsets[1:] - 1, 0)]
        if outside_printable(first) or outside_printable(last):
            return True
    return False


def outside_printable(values: np.ndarray) -> bool:
    """Whether some byte is not printable ASCII other than space ("!".."~")."""
    return bool(len(values)) and (values.min() < 0x21 or values.max() > 0x7E)


def _to_frame(table: pa.Table) -> pd.DataFrame:
    """The table as pandas text columns (Arrow-backed, no copy)."""
    return table.to_pandas(types_mapper=lambda kind: TEXT if pa.types.is_large_string(kind) or pa.types.is_string(kind)
                           else None)

