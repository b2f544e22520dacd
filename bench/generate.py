"""Synthetic events over the real regions (geo/regions.geojson), for the benchmark only.

    python bench/generate.py 10000 100000 1000000      # writes bench/out/events_<n>.csv
    python bench/generate.py --long-text 1000000       # bench/out/events_<n>_long.csv: notes like real ones

Ids are ``SYN-<n>-<i>``; every row says it is synthetic in ``source`` and ``notes``. The files
go to bench/out/ (git-ignored), never into data/. The mix follows the embedded data, where
reference points repeat massively:

* 40 % precision 3 (region only): the region's reference point (about 90 distinct points);
* 35 % precision 2 (near a named place): one of 2,000 synthetic "places" inside the regions;
* 25 % precision 1 (exact): a distinct random point inside a region.

Rows average about 460 bytes (the embedded rows about 890: longer notes and sources). With
``--long-text`` every note is 3 to 9 sentences drawn from 5,000 made of random words (so the text
repeats far less), and rows average about 890 bytes, as the embedded ones do.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mapdata import schema  # noqa: E402
from mapdata.geo import load_regions  # noqa: E402

OUT = ROOT / "bench" / "out"
SEED = 20250101
_PLACES = 2_000
BLOCK = 1_000_000
_ACTORS = ("Military Forces of Azerbaijan", "Military Forces of Armenia", "State Border Service of Azerbaijan",
           "Civilians (Armenia)", "Civilians (Azerbaijan)", "Protesters (Armenia)", "")
_COUNTRY = {"AZE": "Azerbaijan", "ARM": "Armenia"}


_WORDS = ("shelling reported near the village positions forces border checkpoint artillery drone strike "
          "residents said according to ministry statement claimed denied civilians wounded killed houses "
          "damaged road bridge hill line contact sector morning evening overnight night local sources "
          "observers mission confirmed unconfirmed video footage published later earlier clashes fire "
          "small arms mortar rounds landed field school farm livestock power cut water supply repairs").split()
_SENTENCES = 5_000


def path_for(n: int, long_text: bool = False) -> Path:
    return OUT / (f"events_{n}_long.csv" if long_text else f"events_{n}.csv")


def _long_notes(rng: np.random.Generator, n: int) -> list[str]:
    """A note per event: 3 to 9 sentences from a pool of random-word sentences."""
    words = np.array(_WORDS, dtype=object)
    pool = [" ".join(words[rng.integers(0, len(words), size=rng.integers(6, 16))]).capitalize() + "."
            for _ in range(_SENTENCES)]
    pool = np.array(pool, dtype=object)
    counts = rng.integers(3, 10, size=n)
    picks = pool[rng.integers(0, _SENTENCES, size=int(counts.sum()))]
    ends = np.cumsum(counts)
    return ["SYNTHETIC. " + " ".join(picks[end - count:end]) for end, count in zip(ends, counts)]


def generate(n: int, seed: int = SEED, first: int = 1, total: int | None = None, long_text: bool = False) -> pd.DataFrame:
    """``n`` synthetic events in the mapdata schema (all columns as text, as in a CSV), numbered from
    ``first`` as part of a file of ``total`` events (default ``n``); ``long_text``: long, varied notes."""
    rng = np.random.default_rng(seed)
    regions = load_regions().reset_index(drop=True)
    precision = rng.choice([3, 2, 1], size=n, p=[0.40, 0.35, 0.25])
    region = rng.integers(0, len(regions), size=n)
    lon, lat = np.empty(n), np.empty(n)

    ref = shapely.point_on_surface(regions.geometry.to_numpy())
    p3 = precision == 3
    lon[p3], lat[p3] = shapely.get_x(ref)[region[p3]], shapely.get_y(ref)[region[p3]]

    place_region = rng.integers(0, len(regions), size=_PLACES)
    place_x, place_y = _inside(regions, place_region, rng)
    p2 = precision == 2
    pick = rng.integers(0, _PLACES, size=int(p2.sum()))
    lon[p2], lat[p2], region[p2] = place_x[pick], place_y[pick], place_region[pick]

    p1 = precision == 1
    lon[p1], lat[p1] = _inside(regions, region[p1], rng)

    iso = regions["country_iso3"].to_numpy()[region]
    flip = rng.random(n) < 0.02  # a few reported on the other side: country_mismatch rows
    country = np.where((iso == "AZE") ^ flip, "Azerbaijan", "Armenia")
    types = list(schema.EVENT_TYPES)
    type_idx = rng.choice(len(types), size=n, p=[0.45, 0.30, 0.08, 0.07, 0.03, 0.07])
    event_type = np.array(types, dtype=object)[type_idx]
    sub = np.array([schema.EVENT_TYPES[t][0] for t in types], dtype=object)[type_idx]
    days = rng.integers(0, 365 * 5, size=n)
    dates = (np.datetime64("2020-07-01") + days.astype("timedelta64[D]")).astype(str)
    fat = rng.geometric(0.35, size=n) - 1
    fatalities = np.where(rng.random(n) < 0.4, "", fat.astype(str))
    ids = np.char.add(f"SYN-{total or n}-", np.arange(first, first + n).astype(str))
    names = regions["name_en"].to_numpy()[region]
    actor1 = np.array(_ACTORS, dtype=object)[rng.integers(0, 3, size=n)]
    actor2 = np.array(_ACTORS, dtype=object)[rng.integers(0, len(_ACTORS), size=n)]
    return pd.DataFrame({
        "event_id": ids,
        "event_date": dates,
        "date_precision": np.array(["day", "week", "month"], dtype=object)[rng.choice(3, size=n, p=[0.8, 0.15, 0.05])],
        "event_type": event_type,
        "sub_event_type": sub,
        "actor1": actor1,
        "actor2": actor2,
        "country": country,
        "admin1": names,
        "location": np.char.add("Synthetic place near ", names.astype(str)),
        "latitude": np.round(lat, 5).astype(str),
        "longitude": np.round(lon, 5).astype(str),
        "geo_precision": precision.astype(str),
        "fatalities": fatalities,
        "fatalities_note": np.where(fatalities == "", "", "Synthetic figure for the benchmark."),
        "source": "Synthetic benchmark data (bench/generate.py)",
        "source_url": np.char.add("https://example.org/synthetic/", ids),
        "notes": _long_notes(rng, n) if long_text else "SYNTHETIC: generated for the performance benchmark; not a real incident.",
        "coord_source": np.where(p3, "region reference point (synthetic)", "synthetic point inside the region"),
    })


def _inside(regions, which: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One random point inside region ``which[i]`` for every i (rejection sampling in the bbox)."""
    geoms = regions.geometry.to_numpy()
    shapely.prepare(geoms)
    bounds = shapely.bounds(geoms)
    xs, ys = np.empty(len(which)), np.empty(len(which))
    todo = np.arange(len(which))
    while len(todo):
        b = bounds[which[todo]]
        x = rng.uniform(b[:, 0], b[:, 2])
        y = rng.uniform(b[:, 1], b[:, 3])
        ok = shapely.contains_xy(geoms[which[todo]], x, y) if len(todo) < 50 else _contains(geoms, which[todo], x, y)
        xs[todo[ok]], ys[todo[ok]] = x[ok], y[ok]
        todo = todo[~ok]
    return xs, ys


