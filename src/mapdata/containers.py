"""Files that hold a table rather than being one: a .zip with one CSV (as ACLED, HDX and UCDP
deliver downloads) and .xlsx workbooks (the first sheet, or a named one).

Both are recognised by their first bytes, not their names (an upload's name may be anything).
A workbook's cells become CSV text as a spreadsheet shows them when saved as CSV: whole numbers
without ".0", date cells as ISO dates (date-times as ISO date-times), empty cells empty. The
workbook is read with python-calamine (a binding of the Rust calamine reader: fast, maintained,
read-only), so a sheet of a million rows takes seconds rather than minutes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from . import config
from .errors import FileFormatError

_ZIP_MAGIC = b"PK\x03\x04"
_TABLE_SUFFIXES = (".csv", ".txt", ".tsv")


@dataclass(frozen=True)
class Unpacked:
    """The table's bytes (or the path itself when the file is plain text) and what it came in."""

    data: bytes | Path
    container: str = ""


def unpack(data: bytes | Path, label: str, sheet: str | None = None) -> Unpacked:
    """The CSV inside ``data`` when it is a zip or an xlsx workbook; ``data`` unchanged otherwise.

    ``sheet`` names the workbook sheet to read (default: the first); giving it for a file that is
    not a workbook is an error.
    """
    head = data[:4] if isinstance(data, bytes) else _head(data)
    if head != _ZIP_MAGIC:
        if sheet is not None:
            raise FileFormatError(f"{label}: --sheet {sheet!r} given, but the file is not an .xlsx workbook")
        return Unpacked(data)
    raw = data if isinstance(data, bytes) else data.read_bytes()
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        names = archive.namelist()
    except zipfile.BadZipFile as exc:
        raise FileFormatError(f"{label}: looks like a zip file but cannot be opened ({exc})") from None
    if "xl/workbook.xml" in names:
        return _workbook(raw, label, sheet)
    if sheet is not None:
        raise FileFormatError(f"{label}: --sheet {sheet!r} given, but the file is a zip archive, not an .xlsx workbook")
    return _one_table(archive, names, label)


def _head(path: Path) -> bytes:
    if not path.is_file():
        raise FileFormatError(f"{path}: no such file")
    with path.open("rb") as file:
        return file.read(4)


def _one_table(archive: zipfile.ZipFile, names: list[str], label: str) -> Unpacked:
    tables = [n for n in names if n.lower().endswith(_TABLE_SUFFIXES) and not n.startswith("__MACOSX/")
              and not n.endswith("/")]
    if len(tables) != 1:
        found = ", ".join(names[:10]) or "nothing"
        raise FileFormatError(f"{label}: a zip file must hold exactly one CSV file; it holds {len(tables)} "
                              f"({found}). Unzip it and import the CSV you mean")
    limit = config.get("MAX_UNZIPPED_MB") * 1_000_000
    too_big = f"{label}: {tables[0]} in the zip file unpacks to more than {limit // 1_000_000:,} MB (MAPDATA_MAX_UNZIPPED_MB); unzip it and import the CSV, or raise the limit"
    if archive.getinfo(tables[0]).file_size > limit:
        raise FileFormatError(too_big)
    try:
        with archive.open(tables[0]) as member:
            data = member.read(limit + 1)  # the declared size may lie: never read past the limit
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, OSError, zlib.error) as exc:
        raise FileFormatError(f"{label}: {tables[0]} in the zip file cannot be read ({exc})") from None
    if len(data) > limit:
        raise FileFormatError(too_big)
    return Unpacked(data, f"zip archive, member {tables[0]}")


def _workbook(raw: bytes, label: str, sheet: str | None) -> Unpacked:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(raw))
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types for a broken workbook
        raise FileFormatError(f"{label}: an .xlsx workbook that cannot be read ({exc})") from None
    names = book.sheet_names
    if not names:
        raise FileFormatError(f"{label}: the workbook has no sheets")
    chosen = names[0] if sheet is None else sheet
    if chosen not in names:
        raise FileFormatError(f"{label}: no sheet {sheet!r} in the workbook; its sheets: {', '.join(names)}")
    rows = book.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([_cell_text(v) for v in row] for row in rows)
    how = "first sheet" if sheet is None else "sheet"
    return Unpacked(out.getvalue().encode("utf-8"), f"xlsx workbook, {how} {chosen!r} of {len(names)}")


def _cell_text(value: object) -> str:
    """A cell as text, as a spreadsheet saves it to CSV (without its display formats)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)
