"""Input formats: the registry of event-file formats that :func:`mapdata.load.load_events` converts.

One module per format declares an :class:`InputFormat` called ``FORMAT`` (name, labels, how its
header is recognised, how it converts to the schema); :data:`FORMATS` below lists them, in the
order a header is tried. The command line's ``--format`` choices, the Import page and the
README's formats table are all read from it. Adding a format: a new module here plus its entry
in :data:`FORMATS`.

Input is what :mod:`mapdata.read` gives: an all-text DataFrame with stripped cells and normalised
headers (lower case, spaces as ``_``). Output has every column of the event schema as text, plus
the source's own columns that have no place in it, prefixed (``acled_``, ``ucdp_``, ``src_``) so
nothing is lost. Conversion is vectorised; a value that cannot be converted stays as its raw text
so that validation rejects the row naming that value and a reason. The mapping rules are in each
module's docstring and in the README, section "Bring your own data".
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Iterable, NamedTuple

import pandas as pd

from .. import schema
from ..errors import FileFormatError, MissingColumnsError
from ..read import header_key
from ..schema import ImportReport
from . import acled, native, ucdp
from . import mapping as mapping_format
from ._base import InputFormat
from .acled import ACLED_COLUMNS
from .mapping import check_mapping, load_mapping, parse_mapping
from .ucdp import UCDP_COLUMNS

__all__ = [
    "ACLED_COLUMNS", "AUTO", "Converted", "FORMATS", "ImportReport", "InputFormat", "UCDP_COLUMNS", "check_mapping", "choices", "convert",
    "detect_format", "detection_note", "header_key", "load_mapping", "named_formats", "parse_mapping", "to_schema",
]

FORMATS: dict[str, InputFormat] = {f.name: f for f in (native.FORMAT, acled.FORMAT, ucdp.FORMAT, mapping_format.FORMAT)}
"""Every input format by name, in the order :func:`detect_format` tries them."""

AUTO = "auto"
"""The format choice that detects the format from the header."""


def named_formats() -> list[str]:
    """The formats chosen by name (the others by giving a mapping file), after "auto"."""
    return [AUTO] + [f.name for f in FORMATS.values() if not f.takes_mapping]


def choices() -> dict[str, str]:
    """Every format choice with its label, "auto" first: for a menu such as the Import page's."""
    return {AUTO: "Detect from the header"} | {f.name: f.label for f in FORMATS.values()}


def detect_format(columns: Iterable[object]) -> str:
    """The name of the first format whose header ``columns`` fit (any case; spaces or underscores), or "unknown"."""
    present = frozenset(header_key(c) for c in columns)
    return next((f.name for f in FORMATS.values() if f.detects(present)), "unknown")


def detection_note(columns: Iterable[object], fmt: str) -> str:
    """Why ``fmt`` fits this header, in words (for the import report)."""
    return FORMATS[fmt].detection_note(tuple(header_key(c) for c in columns))


def to_schema(frame: pd.DataFrame, fmt: str, mapping: dict | None = None, label: str = "input",
              date_format: str | None = None) -> pd.DataFrame:
    """Convert ``frame`` from ``fmt`` to our schema (all strings) plus prefixed extra columns.

    ``frame`` keeps its index (the 0-based record position), so row numbers survive. ``date_format``
    is the dates' form when given (a format that reads dates of its own, like UCDP's, reads them in it).
    """
    if fmt not in FORMATS:
        raise FileFormatError(f"{label}: unknown format {fmt!r}; use one of {', '.join(named_formats())} or a mapping file")
    return FORMATS[fmt].convert(frame, mapping, label, date_format)


class Converted(NamedTuple):
    """A text table converted to the schema (:func:`convert`)."""

    frame: pd.DataFrame
    """Every schema column as text, plus the source's other columns, prefixed."""
    format: str
    """The format's name."""
    how: str
    """How the format was chosen, for the import report."""
    date_format: str | None
    """The form to read the dates in: the one given, else a mapping file's ``date_format``; None: chosen from the values."""


def convert(frame: pd.DataFrame, fmt: str, mapping: dict | str | PathLike | None,
            label: str, date_format: str | None = None) -> Converted:
    """Detect (``fmt`` "auto") or take the format, convert to the schema and check that the required
    columns are there (see :class:`Converted`).

    Giving ``mapping`` (a dict, or a JSON/TOML file) implies the format "mapping"; a header no
    format fits is read as the mapdata schema. A ``date_format`` given here wins over a mapping
    file's.
    """
    if mapping is not None:
        how = f"column mapping {Path(mapping).name}" if isinstance(mapping, (str, PathLike)) else "column mapping given"
        mapping = load_mapping(mapping) if isinstance(mapping, (str, PathLike)) else check_mapping(mapping, label)
        fmt, date_format = mapping_format.FORMAT.name, date_format or mapping["date_format"]
    elif fmt == AUTO:
        fmt = detect_format(frame.columns)
        how = detection_note(frame.columns, fmt) if fmt != "unknown" else "not recognised; read as the mapdata schema"
        fmt = native.FORMAT.name if fmt == "unknown" else fmt
    else:
        how = "given"
    frame = to_schema(frame, fmt, mapping, label, date_format)
    missing = [c for c in schema.REQUIRED_NAMES if c not in frame.columns]
    if missing:
        raise MissingColumnsError(
            f"{label}: required column(s) missing: {', '.join(missing)}. "
            f"Found: {', '.join(frame.columns) or 'none'}. Required: {', '.join(schema.REQUIRED_NAMES)}"
            + (f"; its header is no other known format ({_other_layouts()}): give a column mapping (JSON or TOML)"
               if fmt == native.FORMAT.name else "")
        )
    for col in schema.SOURCE_NAMES:
        if col not in frame.columns:
            frame[col] = ""
    return Converted(frame, fmt, how, date_format)


def _other_layouts() -> str:
    """The labels of the formats detected from a header, other than the schema itself."""
    return ", ".join(f.label for f in FORMATS.values() if f.core and f is not native.FORMAT)
