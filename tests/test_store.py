"""The GeoParquet store: built on Dask from tests/data files, it gives the in-memory path's answers."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from geopandas.testing import assert_geodataframe_equal

from mapdata.cli import main
from mapdata.config import geo_path
from mapdata.dataset import load_dataset, merge_datasets
from mapdata.export import export_bytes
from mapdata.filters import FIELDS, FilterSpec, filter_events
from mapdata.geo import load_metadata
from mapdata.store import StoreError, build_store, ids, open_store
from mapdata.store.chunks import scan
from mapdata.store.manifest import MANIFEST, STORE_VERSION, Part
from mapdata.store.query import in_period

from conftest import DATA, ROOT

pytest.importorskip("distributed")
pytest.importorskip("duckdb")

SOURCES = [DATA / "events_valid.csv", DATA / "events_semicolon.csv", DATA / "import_acled.csv", DATA / "import_ucdp_ged.csv",
           DATA / "formats" / "acled_pre2019_cp1252.csv"]
CHUNK_MB = 2500 / (1 << 20)  # a few records per chunk: every file is cut in several
SPECS = [
    FilterSpec(),
    FilterSpec(regions=("Kalbajar",)),
    FilterSpec(regions=("Karvachar", "Lachin")),
    FilterSpec(countries=("ARM",)),
    FilterSpec(event_types=("Battles",), min_fatalities=1),
    FilterSpec(date_from=pd.Timestamp("2021-01-01").date(), date_to=pd.Timestamp("2022-12-31").date()),
    FilterSpec(max_border_km=5.0, precisions=(1, 2)),
    FilterSpec(max_fatalities=0),
    FilterSpec(sub_event_types=("Armed clash",), actors=("Military Forces of Armenia",)),
    FilterSpec(date_from=pd.Timestamp("2020-11-01").date(), date_to=pd.Timestamp("2020-12-31").date()),
    FilterSpec(area=((45.8, 39.9), (46.5, 39.9), (46.0, 40.4), (45.8, 39.9))),
    FilterSpec(search="kalbajar"),
]


@pytest.fixture(scope="module")
def cluster():
    """One local Dask cluster for the module's builds (starting one per build takes seconds)."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None) as local:
        yield local.scheduler_address


def _build(sources, store, cluster, **options):
    return build_store(sources, store, scheduler=cluster, chunk_mb=CHUNK_MB, **options)


def _in_memory(sources):
    datasets = [load_dataset(s) for s in sources]
    merged = datasets[0]
    for extra in datasets[1:]:
        merged = merge_datasets(merged, extra)
    return merged


@pytest.fixture(scope="module")
def built(cluster, tmp_path_factory):
    store = tmp_path_factory.mktemp("store") / "events"
    result = _build(SOURCES, store, cluster)
    return store, result


def test_chunks_are_whole_records_with_the_files_row_numbers():
    cut = scan(DATA / "events_valid.csv", 2000)
    assert len(cut.chunks) > 2 and not any(c.whole for c in cut.chunks)
    assert cut.sha256 == hashlib.sha256((DATA / "events_valid.csv").read_bytes()).hexdigest()
    assert [c.first_row for c in cut.chunks][0] == 2
    assert cut.chunks[-1].end == cut.size and all(a.end == b.start for a, b in zip(cut.chunks, cut.chunks[1:]))


def test_a_window_counts_in_every_part_it_overlaps():
    part = Part(year=2020, name="p.parquet", size=1, rows=1, first="2020-12-20", last="2021-01-10")
    assert in_period(part, FilterSpec(date_from=pd.Timestamp("2021-01-01").date()))
    assert not in_period(part, FilterSpec(date_from=pd.Timestamp("2021-01-11").date()))
    assert not in_period(part, FilterSpec(date_to=pd.Timestamp("2020-12-19").date()))


