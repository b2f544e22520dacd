"""The same job done by ours and by two peers: one region of a large events CSV to GeoJSON, cold.

    python bench/generate.py 1000000 && python bench/generate.py --long-text 1000000
    python bench/peers.py --runs 3                       # both files; --files to choose

- **ours**: ``mapdata export --events FILE --region Kalbajar -o out.geojson`` with an empty cache
  folder (validation, geocoding, the spatial join with its nearest-region rule, border distances,
  metadata; a file over MAPDATA_STREAM_MB is streamed);
- **geopandas**: ``pandas.read_csv`` → points → ``geopandas.sjoin`` (within) with the region's
  polygon → ``to_file`` GeoJSON; no validation;
- **DuckDB + spatial**: ``read_csv`` → ``ST_Within(ST_Point(lon, lat), polygon)`` → ``COPY … TO``
  GeoJSON (GDAL). The project pins duckdb 2.0, for which no spatial extension can be had here
  (extensions.duckdb.org is not reachable; PyPI's ``duckdb-extension-spatial`` stops at 1.5.5), so
  this peer runs in its own virtual environment, bench/out/duckdb-venv (made on first use), with
  duckdb and duckdb-extension-spatial at the same version (requirements-bench.txt). The extension
  loads with unsigned extensions refused, i.e. it is DuckDB's signed build.

Each run is a fresh process started from here, the tools in turn, the order rotating from run to
run (a busy spell falls on all of them). Seconds are wall time from the process's start to its end
(Python's start-up and imports included for all three), with the CPU seconds (user + system, all
threads) beside them, which a busy machine inflates less; peak RSS is the process's maximum resident
set (``ru_maxrss`` of the waited child, read by a fresh measuring process). The
machine is shared: the load average is printed with every run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, ROOT, machine, median, seconds, table  # noqa: E402

REGION = "Kalbajar District"
CLI_REGION = "Kalbajar"
VENV = OUT / "duckdb-venv"
REQUIREMENTS = ROOT / "requirements-bench.txt"

GEOPANDAS = """
import sys
import geopandas as gpd
import pandas as pd
source, regions, out = sys.argv[1:4]
events = pd.read_csv(source)
points = gpd.GeoDataFrame(events, geometry=gpd.points_from_xy(events["longitude"], events["latitude"]), crs="EPSG:4326")
polygon = gpd.read_file(regions)
polygon = polygon.loc[polygon["name_en"] == sys.argv[4], ["geometry"]]
selected = gpd.sjoin(points, polygon, predicate="within").drop(columns="index_right")
selected.to_file(out, driver="GeoJSON")
print(len(selected))
"""

DUCKDB = """
import pathlib, sys
import duckdb
import duckdb_extension_spatial
source, regions, out, name = (a.replace("'", "''") for a in sys.argv[1:5])
extension = next(pathlib.Path(duckdb_extension_spatial.__file__).parent.glob("extensions/*/spatial.duckdb_extension"))
con = duckdb.connect()
con.execute(f"LOAD '{extension}'")
con.execute(f\"\"\"COPY (SELECT e.*, ST_Point(e.longitude, e.latitude) AS geom FROM read_csv('{source}') e,
    (SELECT geom AS polygon FROM ST_Read('{regions}') WHERE name_en = '{name}') r
    WHERE ST_Within(ST_Point(e.longitude, e.latitude), r.polygon)) TO '{out}' WITH (FORMAT GDAL, DRIVER 'GeoJSON')\"\"\")
print(con.sql(f"SELECT count(*) FROM ST_Read('{out}')").fetchone()[0])
"""

MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[2:], capture_output=True, text=True, env=None)
elapsed = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(repr((done.returncode, elapsed, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime, done.stdout[-200:], done.stderr[-2000:])))
"""


def duckdb_python() -> Path:
    """The DuckDB peer's interpreter: a virtual environment with duckdb and its spatial extension
    at one version (made once, under bench/out/, git-ignored)."""
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)], check=True)
    return python


