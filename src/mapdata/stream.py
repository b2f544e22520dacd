"""``export_stream``: an export of a large events file read chunk by chunk, in bounded memory.

The file is cut into chunks of whole records (:func:`mapdata.store.chunks.cut`, the store's
cutter, giving each chunk as soon as its end is found), and each chunk goes the in-memory way:
:func:`mapdata.load.load_events` (read → convert → geocode → validate),
:func:`mapdata.dataset.join`, :func:`mapdata.filters.filter_events`; the kept events go
straight to the export format's chunk writer (:data:`mapdata.export.FORMATS`). The next chunk is
cut and loaded in a second thread while one is joined, filtered and written; with a region
filter only the events inside the regions' widened box (:func:`mapdata.filters.region_box`) are
joined. Memory follows the chunk, not the file: besides two chunks, only a 64-bit hash, a row
number and the text of each distinct event id are kept (for the duplicate check), and the
rejected rows.

Same answers as loading the whole file: row numbers are the file's; an id used on an earlier row
of the file, in any chunk, rejects the row exactly as the in-memory validator does (same reason,
naming the file's first row), whether the earlier row was accepted or not. What one chunk
cannot decide for the whole file makes the chunks disagree, and the export then raises
:class:`NotStreamable` so that the caller loads the file whole: the format, encoding, notes
(columns dropped, an HXL row), the columns and their types, a date form other than ISO 8601 when
no ``date_format`` is given (a form is chosen from a column's values), or a file-level error in
one chunk of several, or a blank line, NUL byte or unbalanced quote found after the first
chunks (:class:`~mapdata.store.chunks.Uncuttable`).
"""

from __future__ import annotations

import errno
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from os import PathLike
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import config
from .dates import ISO_DATE, ISO_DATETIME, NO_DATES
from .errors import MapdataError
from .export import FORMATS
from .filters import FilterSpec, filter_events, region_box
from .gazetteers import UserGazetteer
from .dataset import join
from .geo import Geography, load_geography
from .load import Loaded, load_events
from .schema import REJECTED_COLUMNS
from .store.chunks import Chunk, Uncuttable, cut
from .store.parts import accepted_rows, is_repeated_id, shifted
from .store.query import cursor
from .validate import MAX_VALUE_CHARS, duplicate_id_reason

_ISO_FORMS = (ISO_DATE, ISO_DATETIME, NO_DATES)


class NotStreamable(MapdataError):
    """The chunks of a file read differently (see the module docstring): load it whole instead."""


@dataclass(frozen=True)
class Streamed:
    """What :func:`export_stream` did: the file's label, its accepted events, the events written,
    the rejected rows (as :func:`mapdata.dataset.load_dataset` gives them) and the chunks read."""

    name: str
    events: int
    selected: int
    rejected: pd.DataFrame
    chunks: int


def export_stream(path: str | PathLike, output: str | PathLike, fmt: str, spec: FilterSpec | None = None,
                  chunk_mb: float = 64, name: str | None = None, input_format: str = "auto",
                  mapping: str | PathLike | None = None, date_format: str | None = None, sheet: str | None = None,
                  gazetteers: Sequence[UserGazetteer] = (), generated: datetime | None = None,
                  geography: Geography | None = None) -> Streamed:
    """Write the events of ``path`` that ``spec`` keeps to ``output`` in ``fmt`` (a name in
    :data:`mapdata.export.FORMATS`), reading ``chunk_mb`` of the file at a time.

    The file written equals :func:`mapdata.export.export_bytes` of the whole file loaded, joined
    and filtered. ``output`` appears only when the export is complete. Reading options as in
    :func:`mapdata.load.load_events`; ``geography`` as in :func:`mapdata.dataset.load_dataset`
    (default the ``GEO_DIR`` setting's). Raises :class:`NotStreamable` when the chunks read
    differently (nothing is written then).
    """
    spec = spec or FilterSpec()
    label = name or Path(path).name
    geography = geography or load_geography()
    box = region_box(spec.regions, geography.regions, config.get("NEAREST_TOLERANCE_KM")) if spec.regions else None
    output = Path(output)
    if not output.parent.is_dir():  # said now, not after reading the whole file
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(output))
    partial = output.with_name(f".{output.stem}.partial{output.suffix}")  # GDAL wants the suffix
    writer = FORMATS[fmt].chunks(partial, spec, generated, label, geography.metadata)
    events, selected, rejected, chunks = 0, 0, [], 0
    try:
        reading = (input_format, mapping, date_format, sheet, gazetteers, geography)
        for loaded in _chunks(Path(path), chunk_mb, label, reading):
            kept = filter_events(join(_near(loaded.events, box), geography), spec, geography.regions)
            writer.add(kept)
            events, selected, chunks = events + len(loaded.events), selected + len(kept), chunks + 1
            rejected.append(loaded.rejected)
        writer.close()
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    rejected = pd.concat([r for r in rejected if len(r)] or rejected[:1], ignore_index=True)  # an empty table's dtypes differ
    return Streamed(label, events, selected, rejected, chunks)


