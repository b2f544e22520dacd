"""A store built from and into s3:// URLs, on a real S3 API server (moto) on 127.0.0.1, read with s3fs."""

from __future__ import annotations

import hashlib
import json

import numpy as np

import pytest
from geopandas.testing import assert_geodataframe_equal

from mapdata.cli import main
from mapdata.filters import FilterSpec, filter_events
from mapdata.store import build_store, ids, open_store
from mapdata.store.chunks import scan
from mapdata.store.location import locate

from conftest import DATA
from test_store import CHUNK_MB, _in_memory

pytest.importorskip("distributed")
pytest.importorskip("duckdb")
pytest.importorskip("s3fs")
moto_server = pytest.importorskip("moto.server")

SOURCES = [DATA / "events_valid.csv", DATA / "import_acled.csv", DATA / "import_ucdp_ged.csv"]
BUCKET = "mapdata-test"


@pytest.fixture(scope="module")
def s3():
    """A moto S3 server on an ephemeral port, reached through ``AWS_ENDPOINT_URL`` (the variable the
    README names), with the sources uploaded; the s3fs file system."""
    import fsspec

    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        fs = fsspec.filesystem("s3", skip_instance_cache=True)
        fs.mkdir(BUCKET)
        for source in SOURCES:
            fs.put_file(str(source), f"{BUCKET}/sources/{source.name}")
        yield fs
    server.stop()


@pytest.fixture(scope="module")
def cluster(s3):
    """A local Dask cluster started after the S3 variables are set, so its workers reach the server."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None) as local:
        yield local.scheduler_address


def _urls() -> list[str]:
    return [f"s3://{BUCKET}/sources/{s.name}" for s in SOURCES]


@pytest.fixture(scope="module")
def stores(s3, cluster, tmp_path_factory):
    """The same files built into an s3:// store (from s3:// sources) and into a local one (from file:// URLs)."""
    remote = f"s3://{BUCKET}/stores/events"
    built = build_store(_urls(), remote, scheduler=cluster, chunk_mb=CHUNK_MB)
    local = tmp_path_factory.mktemp("local") / "events"
    build_store([f"file://{s}" for s in SOURCES], f"file://{local}", scheduler=cluster, chunk_mb=CHUNK_MB)
    return remote, local, built


def test_an_s3_store_gives_the_in_memory_events_of_the_local_files(stores):
    remote, _, built = stores
    memory = _in_memory(SOURCES)
    store = open_store(remote)
    for spec in (FilterSpec(), FilterSpec(regions=("Kalbajar",)), FilterSpec(countries=("ARM",), min_fatalities=1)):
        expected = filter_events(memory.events, spec, memory.regions).reset_index(drop=True)
        assert_geodataframe_equal(store.select(spec), expected)
    assert len(store.rejected()) == len(memory.rejected) and built.events == len(memory.events)


def test_the_manifest_records_the_urls_with_the_files_size_and_hash(s3, stores):
    remote, local, _ = stores
    manifest = json.loads(s3.cat_file(f"{BUCKET}/stores/events/manifest.json"))
    assert [s["path"] for s in manifest["sources"]] == _urls()
    assert [(s["size"], s["sha256"]) for s in manifest["sources"]] == \
        [(p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest()) for p in SOURCES]
    assert [s["path"] for s in json.loads((local / "manifest.json").read_text())["sources"]] == [str(s) for s in SOURCES]
    assert not s3.exists(f"{BUCKET}/stores/events/_staging")
    chunks = [s["chunks"] for s in manifest["sources"]]  # cut as the local files are, read by byte ranges
    assert chunks == [len(scan(p, int(CHUNK_MB * (1 << 20))).chunks) for p in SOURCES] and chunks[0] > 1


@pytest.mark.parametrize("bucket_events", [ids.BUCKET_EVENTS, 3], ids=["one bucket", "many buckets"])
def test_an_appended_source_with_clashing_and_repeated_ids(s3, cluster, tmp_path, monkeypatch, bucket_events):
    """Parts that lose rows are rewritten in the bucket; the id hashes are read from it by range."""
    monkeypatch.setattr(ids, "BUCKET_EVENTS", bucket_events)  # the client cuts the hash range
    base = (DATA / "events_valid.csv").read_text(encoding="utf-8").rstrip("\n").split("\n")
    repeated = tmp_path / "repeated.csv"  # its row 2 twice again at the end, in another chunk
    repeated.write_text("\n".join(base + [base[1], base[1]]) + "\n", encoding="utf-8")
    extra = tmp_path / "extra.csv"  # AZARM-0009 again, and one new id
    extra.write_text("\n".join([base[0], base[1], base[2].replace("AZARM-0011", "NEW-0001", 1)]) + "\n", encoding="utf-8")
    store = f"s3://{BUCKET}/stores/appended-{bucket_events}"
    for path in (repeated, extra):
        s3.put_file(str(path), f"{BUCKET}/appended-{bucket_events}/{path.name}")
        build_store([f"s3://{BUCKET}/appended-{bucket_events}/{path.name}"], store, scheduler=cluster, chunk_mb=CHUNK_MB)
    memory = _in_memory([repeated, extra])
    assert_geodataframe_equal(open_store(store).select(FilterSpec()), memory.events.reset_index(drop=True))
    rejected = open_store(store).rejected()
    assert rejected["reason"].tolist().count("duplicate event_id (first used on row 2)") == 2
    assert "event_id already used in repeated.csv; not merged" in set(rejected["reason"])


