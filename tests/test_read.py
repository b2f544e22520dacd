"""mapdata.read: the fast (Arrow) and the careful reading paths give the same text table.

Whenever the fast path takes a file, the careful path must read it to the same header and
cells, with no broken rows; it must refuse it with the same message where the fast path does.
Checked on every fixture (tests/data/ and the broken corpus tests/data/bad/) and on the property
tests' fuzzed files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mapdata.errors import FileFormatError
from mapdata.read import read_careful, read_fast, read_text_table
from test_load_properties import EDITS, LINES, SETTINGS, mutated

DATA = Path(__file__).parent / "data"
FIXTURES = sorted(p for p in [*DATA.glob("*.csv"), *(DATA / "bad").iterdir()] if not p.name.endswith(".json"))


def outcome(read, *args):
    """A reader's table as (header, rows), its broken rows, or its error message."""
    try:
        result = read(*args)
    except FileFormatError as exc:
        return "error", str(exc)
    if result is None:
        return None
    table, broken = result if isinstance(result, tuple) else (result, [])
    return table.column_names, [list(row.values()) for row in table.to_pylist()], broken


def assert_paths_agree(data: bytes | Path, label: str) -> bool:
    """Compare both paths on ``data``; return whether the fast path took it."""
    fast = outcome(read_fast, data, label)
    if fast is None:
        return False
    raw = data.read_bytes() if isinstance(data, Path) else data
    assert outcome(read_careful, raw, label) == fast
    return True


def test_fast_and_careful_paths_agree_on_every_fixture():
    taken = [path.name for path in FIXTURES if assert_paths_agree(path, path.name)]
    assert len(taken) >= 20, taken  # the comparison covers most fixtures, not just a few


def text_table(source, label: str):
    """What read_text_table gives (cells, record positions, broken rows), or its error message."""
    try:
        table = read_text_table(source, label)
        frame, broken = table.frame, table.broken
    except FileFormatError as exc:
        return str(exc)
    return frame.to_dict("list"), list(frame.index), broken


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_bytes_and_path_read_the_same(path):
    """An upload (bytes) and the same file by path give the same text table."""
    assert text_table(path.read_bytes(), path.name) == text_table(path, path.name)


@SETTINGS
@given(EDITS)
def test_fast_and_careful_paths_agree_on_mutated_files(edits):
    assert_paths_agree(mutated(edits), "fuzz.csv")


@SETTINGS
@given(st.lists(st.sampled_from(LINES[1:-1]), max_size=30), st.sampled_from([b",", b";"]))
def test_fast_and_careful_paths_agree_on_shuffled_rows(rows, delimiter):
    data = b"\n".join([LINES[0], *rows]) + b"\n"
    assert assert_paths_agree(data, "rows.csv")