def _contains(geoms, which, x, y) -> np.ndarray:
    ok = np.zeros(len(which), dtype=bool)
    for r in np.unique(which):
        sel = which == r
        ok[sel] = shapely.contains_xy(geoms[r], x[sel], y[sel])
    return ok


def write(n: int, long_text: bool = False) -> Path:
    """Write the file; above :data:`BLOCK` events in blocks (each with its own seed), so memory
    stays that of one block (files up to one block are the same as before blocks existed)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = path_for(n, long_text)
    with pa.OSFile(str(path), "wb") as sink:
        writer = None
        for number, first in enumerate(range(1, n + 1, BLOCK)):
            frame = generate(min(BLOCK, n - first + 1), SEED + number, first, n, long_text)
            table = pa.Table.from_pandas(frame, preserve_index=False)
            writer = writer or pacsv.CSVWriter(sink, table.schema)
            writer.write_table(table)
        writer.close()
    return path


def ensure(n: int, long_text: bool = False) -> Path:
    """The synthetic file for ``n`` events, generated if missing."""
    path = path_for(n, long_text)
    return path if path.exists() else write(n, long_text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--long-text", action="store_true", help="long, varied notes (rows of ~890 bytes)")
    args = parser.parse_args()
    for n in args.sizes:
        path = write(n, args.long_text)
        print(f"{path}: {n:,} events, {path.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
