"""Streamed exports (mapdata.stream): a file read in many small chunks gives the in-memory export."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from geopandas.testing import assert_geodataframe_equal

from mapdata import cache
from mapdata.cli import main
from mapdata.dataset import load_dataset
from mapdata.export import export_bytes
from mapdata.filters import FilterSpec, filter_events
from mapdata.store.chunks import Uncuttable, cut, scan
from mapdata.stream import NotStreamable, export_stream

from conftest import DATA, ROOT

CHUNK_MB = 2500 / (1 << 20)  # a few records per chunk: every file of several rows is cut in several
SMALL = 400 / (1 << 20)  # for files of long rows
GENERATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
SPECS = [FilterSpec(), FilterSpec(regions=("Kalbajar",)), FilterSpec(countries=("ARM",), min_fatalities=1),
         FilterSpec(search="kalbajar"), FilterSpec(event_types=("Protests",), regions=("Lachin",))]
FILES = [(ROOT / "data" / "events.csv", {"chunk_mb": 40_000 / (1 << 20)}), (DATA / "events_valid.csv", {}),
         (DATA / "events_bad.csv", {}), (DATA / "import_ucdp_ged.csv", {"chunk_mb": SMALL}),
         (DATA / "import_acled.csv", {"date_format": "%d %B %Y", "chunk_mb": SMALL})]
"""Files with the options they are read with and their chunk size (default CHUNK_MB); the embedded
data (224 rows) in chunks of ~45 rows."""


@pytest.fixture(autouse=True)
def no_cache(monkeypatch):
    monkeypatch.setenv("MAPDATA_CACHE_DIR", "off")


def _in_memory(path: Path, spec: FilterSpec, fmt: str, **reading):
    data = load_dataset(path, **reading)
    return data, export_bytes(filter_events(data.events, spec, data.regions), fmt, spec, GENERATED, path.name)


def _read_gpkg(path: Path):
    return pyogrio.read_dataframe(path, layer="events"), pyogrio.read_info(path, layer="events")


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.to_query_string() or "all")
@pytest.mark.parametrize("path, reading", FILES, ids=lambda v: v.name if isinstance(v, Path) else "")
def test_a_streamed_export_equals_the_in_memory_one(path, reading, spec, tmp_path):
    reading = dict(reading)
    chunk_mb = reading.pop("chunk_mb", CHUNK_MB)
    for fmt in ("geojson", "csv", "gpkg"):
        target = tmp_path / f"out.{fmt}"
        done = export_stream(path, target, fmt, spec, chunk_mb=chunk_mb, generated=GENERATED, **reading)
        data, expected = _in_memory(path, spec, fmt, **reading)
        if fmt == "gpkg":  # the file holds its write time: compare what it holds
            (tmp_path / "memory.gpkg").write_bytes(expected)
            (streamed, info), (memory, memory_info) = _read_gpkg(target), _read_gpkg(tmp_path / "memory.gpkg")
            assert_geodataframe_equal(streamed, memory)
            assert info["fields"].tolist() == memory_info["fields"].tolist()
            assert info["geometry_type"] == memory_info["geometry_type"] == ("Point" if len(memory) else "Unknown")
            assert info["layer_metadata"] == memory_info["layer_metadata"]
        else:
            assert target.read_bytes() == expected
        pd.testing.assert_frame_equal(done.rejected, data.rejected.reset_index(drop=True))
        assert (done.events, done.name) == (len(data.events), data.name)
        assert done.selected == len(filter_events(data.events, spec, data.regions))
    assert done.chunks == len(scan(path, int(chunk_mb * (1 << 20))).chunks) > 1


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").rstrip("\n").split("\n")


def test_ids_used_again_in_later_chunks_are_rejected_as_in_memory(tmp_path):
    header, *rows = _lines(DATA / "events_valid.csv")
    bad_latitude = rows[3].replace(",40.", ",95.", 1)  # rejected for its latitude, its id still used
    assert bad_latitude != rows[3]
    source = tmp_path / "repeats.csv"
    source.write_text("\n".join([header, rows[0], bad_latitude, *rows[4:], rows[0], rows[3], rows[0], rows[1],
                                 rows[1], rows[2]]) + "\n", encoding="utf-8")
    spec = FilterSpec()
    done = export_stream(source, tmp_path / "out.geojson", "geojson", spec, chunk_mb=CHUNK_MB, generated=GENERATED)
    data, expected = _in_memory(source, spec, "geojson")
    assert done.chunks >= 4
    assert (tmp_path / "out.geojson").read_bytes() == expected
    pd.testing.assert_frame_equal(done.rejected, data.rejected.reset_index(drop=True))
    reasons = done.rejected.loc[done.rejected["column"] == "event_id"].set_index("row")["reason"].to_dict()
    first = len(rows) - 2  # the rows after the copies of rows[4:]
    assert reasons == {first + 2: "duplicate event_id (first used on row 2)",
                       first + 3: "duplicate event_id (first used on row 3)",   # its first use was rejected (latitude)
                       first + 4: "duplicate event_id (first used on row 2)",
                       first + 6: "duplicate event_id (first used on row 12)"}
    ids = [f["id"] for f in json.loads((tmp_path / "out.geojson").read_text(encoding="utf-8"))["features"]]
    assert len(ids) == len(set(ids)) == len(data.events)


def test_bad_rows_are_reported_with_file_row_and_column(tmp_path):
    done = export_stream(DATA / "events_bad.csv", tmp_path / "out.csv", "csv", chunk_mb=CHUNK_MB)
    assert done.chunks > 2
    found = set(zip(done.rejected["file"], done.rejected["row"], done.rejected["column"], done.rejected["reason"]))
    assert ("events_bad.csv", 4, "latitude", "latitude out of range (-90..90)") in found
    assert ("events_bad.csv", 7, "fatalities", "not a number") in found
    assert done.rejected["row"].is_monotonic_increasing


def test_chunks_that_read_differently_are_not_streamed(tmp_path):
    with pytest.raises(NotStreamable, match="date form not ISO 8601"):
        export_stream(DATA / "import_acled.csv", tmp_path / "out.geojson", "geojson", chunk_mb=SMALL)
    assert not list(tmp_path.iterdir())  # nothing written, not even half a file


def _cli_export(tmp_path: Path, monkeypatch, source: Path, fmt: str, stream_mb: str, *extra: str) -> Path:
    monkeypatch.setenv("MAPDATA_STREAM_MB", stream_mb)
    monkeypatch.setenv("MAPDATA_STREAM_CHUNK_MB", str(SMALL if source.name == "import_acled.csv" else CHUNK_MB))
    target = tmp_path / f"{stream_mb}.{fmt}"
    assert main(["export", "--events", str(source), "--format", fmt, "-o", str(target), *extra]) == 0
    return target


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
def test_the_command_line_streams_large_files_with_the_same_result(tmp_path, monkeypatch, capsys, fmt):
    source = DATA / "events_bad.csv"
    streamed = _cli_export(tmp_path, monkeypatch, source, fmt, "0", "--region", "Kalbajar")
    said_streamed = capsys.readouterr().err
    whole = _cli_export(tmp_path, monkeypatch, source, fmt, "1000", "--region", "Kalbajar")
    assert said_streamed == capsys.readouterr().err.replace("1000.", "0.") == \
        f"wrote 3 of 3 events to {tmp_path / ('0.' + fmt)} ({fmt}); 14 invalid rows skipped (see `mapdata validate`)\n"
    if fmt == "csv":
        assert streamed.read_bytes() == whole.read_bytes()
    else:
        drop = lambda doc: {**doc, "metadata": {**doc["metadata"], "generated": None}}  # noqa: E731
        assert drop(json.loads(streamed.read_text(encoding="utf-8"))) == drop(json.loads(whole.read_text(encoding="utf-8")))


def test_a_file_the_chunks_read_differently_is_loaded_whole(tmp_path, monkeypatch, capsys):
    streamed = _cli_export(tmp_path, monkeypatch, DATA / "import_acled.csv", "csv", "0")
    err = capsys.readouterr().err
    assert "chunks read differently (date form not ISO 8601; give --date-format); loading the file whole" in err
    assert streamed.read_bytes() == _cli_export(tmp_path, monkeypatch, DATA / "import_acled.csv", "csv", "1000").read_bytes()


def test_a_cached_file_is_not_streamed_and_a_streamed_one_is_not_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("MAPDATA_CACHE_DIR", str(tmp_path / "cache"))
    source = tmp_path / "events.csv"
    shutil.copy(ROOT / "data" / "events.csv", source)
    _cli_export(tmp_path, monkeypatch, source, "csv", "0")
    assert not cache.has_entry(source) and not list((tmp_path / "cache").glob("*.arrow"))
    _cli_export(tmp_path, monkeypatch, source, "csv", "1000")  # loaded whole: cached
    assert cache.has_entry(source)


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="GDAL's ogrinfo is not installed (Debian gdal-bin)")
@pytest.mark.parametrize("fmt", ["geojson", "gpkg"])
def test_ogrinfo_reads_a_streamed_export(tmp_path, monkeypatch, fmt):
    target = _cli_export(tmp_path, monkeypatch, ROOT / "data" / "events.csv", fmt, "0", "--country", "ARM")
    info = subprocess.run(["ogrinfo", "-so", "-al", str(target)], capture_output=True, text=True)
    assert info.returncode == 0
    expected = len(filter_events(load_dataset().events, FilterSpec(countries=("ARM",))))
    assert f"Feature Count: {expected}" in info.stdout and "Point" in info.stdout


def test_chunks_cut_as_found_are_the_scans_chunks(tmp_path):
    for path, size in ((ROOT / "data" / "events.csv", 40_000), (DATA / "events_valid.csv", 500), (DATA / "empty.csv", 500)):
        assert tuple(cut(path, size)) == scan(path, size).chunks
    header, *rows = _lines(ROOT / "data" / "events.csv")
    late_blank = tmp_path / "late_blank.csv"  # ~20 MB, cut into chunks until a blank line at its end
    late_blank.write_text("\n".join([header] + rows * 90) + "\n\n", encoding="utf-8")
    assert scan(late_blank, 4 << 20).chunks[0].whole
    with pytest.raises(Uncuttable):
        list(cut(late_blank, 4 << 20))
    with pytest.raises(NotStreamable, match="cannot be cut"):
        export_stream(late_blank, tmp_path / "out.csv", "csv", chunk_mb=8)
    assert [p.name for p in tmp_path.iterdir()] == ["late_blank.csv"]


def test_a_missing_output_folder_is_said_before_the_file_is_read(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MAPDATA_STREAM_MB", "0")
    target = tmp_path / "nowhere" / "out.geojson"
    assert main(["export", "--events", str(ROOT / "data" / "events.csv"), "-o", str(target)]) == 2
    assert capsys.readouterr().err == f"mapdata: error: {target}: No such file or directory\n"
