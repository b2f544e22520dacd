"""Validation: every column of a schema-shaped text table checked → parsed columns and rejected rows.

Row-level problems never raise: each becomes a line of the rejected-rows table
(:data:`mapdata.schema.REJECTED_COLUMNS`) naming the file, the row (spreadsheet numbering: the
header is row 1), the column, the raw value and the reason. Validation is vectorised: no Python
loop over rows.

What keeps a million rows fast (figures in the README, "Performance"): checks run once per
distinct value of a column (dates, event and sub-event types, date precision, coordinates,
geo_precision, fatalities) and reach the rows through the value codes. Coordinate columns of
plain decimals are read with one Arrow cast. The URL rule runs in Arrow's RE2 for plain ASCII
URLs and in Python's ``re`` only for the rest. Raw text is looked up only for the cells that are
rejected. Two checks run at a time (much of their work is in Arrow and numpy, outside the GIL).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import config, schema
from .dates import ISO_DATE, ISO_DATETIME, NO_DATES
from .read import TEXT, cell_bytes, outside_printable

MAX_VALUE_CHARS = 200
"""A raw value is quoted in a rejected row up to this many characters."""
_MAX_COUNT = 2**53
"""Largest fatalities figure accepted: above it (or infinite) a number cannot be a count stored exactly."""
_URL_PLAIN = r"^[Hh][Tt][Tt][Pp][Ss]?://[!-~]+$"
"""A stricter rule for Arrow's RE2: printable ASCII after the scheme, so whatever it matches
:data:`mapdata.schema.WEB_URL_RULE` matches too (no printable ASCII character is whitespace)."""
_DECIMAL_BYTES = np.isin(np.arange(256), np.frombuffer(b"0123456789.-", dtype=np.uint8))
"""Per byte value: whether it may occur in a plain decimal number (see :func:`_plain_decimals`)."""
_CANONICAL_TYPES = {t.lower(): t for t in schema.EVENT_TYPES}
_SUB_TYPES = {f"{t}\x1f{s.lower()}": s for t, subs in schema.EVENT_TYPES.items() for s in subs}


def _empty_rejected() -> pd.DataFrame:
    """An empty rejected-rows table with the right columns."""
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else "object") for c in schema.REJECTED_COLUMNS})


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


def validate(frame: pd.DataFrame, date_forms: dict[str, str] | None = None) -> tuple[dict[str, pd.Series], list[dict]]:
    """Check every schema column of a text table; return the parsed columns and the problem batches
    (in report order; :func:`rejected_table` turns them into rejected rows).

    The date columns hold ISO dates where their form read the cell (:mod:`mapdata.dates`), the
    raw text elsewhere; ``date_forms`` (column → form name) lets a rejection name the form.

    The checks read the frame and share nothing else, so two run at a time: much of their work
    is in Arrow and numpy, which release the GIL."""
    checks = (_validate_lengths, _validate_ids, partial(_validate_dates, forms=date_forms or {}), _validate_types,
              _validate_coordinates, _validate_precision, _validate_fatalities, _validate_sources)
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
        if values.dtype == TEXT and len(values):
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
    return {}, problems + _problem(duplicate, frame.index, "event_id", lambda rows: _per_distinct(first_row[rows]))


def _per_distinct(first_rows: np.ndarray) -> np.ndarray:
    """:func:`duplicate_id_reason` for each row, worded once per distinct first row (a file can
    repeat one id a million times)."""
    distinct, position = np.unique(first_rows, return_inverse=True)
    return np.array([duplicate_id_reason(row) for row in distinct], dtype=object)[position]


DUPLICATE_ID = "duplicate event_id"
"""How the reason for a repeated event id begins (the store finds these rows by it)."""


def duplicate_id_reason(first_row: int) -> str:
    """The reason given for a row whose event id an earlier row (``first_row``) already used."""
    return f"{DUPLICATE_ID} (first used on row {first_row})"


def duplicate_id_first_row(reason: str) -> int:
    """The row a :func:`duplicate_id_reason` names."""
    return int(reason[len(DUPLICATE_ID):].strip(" ()").rsplit(" ", 1)[-1])


def _all_distinct(column: pd.Series) -> bool:
    """Whether no value occurs twice (Arrow's hash of the distinct values, without codes per row)."""
    if column.dtype != TEXT:
        return bool(column.is_unique)
    return len(pc.unique(_arrow(column))) == len(column)


def _arrow(column: pd.Series) -> pa.ChunkedArray:
    """The Arrow array behind a text column (no copy)."""
    return pa.Table.from_pandas(column.to_frame(), preserve_index=False).column(0)


def _validate_dates(frame: pd.DataFrame, forms: dict[str, str]) -> tuple[dict[str, pd.Series], list[dict]]:
    """event_date always; event_date_end with date_precision "range" only, not before event_date."""
    start, problems = _dates(frame, "event_date", forms.get("event_date", ""))
    problems += _problem(frame["event_date"].eq("").to_numpy(dtype=bool), frame.index, "event_date", "event_date is empty")
    end, end_problems = _dates(frame, "event_date_end", forms.get("event_date_end", ""))
    problems += end_problems

    given = _Distinct.of(frame["date_precision"])
    precision = given.values.str.lower().replace("", "day")
    unknown = ~precision.isin(schema.DATE_PRECISIONS)
    problems += _problem(given.mask(unknown), frame.index, "date_precision",
                         f"must be one of {', '.join(schema.DATE_PRECISIONS)}")
    is_range = given.mask(precision.eq("range"))
    has_end = frame["event_date_end"].ne("").to_numpy(dtype=bool)
    problems += _problem(is_range & ~has_end, frame.index, "event_date_end",
                         "date_precision range needs event_date_end (the last day of the window)")
    problems += _problem(has_end & ~is_range, frame.index, "event_date_end",
                         "event_date_end is given only with date_precision range")
    problems += _problem((end < start).to_numpy(dtype=bool), frame.index, "event_date_end", "before event_date")
    return {"event_date": start, "event_date_end": end, "date_precision": given.rows(precision)}, problems


def _dates(frame: pd.DataFrame, column: str, form: str) -> tuple[pd.Series, list[dict]]:
    """A date column's days (NaT where empty or unread), with its invalid and future dates."""
    raw = _Distinct.of(frame[column])
    parsed = pd.to_datetime(raw.values, format="%Y-%m-%d", errors="coerce")
    invalid = parsed.isna() & raw.values.ne("")
    reason = ("not a valid date (expected YYYY-MM-DD, a real calendar day)" if form in ("", ISO_DATE, ISO_DATETIME, NO_DATES)
              else f"not a valid date in the form of this column ({form}; ISO YYYY-MM-DD is read too)")
    problems = _problem(raw.mask(invalid), frame.index, column, reason)
    future = parsed > pd.Timestamp(date.today())
    problems += _problem(raw.mask(future), frame.index, column, "date lies in the future")
    return raw.rows(parsed), problems


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
    if column.dtype != TEXT or not len(column):
        return None
    cells = _arrow(column)
    if any(len(data) and not _DECIMAL_BYTES[data].all() for data in cell_bytes(cells)):
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
    if url.dtype == TEXT:
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
    if any(outside_printable(data) for data in cell_bytes(cells)):
        plain = pc.match_substring_regex(cells, _URL_PLAIN)
    else:
        length = pc.binary_length(cells)
        plain = pc.or_(pc.and_(pc.starts_with(cells, "http://"), pc.greater(length, len("http://"))),
                       pc.and_(pc.starts_with(cells, "https://"), pc.greater(length, len("https://"))))
    return pc.fill_null(plain, False).to_numpy()


def rejected_table(problems: list[dict], frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """The rejected-rows table (:data:`mapdata.schema.REJECTED_COLUMNS`) of file ``label``, sorted by
    row and column. ``problems`` holds :func:`validate`'s batches (rows of ``frame`` by index, whose
    raw text is looked up here) and the reader's broken-row records (row, column, value, reason)."""
    parts = []
    for batch in problems:
        if "index" in batch:
            index = batch["index"]
            column = batch["column"]
            values = frame.loc[index, column] if column in frame.columns else ""
            parts.append(pd.DataFrame({
                "row": np.asarray(index) + 2,
                "column": column,
                "value": pd.Series(values, index=index).astype(str).str.slice(0, MAX_VALUE_CHARS).to_numpy(),
                "reason": batch["reason"],
            }))
        else:
            parts.append(pd.DataFrame([batch]))
    if not parts:
        return _empty_rejected()
    table = pd.concat(parts, ignore_index=True)
    table.insert(0, "file", label)
    table["row"] = table["row"].astype("int64")
    return table.sort_values(["row", "column"], kind="stable").reset_index(drop=True)[list(schema.REJECTED_COLUMNS)]

