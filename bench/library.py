"""Library-level benchmark: load+validate, join, filter, GeoJSON export, map build and payload,
ours and naive (one folium CircleMarker per event) side by side. Benchmarks, not tests.

    python bench/library.py --sizes 10000 100000 --runs 3
    python bench/library.py --sizes 1000000 --runs 1

Each run is a fresh interpreter (``--worker``), so peak memory (ru_maxrss) is per run and no
state carries over. Times are medians over the runs, and each run's figure of the 1M targets is
printed below the table. Each cold CLI export starts with an empty cache folder. The synthetic
files come from bench/generate.py (generated when missing).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import generate  # noqa: E402

NAIVE_TIMEOUT_S = 120
SPEC = dict(date_from=date(2021, 1, 1), date_to=date(2024, 12, 31), event_types=("Battles", "Explosions/Remote violence"))
"""A typical filter change: a date window and two event types."""


# --------------------------------------------------------------------------------------------
# worker: one run in a fresh interpreter


def worker(path: Path, naive: bool, skip_map: bool = False) -> dict:
    results: dict = {}
    if naive:
        return _naive(path, results)
    import mapdata
    from mapdata import FilterSpec, export_bytes, filter_events

    _warm_up()
    with common.timer(results, "load"):
        loaded = mapdata.load_events(path)
        events, rejected = loaded.events, loaded.rejected
    with common.timer(results, "join"):
        regions, border = mapdata.load_regions(), mapdata.load_border()
        joined = mapdata.join_regions(events, regions, border)
    with common.timer(results, "filter"):
        selected = filter_events(joined, FilterSpec(**SPEC), regions)
    with common.timer(results, "export"):
        kalbajar = filter_events(joined, FilterSpec(regions=("Kalbajar",)), regions)
        results["export_bytes"] = len(export_bytes(kalbajar, "geojson"))
    if not skip_map:
        with common.timer(results, "map_build"):
            results["payload"] = _payload(_our_groups(joined, regions, border))
        with common.timer(results, "map_update"):
            results["update_payload"] = _payload(_our_groups(selected, regions, border))
    results["rows"], results["rejected"] = len(joined), len(rejected)
    results["maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return results


def _warm_up() -> None:
    """Imports and template compilation happen once per server, not per map: keep them out of the timings."""
    import folium

    _payload([folium.FeatureGroup(name="warm-up")])


def _cached_load(path: Path) -> dict:
    """A second load of the same file in a fresh interpreter: load_dataset reads the Arrow cache."""
    import mapdata

    results: dict = {}
    with common.timer(results, "cached_load"):
        data = mapdata.load_dataset(path)
    results["rows"] = len(data.events)
    results["maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return results


def _our_groups(shown, regions, border) -> list:
    """The layers app.py's _draw_map sends on a rerun (shade by events, no heat map)."""
    from mapdata import layers, stats

    counts = stats.region_summary(shown, regions).set_index("region_id")["events"]
    return [layers.region_layer(regions, counts, "events"), layers.border_layer(border), layers.incident_layer(shown)]


def _payload(groups: list) -> int:
    """Bytes streamlit-folium sends for ``groups`` (its own JS generation, as st_folium does)."""
    import folium
    from streamlit_folium import _get_feature_group_string

    from mapdata import layers

    m = layers.base_map((44.0, 38.5, 47.5, 41.5))
    base = len(m.get_root().render().encode("utf-8"))
    script = "".join(_get_feature_group_string(g, m, i) for i, g in enumerate(groups))
    return base + len(script.encode("utf-8"))