@pytest.mark.parametrize("spread", ["uniform", "clustered"])
def test_a_range_of_a_remote_hash_file_is_the_local_files(s3, tmp_path, spread):
    """Ranged reads (edges near their expected positions, widened on a miss) give the memory-mapped slice."""
    rng = np.random.default_rng(7)
    hashes = rng.integers(0, 2**64, 50_000, dtype=np.uint64, endpoint=False)
    if spread == "clustered":  # far from uniform: every edge misses its first window
        hashes = hashes % np.uint64(1 << 40) + np.uint64(1 << 62)
    local = tmp_path / "chunk.npy"
    ids.write_chunk(locate(local), np.arange(len(hashes)), hashes)
    s3.put_file(str(local), f"{BUCKET}/hashes/{spread}.npy")
    edges = sorted({0, 1 << 62, (1 << 62) + (1 << 39), 1 << 63, *(int(v) for v in rng.integers(0, 2**63, 12)), 1 << 64})
    for low, high in zip(edges, edges[1:]):
        remote = ids._load_range(f"s3://{BUCKET}/hashes/{spread}.npy", low, high)
        assert np.array_equal(remote, ids._load_range(str(local), low, high))
    assert sum(len(ids._load_range(f"s3://{BUCKET}/hashes/{spread}.npy", lo, hi)) for lo, hi in zip(edges, edges[1:])) == 50_000


def test_a_store_missing_a_part_is_refused(s3, stores, capsys):
    s3.copy(f"{BUCKET}/stores/events", f"{BUCKET}/stores/damaged", recursive=True)
    part = json.loads(s3.cat_file(f"{BUCKET}/stores/damaged/manifest.json"))["parts"][0]
    s3.rm(f"{BUCKET}/stores/damaged/year={part['year']}/{part['name']}")
    assert main(["validate", f"s3://{BUCKET}/stores/damaged"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is missing; rebuild the store" in err[0], err


def _without_export_time(geojson: bytes) -> dict:
    """A GeoJSON export with its "generated" time (to the second) taken out."""
    collection = json.loads(geojson)
    assert collection["metadata"].pop("generated")
    return collection


def test_exports_from_the_s3_store_equal_those_from_the_local_store(stores, tmp_path):
    remote, local, _ = stores
    exported = {}
    for fmt in ("csv", "geojson"):
        for label, events in (("s3", remote), ("local", str(local))):
            out = tmp_path / f"{label}.{fmt}"
            assert main(["export", "--events", events, "--region", "Kalbajar", "--format", fmt, "-o", str(out)]) == 0
            exported[label, fmt] = out.read_bytes()
    assert exported["s3", "csv"] == exported["local", "csv"] and exported["s3", "csv"].count(b"\n") > 2
    s3_geojson = _without_export_time(exported["s3", "geojson"])
    assert s3_geojson == _without_export_time(exported["local", "geojson"]) and len(s3_geojson["features"]) > 1


def test_building_again_from_the_same_urls_changes_nothing(s3, stores, cluster, capsys):
    remote, _, _ = stores
    before = s3.cat_file(f"{BUCKET}/stores/events/manifest.json")
    assert main(["store", "build", *_urls(), "-o", remote, "--scheduler", cluster]) == 0
    assert capsys.readouterr().out.count("already in the store; skipped") == len(SOURCES)
    s3.invalidate_cache()
    assert s3.cat_file(f"{BUCKET}/stores/events/manifest.json") == before


@pytest.mark.parametrize("argv, message", [
    (["store", "build", f"s3://{BUCKET}/sources/events_valid.csv", "-o", "s3://no-such-bucket/store"],
     "cannot reach s3://no-such-bucket"),
    (["store", "build", "s3://no-such-bucket/events.csv", "-o", f"s3://{BUCKET}/stores/other"], "no such file"),
    (["export", "--events", "s3://no-such-bucket/store", "-o", "OUT"], "cannot reach s3://no-such-bucket"),
    (["export", "--events", f"s3://{BUCKET}/sources", "-o", "OUT"], "not a mapdata store"),
    (["export", "--events", "gs://bucket/store", "-o", "OUT"], "gs:// needs gcsfs: pip install gcsfs"),
], ids=["store-bucket", "source-bucket", "export-bucket", "not-a-store", "no-gcsfs"])
def test_a_bad_url_is_one_clear_error(s3, argv, message, tmp_path, capsys):
    argv = [str(tmp_path / "out.csv") if a == "OUT" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("mapdata: error: ") and message in err[0], err
