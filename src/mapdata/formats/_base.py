"""What every input format declares (:class:`InputFormat`) and the conversion helpers they share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import pandas as pd

from ..layouts import Layout, identify

Convert = Callable[[pd.DataFrame, dict | None, str, str | None], pd.DataFrame]
"""(text table, mapping or None, label for messages, the date format given or None) → the table
in the schema's columns."""


@dataclass(frozen=True)
class InputFormat:
    """One input format: its name, how a header is recognised as it, and how it becomes the schema.

    ``convert`` takes the reader's text table (normalised headers, stripped cells; see
    :mod:`mapdata.read`) and returns every schema column as text plus the source's other columns,
    prefixed, so nothing is lost. A value it cannot convert stays as its raw text, so validation
    rejects the row naming that value.
    """

    name: str
    """The ``--format`` value and the report's format."""
    label: str
    """Short name for choices (the Import page, the README table)."""
    description: str
    """What the format is, for the import report."""
    convert: Convert
    columns: tuple[str, ...] = ()
    """The published header, named in the detection note."""
    core: tuple[str, ...] = ()
    """Columns whose presence in a header identifies the format; empty: never detected."""
    note: str = ""
    """How the format was detected, when not the published-columns note."""
    takes_mapping: bool = False
    """Chosen by giving a column-mapping file rather than by name."""
    layouts: tuple[Layout, ...] = ()
    """The published layouts of the format, most specific first (see :mod:`mapdata.layouts`);
    the detection note names the one a header is in."""

    def detects(self, present: frozenset[str]) -> bool:
        """Whether a header with the (normalised) names ``present`` is of this format."""
        return bool(self.core) and set(self.core) <= present

    def detection_note(self, present: tuple[str, ...]) -> str:
        """Why this format fits a header (its normalised names, in order), in words (for the import report)."""
        if self.note:
            return self.note
        if self.layouts:
            return f"detected: {identify(present, self.layouts)}"
        missing = [c for c in self.columns if c not in present]
        layout = f"all {len(self.columns)} published columns" if not missing else f"core columns; missing {', '.join(missing)}"
        return f"detected: {self.description} header ({layout})"


def labelled(values: pd.Series, template: str) -> pd.Series:
    """``template`` filled with each value, computed once per distinct value (fast on 1M rows)."""
    return values.map({v: template.format(v) for v in values.unique()})


def complete(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """``frame`` with an empty column for each of ``columns`` it lacks (older layouts lack a few)."""
    missing = [c for c in columns if c not in frame.columns]
    return frame.assign(**{c: "" for c in missing}) if missing else frame
