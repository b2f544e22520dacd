"""Real-world files at scale: non-ISO dates against ISO dates, Windows-1252 against UTF-8.

    python bench/generate.py 1000000                   # bench/out/events_1000000.csv
    python bench/real_world.py --size 1000000 --runs 3

From the synthetic events file of that size it writes (to bench/out/, git-ignored) the same rows
with their dates as "13 September 2022", as "9-May-20" and as dd/mm/yyyy, and the same text as
UTF-8 and as Windows-1252 (each note ends in " – ‘synthetic’, café", so both have non-ASCII text;
characters Windows-1252 lacks become "?" in both, so the two hold the same text), then times ``load_events`` (geocoding off) on each, each run in a fresh interpreter, the variants in turn,
and prints a Markdown table with the median and the ratio to its baseline. Targets (issue 13):
non-ISO dates within 1.5x of ISO; Windows-1252 within 1.5x of its UTF-8 copy.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
_DATE_FORMS = {"13 September 2022": "%d %B %Y", "9-May-20": "%-d-%b-%y", "dd/mm/yyyy": "%d/%m/%Y"}
_TIMER = ("import sys, time; sys.path.insert(0, {src!r}); from mapdata.load import load_events; "
          "t = time.perf_counter(); loaded = load_events({path!r}, geocode=False); "
          "print(time.perf_counter() - t, len(loaded.events))")


def variants(size: int) -> dict[str, tuple[Path, str]]:
    """Write the variant files; return name → (path, name of its baseline)."""
    source = OUT / f"events_{size}.csv"
    if not source.is_file():
        sys.exit(f"{source} is missing: run python bench/generate.py {size}")
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    frame["notes"] = frame["notes"] + " – ‘synthetic’, café"  # text Windows-1252 writes in single bytes
    text = frame.to_csv(index=False).encode("cp1252", errors="replace").decode("cp1252")
    files = {"ISO dates, UTF-8": (OUT / f"rw_{size}_utf8.csv", "ISO dates, UTF-8")}
    files["ISO dates, UTF-8"][0].write_text(text, encoding="utf-8")
    cp1252 = OUT / f"rw_{size}_cp1252.csv"
    cp1252.write_bytes(text.encode("cp1252"))
    files["ISO dates, Windows-1252"] = (cp1252, "ISO dates, UTF-8")
    days = pd.to_datetime(frame["event_date"])
    for name, pattern in _DATE_FORMS.items():
        path = OUT / f"rw_{size}_{pattern.strip('%').replace('%', '').replace('/', '').replace('-', '')}.csv"
        frame.assign(event_date=days.dt.strftime(pattern)).to_csv(path, index=False)
        files[f"dates as {name}, UTF-8"] = (path, "ISO dates, UTF-8")
    return files


def time_once(path: Path) -> tuple[float, int]:
    """Seconds of ``load_events`` on ``path`` in a fresh interpreter, and the events accepted."""
    out = subprocess.run([sys.executable, "-c", _TIMER.format(src=str(ROOT / "src"), path=str(path))],
                         capture_output=True, text=True, check=True)
    taken, accepted = out.stdout.split()
    return float(taken), int(accepted)


def time_interleaved(files: dict[str, tuple[Path, str]], runs: int) -> dict[str, tuple[float, int]]:
    """Median seconds and events accepted per variant; the runs go round the variants in turn, so
    a busy spell of the machine falls on all of them rather than on one."""
    seconds: dict[str, list[float]] = {name: [] for name in files}
    accepted: dict[str, int] = {}
    for _ in range(runs):
        for name, (path, _) in files.items():
            taken, accepted[name] = time_once(path)
            seconds[name].append(taken)
    return {name: (statistics.median(seconds[name]), accepted[name]) for name in files}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    files = variants(args.size)
    timed = time_interleaved(files, args.runs)
    results = {name: (timed[name], base) for name, (_, base) in files.items()}
    print(f"| {args.size:,} rows | load_events (median of {args.runs}) | accepted | ratio to |")
    print("|---|--:|--:|---|")
    for name, ((seconds, accepted), base) in results.items():
        ratio = seconds / results[base][0][0]
        print(f"| {name} | {seconds:.2f} s | {accepted:,} | {ratio:.2f}× {base} |")


if __name__ == "__main__":
    main()
