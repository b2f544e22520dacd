"""Property-based: whatever bytes arrive, the loader either returns events and rejected rows or
raises the library's own error type, and every data row is accounted for."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapdata.errors import MapdataError
from mapdata.load import load_events

VALID = (Path(__file__).parent / "data" / "events_valid.csv").read_bytes()
LINES = VALID.split(b"\n")
SETTINGS = settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
"""Derandomised: CI explores the same cases every run; a change to the loader changes the examples."""


def _load_or_library_error(data: bytes):
    try:
        return load_events(data, name="fuzz.csv", geocode=False)
    except MapdataError as exc:
        assert "fuzz.csv" in str(exc)
        return None


@SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes_never_escape_as_another_exception(data):
    _load_or_library_error(data)


EDITS = st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.binary(min_size=0, max_size=8)), max_size=12)
"""Up to 12 byte-string overwrites of the valid file (position, replacement)."""


def mutated(edits: list[tuple[int, bytes]]) -> bytes:
    """The valid file with ``edits`` applied, last position first."""
    data = bytearray(VALID)
    for position, replacement in sorted(edits, reverse=True):
        data[position:position + len(replacement)] = replacement
    return bytes(data)


@SETTINGS
@given(EDITS)
def test_mutated_valid_files_keep_every_row_accounted_for(edits):
    result = _load_or_library_error(mutated(edits))
    if result is not None:
        events = result.events
        assert events["event_id"].is_unique and events["event_id"].ne("").all()
        assert events["geo_precision"].isin([1, 2, 3]).all()
        assert events["latitude"].between(-90, 90).all() and events["longitude"].between(-180, 180).all()


@SETTINGS
@given(st.lists(st.sampled_from(LINES[1:-1]), max_size=30), st.sampled_from([b",", b";"]))
def test_shuffled_rows_are_all_accepted_or_rejected(rows, delimiter):
    data = b"\n".join([LINES[0], *rows]) + b"\n"
    loaded = load_events(data, name="rows.csv", geocode=False)
    events, rejected = loaded.events, loaded.rejected
    unique_ids = len({r.split(b",", 1)[0] for r in rows})
    assert len(events) == unique_ids, "each distinct id is kept once"
    assert len(events) + rejected["row"].nunique() == len(rows), "no row silently dropped"