def _naive(path: Path, results: dict) -> dict:
    """The naive map: pandas read, then one folium CircleMarker (popup + tooltip) per event."""
    import folium
    import pandas as pd

    from mapdata import layers

    frame = pd.read_csv(path)
    _warm_up()
    with common.timer(results, "map_build"):
        group = folium.FeatureGroup(name="Incidents")
        for row in frame.itertuples(index=False):
            folium.CircleMarker(
                [row.latitude, row.longitude], radius=5, color=layers.TYPE_COLOURS.get(row.event_type, "#777"),
                fill=True, popup=f"{row.event_id}<br>{row.event_type}<br>{row.location}", tooltip=row.event_id,
            ).add_to(group)
        results["payload"] = _payload([group])
    results["maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return results


# --------------------------------------------------------------------------------------------
# parent: runs, medians, the table


def cli_export(path: Path, cache_dir: Path) -> float:
    """`mapdata export --events big.csv --region Kalbajar --format geojson` end to end."""
    out = common.OUT / "export_kalbajar.geojson"
    start = time.perf_counter()
    subprocess.run(["mapdata", "export", "--events", str(path), "--region", "Kalbajar", "--format", "geojson", "-o", str(out)],
                   check=True, capture_output=True, cwd=common.ROOT, env={**os.environ, "MAPDATA_CACHE_DIR": str(cache_dir)})
    return time.perf_counter() - start


def measure(n: int, runs: int, naive_runs: int, skip_map: bool = False) -> dict:
    path = generate.ensure(n)
    extra = ["--skip-map"] if skip_map else []
    ours = [common.run_worker(Path(__file__), [str(path), *extra]) for _ in range(runs)]
    cache_dir = common.OUT / "cache"
    cold = []
    for _ in range(runs):  # no cache: parse, validate, join, write the Arrow copy
        shutil.rmtree(cache_dir, ignore_errors=True)
        cold.append(cli_export(path, cache_dir))
    warm = [cli_export(path, cache_dir) for _ in range(runs)]
    cached = [common.run_worker(Path(__file__), [str(path), "--cached"], env={"MAPDATA_CACHE_DIR": str(cache_dir)})
              for _ in range(runs)]
    naive = []
    for _ in range(naive_runs):
        result = common.run_worker(Path(__file__), [str(path), "--naive"], timeout=NAIVE_TIMEOUT_S)
        naive.append(result)
        if result is None:
            break
    row = {key: common.median([r.get(key) for r in ours]) for key in
           ("load", "join", "filter", "export", "export_bytes", "map_build", "payload", "map_update", "update_payload", "rows", "rejected", "maxrss")}
    row["load_join"] = common.median([r["load"] + r["join"] for r in ours])
    row["cli_cold"], row["cli_warm"] = common.median(cold), common.median(warm)
    row["cached_load"] = common.median([r["cached_load"] for r in cached])
    row["each_run"] = {"load+validate+join": [r["load"] + r["join"] for r in ours],
                       "second load (cache)": [r["cached_load"] for r in cached],
                       "CLI export, no cache": cold, "CLI export, cached": warm}
    row["cached_maxrss"] = max(r["maxrss"] for r in cached)
    row["runs"], row["n"] = runs, n
    done = [r for r in naive if r is not None]
    row["naive_runs"] = len(done)
    row["naive_map_build"] = common.median([r["map_build"] for r in done]) if done else None
    row["naive_payload"] = common.median([r["payload"] for r in done]) if done else None
    row["naive_timed_out"] = len(done) < len(naive)
    return row


def render(rows: list[dict]) -> str:
    header = ["events", "runs", "load+validate", "join", "load+validate+join", "second load (cache)", "filter", "GeoJSON export (Kalbajar)",
              "CLI export, no cache / cached",
              "map build (all)", "payload (all)", "map update (filter)", "payload (filter)", "peak RSS",
              "naive map build", "naive payload", "naive / ours (build)"]
    body = []
    for r in rows:
        if r["naive_map_build"] is not None:
            naive_build, ratio = common.seconds(r["naive_map_build"]), f"{r['naive_map_build'] / r['map_build']:.0f}×"
        else:
            naive_build, ratio = (f"> {NAIVE_TIMEOUT_S} s (stopped)" if r["naive_timed_out"] else "not run"), "–"
        body.append([f"{r['n']:,}", f"{r['runs']} (naive {r['naive_runs']})", common.seconds(r["load"]), common.seconds(r["join"]),
                     common.seconds(r["load_join"]), common.seconds(r["cached_load"]), common.seconds(r["filter"]), common.seconds(r["export"]),
                     f"{common.seconds(r['cli_cold'])} / {common.seconds(r['cli_warm'])}",
                     common.seconds(r["map_build"]), common.megabytes(r["payload"]), common.seconds(r["map_update"]),
                     common.megabytes(r["update_payload"]), f"{max(r['maxrss'], r['cached_maxrss']) / 2**30:.2f} GB",
                     naive_build, common.megabytes(r["naive_payload"]), ratio])
    lines = [common.table(header, body), "", "Each run (seconds, in order):"]
    for r in rows:
        for label, values in r["each_run"].items():
            lines.append(f"- {r['n']:,} {label}: " + ", ".join(f"{v:.2f}" for v in values))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="library-level benchmark (see module docstring)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("path", nargs="?", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--naive", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cached", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--skip-map", action="store_true", help="time load, join, filter and export only")
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--naive-runs", type=int, default=1, help="naive runs per size (each stops after 120 s)")
    parser.add_argument("--naive-max", type=int, default=100_000, help="largest size the naive map is tried at")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_cached_load(args.path) if args.cached else worker(args.path, args.naive, args.skip_map)))
        return
    rows = []
    for n in args.sizes:
        rows.append(measure(n, args.runs, args.naive_runs if n <= args.naive_max else 0, args.skip_map))
        print(f"measured {n:,}", file=sys.stderr)
    (common.OUT / "library.json").write_text(json.dumps(rows, indent=1))
    print(f"Machine: {common.machine()}")
    print(render(rows))


if __name__ == "__main__":
    main()
