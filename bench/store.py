"""The GeoParquet store at scale: build time and peak memory, a region export from the store, and
the same export from the CSV (same event ids?; files up to MAPDATA_MAX_ROWS, which the in-memory
path reads).

    python bench/generate.py 1000000                      # bench/out/events_1000000.csv, if absent
    python bench/store.py --sizes 1000000 --runs 3

Every command runs as it would for a user (``python -m mapdata ...`` in a fresh process). Peak
memory is the largest sum of the resident sets of the command's whole process tree (the build's
Dask scheduler, nannies and workers included), sampled every 50 ms. The store goes to
bench/out/store_<n>/ (git-ignored) and is rebuilt from scratch for each build run. The machine's
cores are shared with other work: each figure comes with the load average seen during its run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, ROOT, machine, median, seconds, table  # noqa: E402

sys.path.insert(0, str(ROOT / "src"))
from mapdata import config  # noqa: E402

REGION = "Kalbajar"


def measure(command: list[str], env: dict | None = None) -> dict:
    """Run ``command``; wall time, peak RSS of its process tree, load average, last stderr line."""
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    process = psutil.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env={**os.environ, **(env or {})})
    peak = 0
    while process.poll() is None:
        try:
            tree = [process] + process.children(recursive=True)
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    out, err = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{err[-3000:]}")
    lines = [line for line in err.splitlines() if line.startswith("chunks ")]
    return {"seconds": elapsed, "peak_rss": peak, "load": max(load_before, os.getloadavg()[0]),
            "progress": lines[-1] if lines else "", "stdout": out.strip()}


def mapdata(*args: str) -> list[str]:
    return [sys.executable, "-m", "mapdata", *args]


def ids(path: Path) -> set[str]:
    return {f["properties"]["event_id"] for f in json.loads(path.read_text())["features"]}


def bench(size: int, runs: int, chunk_mb: float) -> dict:
    source = OUT / f"events_{size}.csv"
    if not source.exists():
        raise SystemExit(f"{source} is missing: python bench/generate.py {size}")
    store = OUT / f"store_{size}"
    builds = []
    for _ in range(runs):
        shutil.rmtree(store, ignore_errors=True)
        builds.append(measure(mapdata("store", "build", str(source), "-o", str(store), "--chunk-mb", str(chunk_mb))))
    again = measure(mapdata("store", "build", str(source), "-o", str(store)))
    from_store = OUT / f"store_{size}_{REGION}.geojson"
    exports = [measure(mapdata("export", "--events", str(store), "--region", REGION, "-o", str(from_store)))
               for _ in range(runs)]
    from_csv = OUT / f"csv_{size}_{REGION}.geojson"
    csv = measure(mapdata("export", "--events", str(source), "--region", REGION, "-o", str(from_csv)),
                  env={"MAPDATA_CACHE_DIR": "off"}) if size <= config.get("MAX_ROWS") else None
    build_s = median([b["seconds"] for b in builds])
    return {
        "events": size, "source_bytes": source.stat().st_size, "chunk_mb": chunk_mb,
        "store_bytes": sum(p.stat().st_size for p in store.rglob("*") if p.is_file()),
        "parts": len(json.loads((store / "manifest.json").read_text())["parts"]),
        "build_s": [b["seconds"] for b in builds], "build_peak_rss": max(b["peak_rss"] for b in builds),
        "build_load": [b["load"] for b in builds], "build_progress": [b["progress"] for b in builds],
        "rows_per_s_per_core": size / build_s / os.cpu_count(),
        "chunk_rows_per_s_per_core": median([float(b["progress"].split(", ")[-1].split()[0].replace(",", ""))
                                             for b in builds]) / os.cpu_count(),
        "noop_build_s": again["seconds"],
        "export_s": [e["seconds"] for e in exports], "export_peak_rss": max(e["peak_rss"] for e in exports),
        "export_load": [e["load"] for e in exports], "export_message": exports[-1]["stdout"],
        "csv_export_s": csv and csv["seconds"], "csv_export_peak_rss": csv and csv["peak_rss"],
        "same_ids": csv and ids(from_store) == ids(from_csv), "region_events": len(ids(from_store)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chunk-mb", type=float, default=64)
    args = parser.parse_args()
    results = [bench(size, args.runs, args.chunk_mb) for size in args.sizes]
    (OUT / "store.json").write_text(json.dumps(results, indent=1))
    print(machine())
    gb = lambda v: f"{v / 1e9:.2f} GB"  # noqa: E731
    print(table(
        ["events", "CSV", "store", "parts", "build (median)", "build peak RSS", "rows/s per core: build / chunk phase", "no-op rebuild",
         f"export {REGION} from store", "export peak RSS", "same export from CSV (cold)", "same ids"],
        [[f"{r['events']:,}", gb(r["source_bytes"]), gb(r["store_bytes"]), str(r["parts"]), seconds(median(r["build_s"])),
          gb(r["build_peak_rss"]), f"{r['rows_per_s_per_core']:,.0f} / {r['chunk_rows_per_s_per_core']:,.0f}", seconds(r["noop_build_s"]),
          seconds(median(r["export_s"])), gb(r["export_peak_rss"]),
          f"{seconds(r['csv_export_s'])} / {gb(r['csv_export_peak_rss'])}" if r["csv_export_s"] else "not run (above MAPDATA_MAX_ROWS)",
          {True: "yes", False: "NO", None: "–"}[r["same_ids"]]]
         for r in results]))
    for r in results:
        print(f"{r['events']:,}: builds {', '.join(seconds(s) for s in r['build_s'])} (load {', '.join(f'{v:.1f}' for v in r['build_load'])}); "
              f"exports {', '.join(seconds(s) for s in r['export_s'])} (load {', '.join(f'{v:.1f}' for v in r['export_load'])}); "
              f"{r['build_progress'][-1]}")


if __name__ == "__main__":
    main()