def test_files_the_quote_rule_cannot_cut_are_read_whole(tmp_path):
    text = (DATA / "events_valid.csv").read_text(encoding="utf-8")
    utf16 = tmp_path / "utf16.csv"
    utf16.write_text(text, encoding="utf-16")
    blank = tmp_path / "blank.csv"
    lines = text.split("\n")
    blank.write_text("\n".join(lines[:3] + [""] + lines[3:]), encoding="utf-8")
    zipped = tmp_path / "events.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("events.csv", text * 20)
    for path in (utf16, blank, zipped):
        assert [c.whole for c in scan(path, 500).chunks] == [True]


def test_the_specs_use_every_filter_field():
    assert {f.name for f in FIELDS} == {f.name for spec in SPECS for f in FIELDS if getattr(spec, f.name) not in (None, ())}


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.to_query_string() or "all")
def test_store_gives_the_in_memory_events(built, spec):
    store, _ = built
    memory = _in_memory(SOURCES)
    expected = filter_events(memory.events, spec, memory.regions).reset_index(drop=True)
    assert_geodataframe_equal(open_store(store).select(spec), expected)


def test_exports_from_the_store_equal_exports_from_the_files(built):
    store, _ = built
    memory = _in_memory(SOURCES)
    spec = FilterSpec(regions=("Kalbajar",))
    for fmt in ("csv", "gpkg"):
        assert export_bytes(open_store(store).select(spec), fmt, spec, source_name="x") == \
            export_bytes(filter_events(memory.events, spec, memory.regions), fmt, spec, source_name="x") or fmt == "gpkg"
    cli_store, cli_file = store.parent / "store.csv", store.parent / "file.csv"
    assert main(["export", "--events", str(store), "--region", "Kalbajar", "--format", "csv", "-o", str(cli_store)]) == 0
    assert main(["export", "--events", str(SOURCES[0]), "--region", "Kalbajar", "--format", "csv", "-o", str(cli_file)]) == 0
    in_first = filter_events(load_dataset(SOURCES[0]).events, spec, memory.regions)
    assert set(pd.read_csv(cli_file)["event_id"]) == set(in_first["event_id"]) <= set(pd.read_csv(cli_store)["event_id"])