def _near(events, box: tuple[float, float, float, float] | None):
    """The events a region filter may keep (inside the regions' widened box), so that only they
    are joined (the join works point by point: a subset joins as it does in the whole); all the
    events when there is no box."""
    if box is None:
        return events
    lon, lat = events["longitude"].to_numpy(), events["latitude"].to_numpy()
    return events[(lon >= box[0]) & (lon <= box[2]) & (lat >= box[1]) & (lat <= box[3])]


def _chunks(path: Path, chunk_mb: float, label: str, reading: tuple) -> Iterator[Loaded]:
    """Each chunk loaded, in the file's row numbers, its events without the ids earlier chunks
    used. The next chunk is cut and loaded in a second thread while the caller works on one
    (Arrow's reader and much of the validation release the GIL)."""
    fmt, mapping, date_format, sheet, gazetteers, geography = reading

    def load(chunk: Chunk) -> Loaded:
        return load_events(chunk.read(), name=label, fmt=fmt, mapping=mapping, date_format=date_format,
                           sheet=sheet, gazetteers=gazetteers, geography=geography)

    ids = _SeenIds()
    first: tuple | None = None
    chunks = cut(path, int(chunk_mb * (1 << 20)))
    with ThreadPoolExecutor(max_workers=1) as pool:
        ahead = pool.submit(_next_loaded, chunks, load)
        while (current := ahead.result()) is not None:
            ahead = pool.submit(_next_loaded, chunks, load)
            chunk, loaded = current
            if isinstance(loaded, MapdataError):
                if chunk.whole:
                    raise loaded
                raise NotStreamable(f"{label}: a chunk read alone fails ({loaded})")
            reads = _how_read(loaded)
            first = first or reads
            if not chunk.whole and (reads != first or (date_format is None and not set(loaded.date_forms.values()) <= set(_ISO_FORMS))):
                raise NotStreamable(f"{label}: the chunks read differently ({_difference(first, reads)})")
            yield _without_earlier_ids(loaded, chunk.first_row - 2, ids, label)


def _next_loaded(chunks: Iterator[Chunk], load) -> tuple[Chunk, Loaded | MapdataError] | None:
    """The next chunk and what loading it gave (its error, for the caller to judge); None at the end."""
    try:
        chunk = next(chunks, None)
    except Uncuttable as exc:
        raise NotStreamable(str(exc)) from None
    if chunk is None:
        return None
    try:
        return chunk, load(chunk)
    except MapdataError as exc:
        return chunk, exc


def _how_read(loaded: Loaded) -> tuple:
    """What a chunk decided for itself that the whole file must decide the same way."""
    report = loaded.report
    return (report.format, report.detected_by, report.encoding, report.notes,
            tuple(loaded.events.columns), tuple(str(t) for t in loaded.events.dtypes))


def _difference(first: tuple, other: tuple) -> str:
    names = ("format", "detection", "encoding", "notes", "columns", "column types")
    differing = [n for n, a, b in zip(names, first, other) if a != b]
    return ", ".join(differing) or "date form not ISO 8601; give --date-format"


