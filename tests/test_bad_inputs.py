"""The corpus of broken and hostile files in tests/data/bad/, each with its expected outcome
beside it (NAME.expect.json), through the library and through the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mapdata.errors import MapdataError
from mapdata.load import load_events

BAD = Path(__file__).parent / "data" / "bad"
CASES = sorted(p for p in BAD.iterdir() if not p.name.endswith(".expect.json"))


def expectation(path: Path) -> dict:
    return json.loads((BAD / (path.name.rsplit(".", 1)[0] + ".expect.json")).read_text(encoding="utf-8"))


def test_the_corpus_is_complete():
    assert len(CASES) >= 25
    assert all((BAD / (p.name.rsplit(".", 1)[0] + ".expect.json")).exists() for p in CASES)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_library(path):
    expect = expectation(path)
    if expect["outcome"] == "error":
        with pytest.raises(MapdataError) as info:
            load_events(path)
        assert path.name in str(info.value) and expect["message"] in str(info.value)
        return
    loaded = load_events(path)
    events, rejected = loaded.events, loaded.rejected
    assert len(events) == expect["accepted"], rejected.to_string()
    found: dict[str, set[str]] = {}
    for row in rejected.itertuples(index=False):
        found.setdefault(str(row.row), set()).add(row.column)
        assert row.file.endswith(path.name) and row.reason
    assert set(found) == set(expect["rejected"]), rejected.to_string()
    for row, columns in expect["rejected"].items():
        assert set(columns) <= found[row], (row, found[row])


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_command_line(path):
    expect = expectation(path)
    out = subprocess.run([sys.executable, "-m", "mapdata", "validate", str(path)], capture_output=True, text=True)
    assert "Traceback" not in out.stderr + out.stdout
    if expect["outcome"] == "error":
        assert out.returncode != 0
        assert out.stderr.startswith("mapdata: error:") and path.name in out.stderr
        assert len(out.stderr.strip().splitlines()) == 1
        return
    assert out.returncode == 0, out.stderr
    assert f"{expect['accepted']} rows accepted, {len(expect['rejected'])} rejected" in out.stdout
    for row, columns in expect["rejected"].items():
        for column in columns:
            assert f"row {row}, column {column}" in out.stdout
