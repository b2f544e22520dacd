"""The Arrow cache of loaded and joined events files (mapdata.cache through load_dataset)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal

import mapdata
from mapdata import cache, config, load_dataset


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("MAPDATA_CACHE_DIR", str(folder))
    return folder


def test_second_load_comes_from_the_cache_and_equals_the_first(data_dir, tmp_path, cache_dir):
    events = tmp_path / "events.csv"
    shutil.copy(data_dir / "events_bad.csv", events)
    first = load_dataset(events)
    assert len(list(cache_dir.glob("*.events.arrow"))) == 1
    second = load_dataset(events)
    assert_geodataframe_equal(first.events, second.events, check_less_precise=False)
    pd.testing.assert_frame_equal(first.rejected, second.rejected)
    assert len(first.rejected) > 0


def test_changed_bytes_are_a_new_key_and_a_fresh_load_replacing_the_old_entry(data_dir, tmp_path, cache_dir):
    events = tmp_path / "events.csv"
    shutil.copy(data_dir / "events_valid.csv", events)
    before = load_dataset(events)
    old_entry = {p.name for p in cache_dir.glob("*.events.arrow")}
    lines = events.read_text(encoding="utf-8").splitlines(keepends=True)
    events.write_text("".join(lines[:-1]), encoding="utf-8")
    after = load_dataset(events)
    assert len(after.events) == len(before.events) - 1
    new_entry = {p.name for p in cache_dir.glob("*.events.arrow")}
    assert len(new_entry) == 1 and new_entry != old_entry, "the file's previous entry is removed, not left behind"


def test_an_entry_another_file_still_uses_is_kept(data_dir, tmp_path, cache_dir):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    shutil.copy(data_dir / "events_valid.csv", first)
    shutil.copy(data_dir / "events_valid.csv", second)
    load_dataset(first)
    load_dataset(second)
    shared = cache.key(first)
    assert shared == cache.key(second), "same bytes, same key"
    second.write_text("".join(second.read_text(encoding="utf-8").splitlines(keepends=True)[:-1]), encoding="utf-8")
    load_dataset(second)
    assert (cache_dir / f"{shared}.events.arrow").exists(), "a.csv still uses it"
    assert len(list(cache_dir.glob("*.events.arrow"))) == 2
    first.write_text("".join(first.read_text(encoding="utf-8").splitlines(keepends=True)[:-2]), encoding="utf-8")
    load_dataset(first)
    assert not (cache_dir / f"{shared}.events.arrow").exists(), "no file uses it any more"
    assert len(list(cache_dir.glob("*.events.arrow"))) == 2


def test_touching_a_file_keeps_its_key(data_dir, tmp_path, cache_dir):
    events = tmp_path / "events.csv"
    shutil.copy(data_dir / "events_valid.csv", events)
    key = cache.key(events)
    os.utime(events, ns=(1_000_000_000, 1_000_000_000))
    assert cache.key(events) == key


def test_a_damaged_entry_is_loaded_again_not_an_error(data_dir, tmp_path, cache_dir):
    events = tmp_path / "events.csv"
    shutil.copy(data_dir / "events_valid.csv", events)
    first = load_dataset(events)
    for entry in cache_dir.glob("*.arrow"):
        entry.write_bytes(b"not arrow")
    assert_geodataframe_equal(load_dataset(events).events, first.events)


def test_off_disables_the_cache(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("MAPDATA_CACHE_DIR", "off")
    assert cache.folder() is None and cache.key(data_dir / "events_valid.csv") is None
    assert len(load_dataset(data_dir / "events_valid.csv").events) > 0


def test_a_file_of_a_size_no_entry_has_is_not_hashed_to_look_it_up(data_dir, tmp_path, cache_dir, monkeypatch):
    events = tmp_path / "events.csv"
    shutil.copy(data_dir / "events_valid.csv", events)
    hashed = []
    real_hash = cache.file_hash
    monkeypatch.setattr(cache, "file_hash", lambda path: hashed.append(path) or real_hash(path))
    assert cache.stored_key(events) is None and hashed == [], "first load: known to be new without hashing"
    load_dataset(events)
    assert len(hashed) == 1, "hashed once, to name the entry"
    assert cache.stored_key(events) == cache.key(events)
    assert (cache_dir / f"{cache.key(events)}.events.arrow").exists()
    assert cache.key(events).startswith(f"{events.stat().st_size}-")


def test_caching_later_writes_the_same_entry_in_the_background(data_dir, tmp_path, cache_dir):
    events = tmp_path / "events.csv"
    shutil.copy(data_dir / "events_bad.csv", events)
    first = load_dataset(events, cache_later=True)
    first.events["extra"] = 1  # the caller changes its frame while the entry is written
    cache.wait()
    assert [p.name for p in cache_dir.glob("*.events.arrow")] == [f"{cache.key(events)}.events.arrow"]
    second = load_dataset(events)
    assert second.report is None, "read back from the cache"
    assert_geodataframe_equal(first.events.drop(columns="extra"), second.events, check_less_precise=False)
    pd.testing.assert_frame_equal(first.rejected, second.rejected)


def test_a_file_changed_after_loading_is_not_cached(data_dir, tmp_path, cache_dir):
    events = tmp_path / "events.csv"
    shutil.copy(data_dir / "events_valid.csv", events)
    filling = cache.fill(events)
    loaded = load_dataset(events, cache_later=True)  # stored: the file did not change
    cache.wait()
    shutil.rmtree(cache_dir)
    events.write_text("".join(events.read_text(encoding="utf-8").splitlines(keepends=True)[:-1]), encoding="utf-8")
    filling.store_later(loaded.events, loaded.rejected)
    cache.wait()
    assert not list(cache_dir.glob("*.arrow")), "the events no longer match the file: no entry"


def _key_in_a_copy_of_the_library(tmp_path, events, edit) -> str:
    """cache.key(events) computed by a copy of the library in which ``edit(package_dir)`` was made."""
    package = tmp_path / "src" / "mapdata"
    shutil.copytree(Path(mapdata.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    edit(package)
    code = f"from mapdata import cache; print(cache.key({str(events)!r}))"
    env = {**os.environ, "PYTHONPATH": str(package.parent), "MAPDATA_GEO_DIR": str(config.get("GEO_DIR"))}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return out.stdout.strip()


def test_a_docstring_edit_keeps_the_key_and_a_code_version_bump_changes_it(data_dir, tmp_path, cache_dir, monkeypatch):
    events = tmp_path / "events.csv"
    shutil.copy(data_dir / "events_valid.csv", events)
    monkeypatch.setenv("MAPDATA_GEO_DIR", str(config.get("GEO_DIR")))
    key = cache.key(events)

    def edit_docstring(package: Path) -> None:
        source = package / "filters.py"
        source.write_text(source.read_text(encoding="utf-8").replace('"""One filter', '"""One (edited) filter', 1),
                          encoding="utf-8")

    def bump_code_version(package: Path) -> None:
        source = package / "cache.py"
        text = source.read_text(encoding="utf-8")
        assert f"CODE_VERSION = {cache.CODE_VERSION}\n" in text
        source.write_text(text.replace(f"CODE_VERSION = {cache.CODE_VERSION}\n", f"CODE_VERSION = {cache.CODE_VERSION + 1}\n"),
                          encoding="utf-8")

    assert _key_in_a_copy_of_the_library(tmp_path / "docstring", events, edit_docstring) == key
    assert _key_in_a_copy_of_the_library(tmp_path / "bumped", events, bump_code_version) != key


def test_an_index_in_an_older_layout_is_ignored_not_an_error(data_dir, tmp_path, cache_dir):
    events = tmp_path / "events.csv"
    shutil.copy(data_dir / "events_valid.csv", events)
    cache_dir.mkdir()
    seen = cache.signature(events)
    (cache_dir / "index.json").write_text(json.dumps({str(events.resolve()): [seen.size, seen.mtime_ns, seen.inode, "0" * 64]}))
    assert cache.file_hash(events) == hashlib.sha256(events.read_bytes()).hexdigest()
    stored = json.loads((cache_dir / "index.json").read_text())
    assert stored[str(events.resolve())]["sha256"] == cache.file_hash(events)
