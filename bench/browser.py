"""Browser benchmark: `streamlit run` against a synthetic file, driven by Playwright in Debian's
Chromium: first page load until the map is drawn, and a filter change (Minimum fatalities) until
the map is drawn again; ours (serve.py, the README's command; ``--script app.py`` for Streamlit's
usual start) and naive (bench/naive_app.py) side by side.

    python bench/browser.py --sizes 10000 100000 --runs 3 --naive-max 10000
    python bench/browser.py --store --sizes 1000000 --runs 3     # the app on bench/out/store_<n>

With ``--store`` the app serves a GeoParquet store (``MAPDATA_EVENTS=bench/out/store_<n>``, built
with ``mapdata store build`` from the same CSV if absent; the naive app is not run): its headline,
timeline, region table and grid cells are DuckDB queries, single markers only below the store's
marker limit.

Page loads: the first page after the server started (its Python imports the libraries then), a
new visitor (a fresh browser context, empty cache, on the running server) and a reload of the
same page. "Drawn" = the moment the map iframe's Leaflet map first held the new markers (a fingerprint of its
layers, polled every 50 ms; for the WebGL point layer, its count once drawn), confirmed by the page script having finished and the fingerprint
staying the same for 300 ms afterwards (that confirmation wait is not counted). "After the
data" = from the arrival of the page load's largest websocket frame before the map is drawn (the map's data) to the map drawn. Each size starts a fresh
server; the library's Arrow cache is warmed first, so page load = a cached load + first render.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

import common  # noqa: E402
import generate  # noqa: E402
from devserver import StreamlitServer  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TIMEOUT_S = 180
_FINGERPRINT = """() => {
    const f = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
    const w = f && f.contentWindow;
    if (!w || !w.map) { return null; }
    if (w.webglPoints && w.webglPoints._map) { return w.webglPoints.drawn === undefined ? null : "gl:" + w.webglPoints.drawn; }
    let n = 0, s = 0;
    w.map.eachLayer((l) => { if (l._latlng) { n += 1; s += l._latlng.lat * (n % 7 + 1); } });
    return n ? n + ":" + s.toFixed(4) : null;
}"""


def wait_drawn(page, before: str | None, timeout_s: float = TIMEOUT_S) -> tuple[str, float] | None:
    """Wait until the map fingerprint differs from ``before``, the script is idle and the fingerprint
    has stayed the same for 300 ms; return it with the moment it first appeared (``perf_counter``):
    the map was drawn then, the wait afterwards only confirms that it stayed so."""
    deadline = time.monotonic() + timeout_s
    last, since, seen_at = None, time.monotonic(), time.perf_counter()
    while time.monotonic() < deadline:
        idle = page.query_selector('[data-testid="stApp"][data-test-script-state="notRunning"]') is not None
        try:
            now = page.evaluate(_FINGERPRINT)
        except Exception:  # noqa: BLE001 - iframe replaced while evaluating
            now = None
        if now != last:
            last, since, seen_at = now, time.monotonic(), time.perf_counter()
        elif idle and now is not None and now != before and time.monotonic() - since >= 0.3:
            return now, seen_at
        page.wait_for_timeout(50)
    return None


def measure(script: str, events: Path, runs: int, visitors: int | None = None) -> dict:
    from playwright.sync_api import sync_playwright

    server = StreamlitServer.start(script, events=events, log=common.OUT / f"streamlit_{Path(script).stem}.log")
    url = server.url
    sent = []
    result = {"page_load": [], "after_data": [], "filter": [], "bytes": [], "new_visitor": []}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1400})
            page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: sent.append((time.perf_counter(), len(payload)))))
            for run in range(runs):  # the first load is the first page after the server started
                sent.clear()
                start_t = time.perf_counter()
                page.goto(url)
                drawn = wait_drawn(page, None)
                result["page_load"].append(drawn[1] - start_t if drawn else None)
                before = [f for f in sent if drawn and f[0] <= drawn[1]]  # frames after the drawing (the table, the timeline) are not the map's
                result["after_data"].append(drawn[1] - max(before, key=lambda f: f[1])[0] if before else None)
                if drawn is None:
                    break
                fingerprint = drawn[0]
                for value in ("1", "0"):
                    box = page.get_by_role("spinbutton", name="Minimum fatalities").first
                    sent.clear()
                    start_t = time.perf_counter()
                    box.fill(value)
                    box.press("Enter")
                    drawn = wait_drawn(page, fingerprint)
                    result["filter"].append(drawn[1] - start_t if drawn else None)
                    result["bytes"].append(sum(size for _, size in sent))
                    if drawn is None:
                        break
                    fingerprint = drawn[0]
            for run in range(runs if visitors is None else visitors):  # a new visitor: a fresh browser context (empty cache) on the running server
                context = browser.new_context(viewport={"width": 1400, "height": 1400})
                visitor = context.new_page()
                start_t = time.perf_counter()
                visitor.goto(url)
                drawn = wait_drawn(visitor, None)
                result["new_visitor"].append(drawn[1] - start_t if drawn else None)
                context.close()
            browser.close()
    finally:
        server.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="browser benchmark (see module docstring)")
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--naive-max", type=int, default=10_000)
    parser.add_argument("--script", default="serve.py", help="ours: serve.py (the README's command) or app.py")
    parser.add_argument("--store", action="store_true", help="serve bench/out/store_<n> instead of the CSV (see above)")
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        path = _store(n) if args.store else generate.ensure(n)
        if not args.store:
            subprocess.run([sys.executable, "-c", f"import mapdata; mapdata.load_dataset({str(path)!r})"], check=True, cwd=common.ROOT)
        ours = measure(args.script, path, args.runs)
        naive = measure("bench/naive_app.py", path, 1, visitors=0) if n <= args.naive_max and not args.store else None
        rows.append({"n": n, "ours": ours, "naive": naive})
        print(f"measured {n:,}: {json.dumps(ours)}", file=sys.stderr)
    (common.OUT / "browser.json").write_text(json.dumps(rows, indent=1))
    print(f"Machine: {common.machine()} · ours: streamlit run {args.script}" + (" on a store" if args.store else ""))
    body = []
    for r in rows:
        o, nv = r["ours"], r["naive"]
        load_o, filt_o = common.median(o["page_load"]), common.median(o["filter"])
        load_n = common.median(nv["page_load"]) if nv else None
        filt_n = common.median(nv["filter"]) if nv else None
        body.append([f"{r['n']:,}", f"{len(o['page_load'])} loads, {len(o['new_visitor'])} new visitors, "
                     f"{len(o['filter'])} filter changes" + (" (naive 1 load)" if nv else ""),
                     common.seconds(o["page_load"][0]), common.seconds(common.median(o["after_data"])),
                     common.seconds(common.median(o["new_visitor"])),
                     common.seconds(common.median(o["page_load"][1:])),
                     common.seconds(filt_o), common.megabytes(common.median(o["bytes"])),
                     (common.seconds(load_n) if load_n else f"> {TIMEOUT_S} s (not drawn)") if nv else "not run",
                     (common.seconds(filt_n) if filt_n else "–") if nv else "not run",
                     common.megabytes(common.median(nv["bytes"])) if nv else "–",
                     f"{load_n / load_o:.1f}× / {filt_n / filt_o:.1f}×" if nv and load_n and filt_n
                     else (f"> {TIMEOUT_S / load_o:.0f}× (load)" if nv else "–")])
    print(common.table(["events", "runs", "first page after server start → map drawn",
                        "largest websocket frame (the map's data) received → map drawn", "new visitor → map drawn",
                        "reload → map drawn", "filter change → map drawn", "bytes per update (websocket)",
                        "naive page load", "naive filter change", "naive bytes per update", "naive / ours (load / filter)"], body))


def _store(n: int) -> Path:
    """bench/out/store_<n>, built from the bench's CSV of ``n`` events when absent."""
    store = common.OUT / f"store_{n}"
    if not (store / "manifest.json").exists():
        subprocess.run([sys.executable, "-m", "mapdata", "store", "build", str(generate.ensure(n)), "-o", str(store)],
                       check=True, cwd=common.ROOT)
    return store


if __name__ == "__main__":
    main()