def _without_earlier_ids(loaded: Loaded, shift: int, seen: _SeenIds, label: str) -> Loaded:
    """``loaded`` in the file's row numbers; rows whose id an earlier chunk used rejected as the
    validator rejects a repeated id (their reason names the file's first row)."""
    rejected = shifted(loaded.rejected, shift)
    ids = loaded.ids[loaded.ids.ne("").to_numpy()]
    rows = ids.index.to_numpy(dtype="int64") + shift
    texts = pa.Table.from_pandas(ids.to_frame("id"), preserve_index=False).column(0).cast(pa.large_string())
    hashes = _hashes(texts)
    earlier = seen.first_rows(texts, hashes)
    again = earlier >= 0
    if again.any():
        reasons = pd.Series([duplicate_id_reason(int(r)) for r in earlier[again]], index=rows[again])
        repeated = is_repeated_id(rejected).to_numpy() & np.isin(rejected["row"].to_numpy(), rows[again])
        rejected.loc[repeated, "reason"] = reasons.loc[rejected.loc[repeated, "row"]].to_numpy()
        first_here = ~np.isin(rows[again], rejected.loc[repeated, "row"].to_numpy())
        added = pd.DataFrame({"file": label, "row": rows[again][first_here], "column": "event_id",
                              "value": ids[again].str.slice(0, MAX_VALUE_CHARS).to_numpy()[first_here],
                              "reason": reasons.to_numpy()[first_here]}, columns=list(REJECTED_COLUMNS))
        rejected = pd.concat([f for f in (rejected, added) if len(f)], ignore_index=True) \
            .sort_values(["row", "column"], kind="stable").reset_index(drop=True)
    events = loaded.events
    if again.any():
        events = events[~np.isin(accepted_rows(loaded, shift), rows[again])].reset_index(drop=True)
    new = ~again & ~np.isin(rows, rejected.loc[is_repeated_id(rejected), "row"].to_numpy())
    seen.add(texts.filter(pa.array(new)), hashes[new], rows[new])
    return Loaded(events, rejected, loaded.report, loaded.ids, loaded.date_forms)


def _hashes(texts: pa.ChunkedArray) -> np.ndarray:
    """A 64-bit hash of each text (DuckDB's, vectorised; equal texts, equal hashes)."""
    with cursor() as cur:
        cur.register("texts", pa.table({"id": texts}))
        return cur.sql("SELECT hash(id) AS h FROM texts").fetchnumpy()["h"].astype(np.uint64)


class _SeenIds:
    """The event ids of the chunks read so far, each with the file row that used it first: sorted
    64-bit hashes to find candidates, the ids themselves to confirm them (hashes can collide)."""

    def __init__(self) -> None:
        self.hashes = np.empty(0, dtype=np.uint64)
        self.rows = np.empty(0, dtype=np.int64)
        self.positions = np.empty(0, dtype=np.int64)  # of each sorted hash's id in texts
        self.texts = pa.chunked_array([], type=pa.large_string())

    def first_rows(self, texts: pa.ChunkedArray, hashes: np.ndarray) -> np.ndarray:
        """The first row of each id among the ids seen; -1 for an id not seen."""
        found = np.full(len(texts), -1, dtype=np.int64)
        if not len(self.hashes) or not len(texts):
            return found
        left = np.searchsorted(self.hashes, hashes, side="left")
        right = np.searchsorted(self.hashes, hashes, side="right")
        candidates = np.flatnonzero(right > left)
        same = pc.equal(self.texts.take(self.positions[left[candidates]]), texts.take(candidates)).to_numpy(zero_copy_only=False)
        found[candidates[same]] = self.rows[left[candidates[same]]]
        for at in candidates[~same]:  # another id with the same hash came first: look at the others
            text = texts[int(at)].as_py()
            match = [k for k in range(left[at] + 1, right[at]) if self.texts[int(self.positions[k])].as_py() == text]
            found[at] = self.rows[match[0]] if match else -1
        return found

    def add(self, texts: pa.ChunkedArray, hashes: np.ndarray, rows: np.ndarray) -> None:
        """Note ids not seen before, each with its hash and (first) row."""
        if not len(texts):
            return
        hashes = np.concatenate([self.hashes, hashes])
        order = np.argsort(hashes, kind="stable")  # two sorted runs: merged in linear time
        self.hashes = hashes[order]
        self.rows = np.concatenate([self.rows, rows])[order]
        self.positions = np.concatenate([self.positions, np.arange(len(self.texts), len(self.texts) + len(texts))])[order]
        self.texts = pa.chunked_array(self.texts.chunks + texts.chunks, type=pa.large_string())