def test_rejected_rows_and_manifest(built):
    store, result = built
    memory = _in_memory(SOURCES)
    pd.testing.assert_frame_equal(open_store(store).rejected(), memory.rejected.reset_index(drop=True), check_dtype=False)
    manifest = json.loads((store / MANIFEST).read_text())
    assert manifest["store_version"] == STORE_VERSION and manifest["builds"]
    assert manifest["geography"]["metric_crs"] == load_metadata()["metric_crs"] == "EPSG:32638"  # the CRS the join used
    for layer in ("regions", "border"):
        layer_file = geo_path(layer)
        assert manifest["geography"]["layers"][layer_file.name] == hashlib.sha256(layer_file.read_bytes()).hexdigest()
    for source, path in zip(manifest["sources"], SOURCES):
        data = path.read_bytes()
        assert (source["size"], source["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
        mine = memory.rejected[memory.rejected["file"] == path.name]
        assert source["rejected"] == mine.loc[mine["row"] >= 0, "row"].nunique() + int((mine["row"] < 0).sum())
        assert source["accepted"] == int(memory.events["event_id"].isin(load_dataset(path).events["event_id"]).sum()) - \
            int((mine["row"] < 0).sum())
    assert sum(s["accepted"] for s in manifest["sources"]) == len(memory.events) == sum(p["rows"] for p in manifest["parts"])
    for p in manifest["parts"]:
        dates = pd.read_parquet(store / f"year={p['year']}" / p["name"], columns=["event_date"])["event_date"]
        assert len(dates) == p["rows"] and set(dates.dt.year) == {p["year"]}
    part = pq.ParquetFile(store / f"year={manifest['parts'][0]['year']}" / manifest["parts"][0]["name"])
    geo = json.loads(part.schema_arrow.metadata[b"geo"])
    assert geo["version"] == "1.1.0" and geo["columns"]["geometry"]["encoding"] == "WKB"
    assert "covering" in geo["columns"]["geometry"] and "bbox" in part.schema_arrow.names


def test_second_build_is_a_no_op(built, cluster):
    store, _ = built
    before = {p: p.stat().st_mtime_ns for p in store.rglob("*")}
    again = _build(SOURCES, store, cluster)
    assert again.added == () and len(again.skipped) == len(SOURCES)
    assert {p: p.stat().st_mtime_ns for p in store.rglob("*")} == before


@pytest.mark.parametrize("bucket_events", [ids.BUCKET_EVENTS, 3], ids=["one bucket", "many buckets"])
def test_appended_source_with_clashing_and_repeated_ids(cluster, tmp_path, monkeypatch, bucket_events):
    monkeypatch.setattr(ids, "BUCKET_EVENTS", bucket_events)  # the client cuts the hash range
    base = (DATA / "events_valid.csv").read_text(encoding="utf-8").rstrip("\n").split("\n")
    repeated = tmp_path / "repeated.csv"  # its own row 2 twice again at the end: another chunk, both in one
    repeated.write_text("\n".join(base + [base[1], base[1]]) + "\n", encoding="utf-8")
    extra = tmp_path / "extra.csv"  # AZARM-0009 again, and one new id
    extra.write_text("\n".join([base[0], base[1], base[2].replace("AZARM-0011", "NEW-0001", 1)]) + "\n", encoding="utf-8")
    store = tmp_path / "store"
    _build([repeated], store, cluster)
    _build([extra], store, cluster)
    memory = _in_memory([repeated, extra])
    assert_geodataframe_equal(open_store(store).select(FilterSpec()), memory.events.reset_index(drop=True))
    pd.testing.assert_frame_equal(open_store(store).rejected(), memory.rejected.reset_index(drop=True), check_dtype=False)
    rejected = open_store(store).rejected()
    assert rejected["reason"].tolist().count("duplicate event_id (first used on row 2)") == 2
    assert "event_id already used in repeated.csv; not merged" in set(rejected["reason"])
    assert len(scan(repeated, int(CHUNK_MB * (1 << 20))).chunks) > 1
    for number, path in enumerate([repeated, extra]):  # each source's stored hashes: its ids', sorted, once each
        stored = np.load(store / "ids" / f"source-{number:04d}.npy")
        assert stored.tolist() == sorted(set(ids.id_hashes(load_dataset(path).events["event_id"]).tolist()))


def _damage(built, tmp_path, how) -> Path:
    store = tmp_path / "copy"
    shutil.copytree(built[0], store)
    manifest = json.loads((store / MANIFEST).read_text())
    part = store / f"year={manifest['parts'][0]['year']}" / manifest["parts"][0]["name"]
    if how == "truncated":
        part.write_bytes(part.read_bytes()[:-100])
    elif how == "foreign":
        pq.write_table(pa.table({"x": list(range(1000))}), part)
    elif how in ("newer", "older"):
        manifest["store_version"] = STORE_VERSION + (1 if how == "newer" else -1)
        (store / MANIFEST).write_text(json.dumps(manifest))
    elif how == "missing partition":
        shutil.rmtree(part.parent)
    return store


@pytest.mark.parametrize("how, message", [("truncated", "truncated or replaced"), ("foreign", "truncated or replaced"),
                                          ("newer", "newer mapdata"), ("older", "older mapdata"),
                                          ("missing partition", "is missing")])
def test_a_damaged_store_is_one_clear_error(built, tmp_path, capsys, how, message):
    store = _damage(built, tmp_path, how)
    with pytest.raises(StoreError, match=message):
        open_store(store)
    assert main(["export", "--events", str(store), "-o", str(tmp_path / "out.geojson")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mapdata: error: ") and message in err and "Traceback" not in err and err.count("\n") == 1


def test_a_folder_that_is_not_a_store(tmp_path, capsys):
    assert main(["export", "--events", str(tmp_path), "-o", str(tmp_path / "out.geojson")]) == 2
    assert "not a mapdata store" in capsys.readouterr().err


@pytest.fixture
def dask_processes(tmp_path):
    """A real ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1, ephemeral ports."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    address_file = tmp_path / "scheduler.json"
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    processes = [subprocess.Popen(dask + ["--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                          "--scheduler-file", str(address_file)], env=env, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.monotonic() + 60
        while not address_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        for _ in range(2):
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file", str(address_file), "--host", "127.0.0.1",
                 "--nthreads", "1", "--no-dashboard"], env=env, stderr=subprocess.DEVNULL))
        from distributed import Client

        address = json.loads(address_file.read_text())["address"]
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def test_a_build_on_a_two_worker_cluster_equals_the_local_build(built, dask_processes, tmp_path):
    remote = tmp_path / "remote"
    result = build_store(SOURCES, remote, scheduler=dask_processes, chunk_mb=CHUNK_MB)
    assert sum(s.accepted for s in result.added) == open_store(built[0]).events
    for spec in SPECS[:3]:
        assert_geodataframe_equal(open_store(remote).select(spec), open_store(built[0]).select(spec))
    assert export_bytes(open_store(remote).select(FilterSpec()), "csv", FilterSpec()) == \
        export_bytes(open_store(built[0]).select(FilterSpec()), "csv", FilterSpec())


def _app(store: Path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("MAPDATA_EVENTS", str(store))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    return at


def test_the_app_opens_a_store_given_as_its_events(built, monkeypatch):
    at = _app(built[0], monkeypatch)
    assert not at.exception
    assert int(at.metric[0].value.replace(",", "")) == open_store(built[0]).events


def test_the_app_explains_a_damaged_store(built, tmp_path, monkeypatch):
    at = _app(_damage(built, tmp_path, "newer"), monkeypatch)
    assert not at.exception
    assert "newer mapdata" in at.error[0].value


def test_validate_a_store_lists_what_validating_the_files_lists(built, capsys):
    assert main(["validate", "--all", str(built[0])]) == 0
    from_store = capsys.readouterr().out.splitlines()
    from_files = []
    for path in SOURCES:
        assert main(["validate", "--all", str(path)]) == 0
        from_files += capsys.readouterr().out.splitlines()
    flagged = list(dict.fromkeys(line for line in from_files if line.startswith("  ") and "reported" in line))
    assert flagged and [line for line in from_store if line.startswith("  ") and "reported" in line] == flagged
    rejected = [line for line in from_store if line.startswith("  row ")]
    assert len(rejected) == len(_in_memory(SOURCES).rejected)
    assert set(line for line in from_files if line.startswith("  row ")) <= set(rejected)
    assert f"{SOURCES[0].name}: {len(load_dataset(SOURCES[0]).events)} rows accepted, 0 rejected" in from_store[0]


def test_a_build_with_a_user_gazetteer_equals_the_in_memory_load(cluster, tmp_path):
    from mapdata.gazetteers import read_gazetteer

    source, places = DATA / "import_placenames.csv", DATA / "geo" / "gazetteer_small.csv"
    store = tmp_path / "store"
    _build([source], store, cluster, gazetteers=[places])
    memory = load_dataset(source, gazetteers=[read_gazetteer(places)])
    assert_geodataframe_equal(open_store(store).select(FilterSpec()), memory.events.reset_index(drop=True))
    pd.testing.assert_frame_equal(open_store(store).rejected(), memory.rejected.reset_index(drop=True), check_dtype=False)


def test_an_export_from_a_store_that_keeps_nothing_says_so(built, tmp_path, capsys):
    assert main(["export", "--events", str(built[0]), "--from", "1900-01-01", "--to", "1900-01-02",
                 "-o", str(tmp_path / "none.geojson")]) == 0
    err = capsys.readouterr().err
    assert "mapdata: warning: the filter" in err and "keeps none of the" in err and "wrote 0 of" in err
