"""Dates as people's files write them, read per column: one form is chosen for the whole column.

A column is never read row by row with a guesser (a guesser reads "03/04/2020" as March in one
row and April in the next). Instead every form of :data:`DATE_FORMS` is tried on the column's
distinct values, and the form that reads the most of them is the column's form. ISO 8601 dates
and date-times are read in every column besides that form (they cannot be misread). A cell the
column's form does not read stays as its raw text, so the validator rejects that row naming it.

When two forms read the same values into different days (a column of "03/04/2020"-like values
only, day and month both ≤ 12), the column is ambiguous: :class:`AmbiguousDatesError` names both
readings and the ``--date-format`` option that settles it. A given ``date_format`` (a strptime
pattern, or ``excel``) is used instead of the choice.

Rules a reader of a report may want to know:

- ISO date-times keep the date as written, whatever the time and zone ("2021-01-01T23:00:00-05:00"
  is 1 January): the sources date events in local time, and converting to UTC could move the day.
- Two-digit years ("9-May-20") follow strptime: 69–99 are 19xx, 00–68 are 20xx.
- Excel serial day numbers (days since 1899-12-30, as Excel stores dates) are a form only when
  every non-ISO value of the column is a number between :data:`EXCEL_FIRST` and :data:`EXCEL_LAST`
  (1946-01-01 to 2099-12-31): a column of years or counts never reads as dates.

Everything runs on the distinct values with pandas' vectorised parsers and an explicit format,
then reaches the rows through the value codes: a million rows cost about what their distinct
dates cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import AmbiguousDatesError, MapdataError

ISO = "iso"
_TEXT = pd.api.types.pandas_dtype("str")
EXCEL = "excel"
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
EXCEL_FIRST = int((pd.Timestamp("1946-01-01") - EXCEL_EPOCH).days)
EXCEL_LAST = int((pd.Timestamp("2099-12-31") - EXCEL_EPOCH).days)
_ISO_RULE = (r"^(\d{4}-\d{1,2}-\d{1,2})"
             r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)?$")


@dataclass(frozen=True)
class DateForm:
    """One way of writing dates: its name in reports, its strptime pattern (or "excel"), an example."""

    name: str
    pattern: str
    example: str


DATE_FORMS: tuple[DateForm, ...] = (
    DateForm("day month year (13 September 2022)", "%d %B %Y", "13 September 2022"),
    DateForm("day month year, short month (13 Sep 2022)", "%d %b %Y", "13 Sep 2022"),
    DateForm("day-month-year (01-January-2015)", "%d-%B-%Y", "01-January-2015"),
    DateForm("day-month-year, short month (09-May-2020)", "%d-%b-%Y", "09-May-2020"),
    DateForm("day-month-two-digit year, as Excel shows dates (9-May-20)", "%d-%b-%y", "9-May-20"),
    DateForm("dd/mm/yyyy", "%d/%m/%Y", "29/12/2015"),
    DateForm("mm/dd/yyyy", "%m/%d/%Y", "12/29/2015"),
    DateForm("dd.mm.yyyy", "%d.%m.%Y", "29.12.2015"),
    DateForm("yyyy/mm/dd", "%Y/%m/%d", "2015/12/29"),
    DateForm(f"Excel serial day number (days since 1899-12-30, {EXCEL_FIRST}–{EXCEL_LAST})", EXCEL, "42367"),
)
"""The forms a column is tried in, besides ISO 8601 (which every column reads)."""

ISO_DATE = "ISO 8601 date (YYYY-MM-DD)"
ISO_DATETIME = "ISO 8601 date-time (the date as written; time and zone ignored)"
NO_DATES = "no dates"


@dataclass(frozen=True)
class ParsedDates:
    """A date column read in one form: per row the day (NaT where the form reads nothing), per row
    the ISO text (the raw text where the form reads nothing) and the form's name for the report."""

    dates: pd.Series
    text: pd.Series
    form: str