def measure(command: list[str], env: dict) -> dict:
    """Run ``command`` in a fresh measuring process: wall seconds, peak RSS of the command, load."""
    load = os.getloadavg()[0]
    out = subprocess.run([sys.executable, "-c", MEASURE, "--", *command], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, **env})
    code, elapsed, peak, cpu, stdout, stderr = eval(out.stdout.strip().splitlines()[-1])  # noqa: S307 (our own repr)
    if code != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{stderr}")
    return {"seconds": elapsed, "peak_rss": peak, "cpu": cpu, "load": max(load, os.getloadavg()[0]), "stdout": stdout,
            "stderr": stderr}


def commands(source: Path, work: Path) -> dict[str, tuple[list[str], dict]]:
    regions = str(ROOT / "geo" / "regions.geojson")
    return {
        "ours": ([sys.executable, "-m", "mapdata", "export", "--events", str(source), "--region", CLI_REGION,
                  "-o", str(work / "ours.geojson")], {"MAPDATA_CACHE_DIR": str(work / "cache"), "PYTHONPATH": str(ROOT / "src")}),
        "geopandas": ([sys.executable, "-c", GEOPANDAS, str(source), regions, str(work / "geopandas.geojson"), REGION], {}),
        "duckdb+spatial": ([str(duckdb_python()), "-c", DUCKDB, str(source), regions, str(work / "duckdb.geojson"), REGION], {}),
    }


def count(tool: str, result: dict, work: Path) -> int:
    if tool == "ours":
        return len(json.loads((work / "ours.geojson").read_text(encoding="utf-8"))["features"])
    return int(result["stdout"].strip().splitlines()[-1])


def bench(source: Path, runs: int) -> dict:
    results: dict[str, list[dict]] = {}
    for run in range(runs):
        with tempfile.TemporaryDirectory(dir=OUT) as tmp:
            work = Path(tmp)
            tools = list(commands(source, work).items())
            shift = run % len(tools)
            for tool, (command, env) in tools[shift:] + tools[:shift]:
                (work / "cache").mkdir(exist_ok=True)
                result = measure(command, env)
                result["events"] = count(tool, result, work)
                results.setdefault(tool, []).append(result)
                print(f"  {source.name} run {run + 1} {tool}: {seconds(result['seconds'])}, "
                      f"{result['peak_rss'] / 1e9:.2f} GB, CPU {result['cpu']:.1f} s, load {result['load']:.1f}, {result['events']:,} events", flush=True)
    return {"file": source.name, "bytes": source.stat().st_size, "runs": runs, "results": results}


def report(benches: list[dict]) -> str:
    rows = []
    for b in benches:
        medians = {tool: median([r["seconds"] for r in rs]) for tool, rs in b["results"].items()}
        best = min((t for t in medians if t != "ours"), key=medians.get)
        for tool, rs in b["results"].items():
            rows.append([f"{b['file']} ({b['bytes'] / 1e6:.0f} MB)", tool, seconds(medians[tool]),
                         ", ".join(f"{r['seconds']:.2f}" for r in rs), seconds(median([r["cpu"] for r in rs])),
                         f"{max(r['peak_rss'] for r in rs) / 1e9:.2f} GB",
                         f"{rs[-1]['events']:,}", ", ".join(f"{r['load']:.1f}" for r in rs),
                         f"**{medians['ours'] / medians[best]:.2f}×** {best}" if tool == "ours" else ""])
    return table(["file", "tool", "median", "runs (s)", "CPU (user+sys, median)", "peak RSS (max)", "events out", "load average", "ours / best peer"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", nargs="+", type=Path,
                        default=[OUT / "events_1000000.csv", OUT / "events_1000000_long.csv"])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    missing = [str(f) for f in args.files if not f.exists()]
    if missing:
        raise SystemExit(f"missing: {', '.join(missing)} (python bench/generate.py [--long-text] 1000000)")
    benches = [bench(f, args.runs) for f in args.files]
    (OUT / "peers.json").write_text(json.dumps(benches, indent=1))
    print(machine())
    print(f"runs: {args.runs} per tool and file, order rotating; os.cpu_count() = {os.cpu_count()}")
    print(report(benches))


if __name__ == "__main__":
    main()