def parse_dates(values: pd.Series, date_format: str | None = None, label: str = "input",
                column: str = "event_date") -> ParsedDates:
    """Read a text column of dates in one form for the whole column (see the module's rules).

    ``date_format`` is a strptime pattern ("%d/%m/%Y") or "excel"; without it the form is chosen
    from the values. Raises :class:`AmbiguousDatesError` when two forms fit every value differently.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    distinct = pd.Series(uniques, dtype=object).fillna("").astype(str)
    found, form = _read_distinct(distinct, date_format, label, column)
    iso_text = found.dt.strftime("%Y-%m-%d").where(found.notna(), distinct)
    unchanged = bool(iso_text.eq(distinct).all())  # already YYYY-MM-DD: keep the column (and its Arrow strings)
    return ParsedDates(
        dates=pd.Series(found.to_numpy()[codes], index=values.index),
        text=values if unchanged else pd.Series(iso_text.astype(_TEXT).array.take(codes), index=values.index),
        form=form,
    )


def check_date_format(date_format: str) -> str:
    """A ``--date-format`` value as given, if usable: "excel" or a strptime pattern with a % field."""
    if date_format.strip().lower() == EXCEL:
        return EXCEL
    if "%" not in date_format:
        raise MapdataError(f"not a date format: {date_format!r}; give a strptime pattern such as %d/%m/%Y, or excel")
    return date_format


def _read_distinct(distinct: pd.Series, date_format: str | None, label: str, column: str) -> tuple[pd.Series, str]:
    """The distinct values as days (NaT where unread) and the name of the form used."""
    iso, with_time = _iso(distinct)
    rest = iso.isna() & distinct.ne("")
    if date_format is not None:
        pattern = check_date_format(date_format)
        return iso.fillna(_read_form(distinct.where(rest, ""), pattern)), _given_name(pattern)
    if not rest.any():
        return iso, (ISO_DATETIME if with_time else ISO_DATE) if iso.notna().any() else NO_DATES
    others = distinct[rest]
    tries = [(form, _read_form(others, form.pattern)) for form in DATE_FORMS]
    best = max(int(read.notna().sum()) for _, read in tries)
    if best == 0:
        return iso, (ISO_DATETIME if with_time else ISO_DATE) if iso.notna().any() else NO_DATES
    winners = [(form, read) for form, read in tries if int(read.notna().sum()) == best]
    _refuse_ambiguity(winners, others, label, column)
    form, read = winners[0]
    return iso.fillna(read.reindex(distinct.index)), form.name + (", and ISO 8601" if iso.notna().any() else "")


def _iso(values: pd.Series) -> tuple[pd.Series, bool]:
    """ISO 8601 dates and date-times as days (the date part as written); whether any had a time."""
    parts = values.str.extract(_ISO_RULE, expand=False)
    days = pd.to_datetime(parts, format="%Y-%m-%d", errors="coerce")
    with_time = bool((days.notna() & values.str.len().gt(parts.str.len())).any())
    return pd.Series(days, index=values.index), with_time


def _read_form(values: pd.Series, pattern: str) -> pd.Series:
    """Values read with one pattern; NaT where it does not fit."""
    if pattern != EXCEL:
        return pd.Series(pd.to_datetime(values, format=pattern, errors="coerce"), index=values.index)
    numbers = pd.to_numeric(values, errors="coerce")
    if not (numbers.notna() & numbers.between(EXCEL_FIRST, EXCEL_LAST)).all():
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    return EXCEL_EPOCH + pd.to_timedelta(np.floor(numbers), unit="D")


def _given_name(pattern: str) -> str:
    for form in DATE_FORMS:
        if form.pattern == pattern:
            return f"{form.name}, as given"
    return f"{pattern}, as given"


def _refuse_ambiguity(winners: list[tuple[DateForm, pd.Series]], values: pd.Series, label: str, column: str) -> None:
    """One clear error when the forms that read the most values read them into different days."""
    first_form, first = winners[0]
    for form, read in winners[1:]:
        differs = (read != first) & read.notna()
        if differs.any():
            example = values[differs].iloc[0]
            raise AmbiguousDatesError(
                f"{label}: column {column}: the dates fit both {first_form.name} and {form.name} "
                f"(e.g. {example!r} is {first[differs].iloc[0]:%d %B %Y} or {read[differs].iloc[0]:%d %B %Y}); "
                f"say which with --date-format {_option(first_form)} or --date-format {_option(form)} "
                f"(a mapping file's date_format does the same)"
            )


def _option(form: DateForm) -> str:
    return form.pattern if " " not in form.pattern else f"'{form.pattern}'"
