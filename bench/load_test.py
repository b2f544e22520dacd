"""Bounded load test: N concurrent sessions change filters on a local server.

    python bench/load_test.py                                   # 12 protocol sessions, 60 s
    python bench/load_test.py --sessions 20 --seconds 60
    python bench/load_test.py --client browser --sessions 3     # headless Chromium contexts

Starts its own ``streamlit run app.py`` on 127.0.0.1 (a free port, the embedded data: MAPDATA_EVENTS
is removed from the environment, ``--server.fileWatcherType none``), warms it with one page load
(not measured), then runs ``--sessions`` sessions. Two kinds of client:

- ``protocol`` (default): each session is a websocket client (``st_protocol.py``) that sends the
  same protobuf messages as Streamlit's web frontend (page loads with a query string, widget
  values, page switches, button clicks) and reads the server's replies. No rendering, so the
  machine's CPU goes to the server: this measures what N visitors cost the server. It does not
  send the one extra run the map component asks for after drawing in a real browser.
- ``browser``: ONE headless Chromium with one context per session. On this 2-core machine
  Chromium needs 2–2.5 CPU-s per rerun, so more than a few sessions measure the browsers.

Until the deadline (``--seconds``, at most 60) every session repeats, after a short think time
(0.5–1.5 s), one of these actions (sessions start one after another over ``--ramp`` seconds; each
one's first page load, ``open``, is measured too):

- ``goto``: open a link with a random filter from a fixed list on a random page (Map, Timeline,
  Regions, Data & export) — a pasted/shared link, so a new page load and a new Streamlit session;
- ``fat_min``: type another value into the sidebar's "Minimum fatalities" and press Enter;
- ``type``: add an event type in the sidebar's "Event types" multiselect;
- ``page``: switch page with the sidebar's page links (the filter must survive);
- ``reset``: press "Reset filters".

Response time = from the start of the action until the page script has finished a run that began
after the action and the headline's "Events" metric shows the count that ``mapdata.filter_events``
gives for the filter the session should now have (computed up front from ``mapdata.load_dataset()``).
Errors: ``wrong value`` (settled on another count), ``exception`` (a Streamlit exception box),
``timeout`` (not done within 10 s), ``ui`` (a widget could not be used). After an error the
session re-syncs with an unmeasured page load. An action still running at the deadline is cut off
and neither counted nor an error.

Browser clients contact only 127.0.0.1: Chromium gets a proxy at 127.0.0.1:9 (nothing listens
there) that everything except 127.0.0.1/localhost must go through, and a host-resolver rule that
resolves no other name; every request the pages try to send elsewhere is counted (must be 0).
Playwright routing is not used because it switches Chromium's HTTP cache off, which would turn
every page load into a full download of Streamlit's JavaScript, unlike a real browser.

Prints sessions, duration, actions, errors by kind, p50/p95/max (overall and per action), actions/s,
CPU count, the server's peak RSS and where the CPU time went (server, Chromium + Playwright driver,
this script, everything else on the machine). Exit code 1 when there were errors or p95 > 3 s (or
external requests); the server's process group is killed on every exit path, Ctrl-C included.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import random
import re
import signal
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "src"))

from mapdata import FilterSpec, filter_events, load_dataset  # noqa: E402

sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]
import st_protocol  # noqa: E402
import websockets  # noqa: E402
from devserver import StreamlitServer  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"]
DEAD_PROXY = {"server": "http://127.0.0.1:9", "bypass": "127.0.0.1,localhost"}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
VIEWPORT = {"width": 1280, "height": 900}  # wide enough for an expanded sidebar
MAX_SECONDS = 60
ACTION_TIMEOUT_S = 10.0
TARGET_P95_S = 3.0
POLL_MS = 50

PAGES = {"/": "Map", "/Timeline": "Timeline", "/Regions": "Regions", "/Data_and_export": "Data & export"}
FILTERS = [  # URL queries in FilterSpec.to_query's format
    {},
    {"type": ["Battles"]},
    {"type": ["Strategic developments"]},
    {"type": ["Explosions/Remote violence", "Battles"]},
    {"region": ["Kalbajar District"]},
    {"region": ["Syunik"]},
    {"region": ["Gegharkunik", "Lachin District"]},
    {"from": ["2020-09-27"], "to": ["2020-11-10"]},
    {"from": ["2021-01-01"], "to": ["2022-12-31"]},
    {"from": ["2023-01-01"], "to": ["2025-08-08"]},
    {"fat_min": ["1"]},
    {"fat_min": ["5"]},
    {"type": ["Battles"], "region": ["Kalbajar District"], "from": ["2021-01-01"], "to": ["2022-12-31"], "fat_min": ["1"]},
    {"type": ["Battles", "Explosions/Remote violence"], "region": ["Syunik"], "fat_min": ["1"]},
]
FAT_MIN_VALUES = (0, 1, 2, 5, 10)
TYPES = ("Battles", "Strategic developments", "Explosions/Remote violence", "Protests")
ACTIONS = (("open", 0), ("goto", 35), ("fat_min", 20), ("type", 15), ("page", 20), ("reset", 10))

INIT_JS = """(() => {
    window.__lt = {started: 0, finished: 0, last: 'nothing yet'};
    new MutationObserver((mutations) => {
        for (const m of mutations) {
            const state = m.target.getAttribute('data-test-script-state');
            if (state === 'running') { window.__lt.started += 1; }
            else if (state === 'notRunning') { window.__lt.finished += 1; }
        }
    }).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-test-script-state']});
})();"""

DONE_JS = """([expected, before]) => {
    const lt = window.__lt;
    if (!lt) { return false; }
    if (document.querySelector('[data-testid="stException"]')) { lt.last = 'exception'; return 'exception'; }
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || lt.finished <= before || app.getAttribute('data-test-script-state') !== 'notRunning') {
        lt.last = 'script not finished'; return false;
    }
    for (const metric of document.querySelectorAll('[data-testid="stMetric"]')) {
        const label = metric.querySelector('[data-testid="stMetricLabel"]');
        if (label && label.innerText.trim() === 'Events') {
            const value = metric.querySelector('[data-testid="stMetricValue"]');
            const text = value ? value.innerText.trim() : '';
            if (text === expected) { return 'ok'; }
            lt.last = 'settled on ' + text; return false;
        }
    }
    lt.last = 'no Events metric'; return false;
}"""


# --------------------------------------------------------------------------------------------
# the server and /proc


def server_pids(server: StreamlitServer) -> list[int]:
    """The processes of the server's process group."""
    return [pid for pid, info in _proc_table().items() if info["pgid"] == server.pgid]


def _proc_table() -> dict[int, dict]:
    """pid → ppid, pgid, CPU ticks (utime + stime) of every process we may read."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rfind(")") + 2:].split()
        table[int(entry)] = {"ppid": int(fields[1]), "pgid": int(fields[2]), "ticks": int(fields[11]) + int(fields[12])}
    return table


def _descendants(root: int, table: dict[int, dict]) -> set[int]:
    children = defaultdict(list)
    for pid, info in table.items():
        children[info["ppid"]].append(pid)
    found, stack = set(), [root]
    while stack:
        for child in children[stack.pop()]:
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _machine_busy_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values[:8]) - idle, sum(values[:8])


@dataclasses.dataclass
class CpuSnapshot:
    at: float
    server: dict[int, int]
    browser: dict[int, int]
    machine: tuple[int, int]

    @classmethod
    def take(cls, server: StreamlitServer) -> "CpuSnapshot":
        table = _proc_table()
        ours = _descendants(os.getpid(), table)
        srv = {pid: info["ticks"] for pid, info in table.items() if info["pgid"] == server.pgid}
        brw = {pid: table[pid]["ticks"] for pid in ours if pid in table and table[pid]["pgid"] != server.pgid}
        return cls(time.monotonic(), srv, brw, _machine_busy_ticks())


def cpu_split(start: CpuSnapshot, end: CpuSnapshot) -> dict[str, float]:
    """CPU seconds of the server, of Chromium + the Playwright driver, and of the rest of the machine."""
    hz = os.sysconf("SC_CLK_TCK")
    server = sum(t - start.server.get(pid, 0) for pid, t in end.server.items()) / hz
    browser = sum(t - start.browser.get(pid, 0) for pid, t in end.browser.items()) / hz
    busy = (end.machine[0] - start.machine[0]) / hz
    harness = (time.process_time() - _HARNESS_CPU_AT_START) if _HARNESS_CPU_AT_START is not None else 0.0
    return {"server": server, "browser": browser, "harness": harness,
            "other": max(0.0, busy - server - browser - harness), "busy": busy,
            "capacity": (end.at - start.at) * (os.cpu_count() or 1)}


_HARNESS_CPU_AT_START: float | None = None


# --------------------------------------------------------------------------------------------
# expected counts


class Expected:
    """The Events count the library gives for a spec (cached per spec)."""

    def __init__(self) -> None:
        self.data = load_dataset()
        self._cache: dict[FilterSpec, int] = {}

    def count(self, spec: FilterSpec) -> int:
        if spec not in self._cache:
            self._cache[spec] = len(filter_events(self.data.events, spec, self.data.regions))
        return self._cache[spec]

    def text(self, spec: FilterSpec) -> str:
        return f"{self.count(spec):,}"


# --------------------------------------------------------------------------------------------
# sessions


@dataclasses.dataclass
class Result:
    kind: str
    seconds: float
    error: str | None = None
    detail: str = ""


@dataclasses.dataclass
class Totals:
    results: list[Result] = dataclasses.field(default_factory=list)
    cut_off: int = 0
    recoveries: int = 0
    external: list[str] = dataclasses.field(default_factory=list)


class Session:
    def __init__(self, number: int, browser, base: str, expected: Expected, totals: Totals, deadline: float,
                 think: tuple[float, float], rng: random.Random, ramp: float = 0.0) -> None:
        self.number, self.browser, self.base, self.expected = number, browser, base, expected
        self.totals, self.deadline, self.think, self.rng, self.ramp = totals, deadline, think, rng, ramp
        self.spec = FilterSpec()
        self.path = "/"
        self.page = None
        self.stage = "interact"

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    async def run(self) -> None:
        context = await self.browser.new_context(viewport=VIEWPORT)
        try:
            await context.add_init_script(script=INIT_JS)

            def note(request) -> None:
                host = urlsplit(request.url).hostname or ""
                if urlsplit(request.url).scheme in ("http", "https", "ws", "wss") and host not in LOCAL_HOSTS:
                    self.totals.external.append(request.url)

            context.on("request", note)
            self.page = await context.new_page()
            self.page.on("websocket", lambda ws: note(ws))
            await self.actions()
        finally:
            try:
                await asyncio.wait_for(context.close(), 15)
            except Exception:  # noqa: BLE001 - teardown: the browser is closed anyway
                pass

    async def actions(self) -> None:
        """After the ramp-up delay: ``open`` (the first page load is measured too), then random
        actions separated by think times until the deadline."""
        await asyncio.sleep(min(self.ramp, max(0.0, self.remaining())))
        await self.act("open")
        while self.remaining() > 0:
            pause = self.rng.uniform(*self.think)
            if pause >= self.remaining():
                break
            await asyncio.sleep(pause)
            await self.act(self.pick())

    def pick(self) -> str:
        names, weights = zip(*(a for a in ACTIONS if a[1] > 0))
        kind = self.rng.choices(names, weights)[0]
        if kind == "type" and len(self.spec.event_types) >= 2:
            kind = "reset"
        return kind

    async def act(self, kind: str) -> None:
        budget = min(ACTION_TIMEOUT_S, self.remaining())
        if budget <= 0:
            return
        started = time.monotonic()
        self.stage, before = "interact", 0
        spec, path, step = self.plan(kind)
        try:
            if kind not in ("goto", "open"):
                before = await asyncio.wait_for(
                    self.page.evaluate("() => window.__lt ? window.__lt.finished : 0"), budget)
            await asyncio.wait_for(self.perform(kind, step, spec, before), budget)
        except (asyncio.TimeoutError, TimeoutError, _PlaywrightTimeout):
            if budget < ACTION_TIMEOUT_S:  # the deadline cut it off
                self.totals.cut_off += 1
                return
            if self.stage == "interact":
                error, detail = "ui", f"the {kind} widget could not be used within {budget:.0f} s"
            else:
                detail = await self._last_state()
                error = "wrong value" if detail.startswith("settled on") else "timeout"
            self.totals.results.append(Result(kind, time.monotonic() - started, error, detail))
            await self.recover(spec if error == "timeout" else None, path, before)
            return
        except _StepError as exc:
            self.totals.results.append(Result(kind, time.monotonic() - started, exc.kind, str(exc)))
            await self.recover()
            return
        except _PlaywrightError as exc:
            if self.remaining() <= 0:
                self.totals.cut_off += 1
                return
            self.totals.results.append(Result(kind, time.monotonic() - started, "ui", str(exc).splitlines()[0]))
            await self.recover()
            return
        self.totals.results.append(Result(kind, time.monotonic() - started))
        self.spec, self.path = spec, path

    def plan(self, kind: str):
        """(spec afterwards, page path afterwards, what to do)."""
        if kind in ("goto", "open"):
            query = self.rng.choice(FILTERS)
            path = self.rng.choice(list(PAGES))
            return FilterSpec.from_query(query), path, f"{self.base}{path}" + (f"?{urlencode(query, doseq=True)}" if query else "")
        if kind == "fat_min":
            current = self.spec.min_fatalities or 0
            value = self.rng.choice([v for v in FAT_MIN_VALUES if v != current])
            return dataclasses.replace(self.spec, min_fatalities=value or None), self.path, value
        if kind == "type":
            choice = self.rng.choice([t for t in TYPES if t not in self.spec.event_types])
            return dataclasses.replace(self.spec, event_types=self.spec.event_types + (choice,)), self.path, choice
        if kind == "page":
            path = self.rng.choice([p for p in PAGES if p != self.path])
            return self.spec, path, PAGES[path]
        if kind == "reset":
            return FilterSpec(), self.path, None
        raise ValueError(kind)

    async def perform(self, kind: str, step, spec: FilterSpec, before: int) -> None:
        page = self.page
        self.stage = "interact"
        sidebar = page.locator('[data-testid="stSidebar"]')
        if kind in ("goto", "open"):
            await page.goto(step, wait_until="commit")
        elif kind == "fat_min":
            box = sidebar.locator('[data-testid="stNumberInput"]').filter(has_text="Minimum fatalities").locator("input")
            await box.fill(str(step))
            await box.press("Enter")
        elif kind == "type":
            box = sidebar.locator('input[role="combobox"][aria-label="Event types"]')
            await box.click()
            await box.press_sequentially(step)
            await page.get_by_role("option").filter(has_text=re.compile(rf"^\s*{re.escape(step)}\s*$")).click()
            await page.keyboard.press("Escape")
        elif kind == "page":
            await sidebar.locator('[data-testid="stPageLink-NavLink"]').filter(
                has_text=re.compile(rf"{re.escape(step)}\s*$")).click()  # the text starts with the icon's name
        elif kind == "reset":
            await sidebar.get_by_role("button", name="Reset filters").click()
        self.stage = "wait"
        outcome = await (await page.wait_for_function(
            DONE_JS, arg=[self.expected.text(spec), before], polling=POLL_MS, timeout=0)).json_value()
        if outcome == "exception":
            raise _StepError("exception", "a Streamlit exception box is shown")

    async def _last_state(self) -> str:
        try:
            return await asyncio.wait_for(self.page.evaluate("() => window.__lt ? window.__lt.last : 'no page'"), 3)
        except Exception:  # noqa: BLE001
            return "unknown"

    async def recover(self, planned: FilterSpec | None = None, path: str = "/", before: int = 0) -> None:
        """Back to a known state, unmeasured and bounded (20 s): first let the late run finish (a slow
        action is not repeated, which would only add load); if it does not, reload the Map page."""
        self.totals.recoveries += 1
        if planned is not None:
            try:
                budget = min(ACTION_TIMEOUT_S * 2, self.remaining())
                if budget > 0:
                    await self.page.wait_for_function(DONE_JS, arg=[self.expected.text(planned), before], polling=200,
                                                      timeout=budget * 1000)
                    self.spec, self.path = planned, path
                    return
            except Exception:  # noqa: BLE001 - reload below
                pass
        self.spec, self.path = FilterSpec(), "/"
        budget = min(ACTION_TIMEOUT_S * 2, self.remaining())
        if budget <= 0:
            return
        try:
            await self.page.goto(self.base + "/", wait_until="commit", timeout=budget * 1000)
            await self.page.wait_for_function(DONE_JS, arg=[self.expected.text(FilterSpec()), 0], polling=200,
                                              timeout=max(1.0, min(budget, self.remaining())) * 1000)
        except Exception:  # noqa: BLE001 - the next action will show whether the session is usable
            pass


class ProtocolSession(Session):
    """The same actions as :class:`Session`, sent over Streamlit's websocket protocol without a
    browser (``st_protocol.Client``): what the server does for N visitors, without N renderers
    competing for the same cores. Each ``open``/``goto`` is a new connection, i.e. a new session."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.client: st_protocol.Client | None = None

    async def run(self) -> None:
        try:
            await self.actions()
        finally:
            if self.client is not None:
                await self.client.close()

    async def act(self, kind: str) -> None:
        budget = min(ACTION_TIMEOUT_S, self.remaining())
        if budget <= 0:
            return
        started = time.monotonic()
        spec, path, step = self.plan(kind)
        try:
            run = await asyncio.wait_for(self.perform(kind, step, spec, 0), budget)
        except (asyncio.TimeoutError, TimeoutError):
            if budget < ACTION_TIMEOUT_S:
                self.totals.cut_off += 1
                return
            self.totals.results.append(Result(kind, time.monotonic() - started, "timeout", "no end of run within 10 s"))
            await self.recover()
            return
        except (OSError, websockets.WebSocketException, KeyError) as exc:
            if self.remaining() <= 0:
                self.totals.cut_off += 1
                return
            self.totals.results.append(Result(kind, time.monotonic() - started, "ui", f"{type(exc).__name__}: {exc}"))
            await self.recover()
            return
        elapsed = time.monotonic() - started
        if run.exceptions:
            self.totals.results.append(Result(kind, elapsed, "exception", run.exceptions[0][:160]))
            await self.recover()
        elif run.metrics.get("Events") != self.expected.text(spec):
            self.totals.results.append(Result(kind, elapsed, "wrong value", f"settled on {run.metrics.get('Events')}"))
            await self.recover()
        else:
            self.totals.results.append(Result(kind, elapsed))
            self.spec, self.path = spec, path

    async def perform(self, kind: str, step, spec: FilterSpec, before: int) -> "st_protocol.Run":
        if kind in ("goto", "open"):
            if self.client is not None:
                await self.client.close()
            self.client = st_protocol.Client(self.base)
            await self.client.connect()
            parts = urlsplit(step)
            return await self.client.rerun(query_string=parts.query, page=parts.path.strip("/"), timeout=ACTION_TIMEOUT_S)
        client = self.client
        if kind == "fat_min":
            return await client.rerun(widgets=[st_protocol.number(client.widgets["Minimum fatalities"], int(step))],
                                      timeout=ACTION_TIMEOUT_S)
        if kind == "type":
            chosen = list(self.spec.event_types) + [step]
            return await client.rerun(widgets=[st_protocol.choices(client.widgets["Event types"], chosen)],
                                      timeout=ACTION_TIMEOUT_S)
        if kind == "page":  # the browser drops the query string on a page switch; the app restores it
            return await client.rerun(query_string="", page=self.path_name(step), timeout=ACTION_TIMEOUT_S)
        if kind == "reset":
            return await client.rerun(widgets=[st_protocol.click(client.widgets["Reset filters"])], timeout=ACTION_TIMEOUT_S)
        raise ValueError(kind)

    @staticmethod
    def path_name(title: str) -> str:
        return next(path for path, name in PAGES.items() if name == title).strip("/")

    async def recover(self, planned: FilterSpec | None = None, path: str = "/", before: int = 0) -> None:
        """A new session on the Map page, unmeasured (as after a reload)."""
        self.totals.recoveries += 1
        self.spec, self.path = FilterSpec(), "/"
        try:
            if self.client is not None:
                await self.client.close()
            self.client = st_protocol.Client(self.base)
            await self.client.connect()
            await self.client.rerun(query_string="", page="", timeout=max(1.0, min(ACTION_TIMEOUT_S * 2, self.remaining())))
        except Exception:  # noqa: BLE001 - the next action will show whether the session is usable
            pass


class _StepError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


try:
    from playwright.async_api import Error as _PlaywrightError
    from playwright.async_api import TimeoutError as _PlaywrightTimeout
    from playwright.async_api import async_playwright
except ImportError:  # pragma: no cover
    sys.exit("Playwright is not installed (pip install playwright; Chromium at /usr/bin/chromium)")


# --------------------------------------------------------------------------------------------
# the run


async def load(server: StreamlitServer, args, expected: Expected) -> dict:
    if args.client == "protocol":
        warm = st_protocol.Client(server.url)  # warm-up (not measured): the first run loads the events once
        await warm.connect()
        await warm.rerun(query_string="", page="", timeout=120)
        await warm.close()
        return await measure(server, args, expected, ProtocolSession, None)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True, proxy=DEAD_PROXY)
        try:
            warm = await browser.new_context(viewport=VIEWPORT)
            await warm.add_init_script(script=INIT_JS)
            page = await warm.new_page()
            await page.goto(server.url + "/", wait_until="commit", timeout=120_000)
            await page.wait_for_function(DONE_JS, arg=[expected.text(FilterSpec()), 0], polling=200, timeout=120_000)
            await warm.close()
            return await measure(server, args, expected, Session, browser)
        finally:
            try:
                await asyncio.wait_for(browser.close(), 20)
            except Exception:  # noqa: BLE001
                pass


async def measure(server: StreamlitServer, args, expected: Expected, kind: type, browser) -> dict:
    """Run ``args.sessions`` sessions of ``kind`` until the deadline; times, CPU and memory."""
    global _HARNESS_CPU_AT_START
    rng = random.Random(args.seed)
    totals = Totals()
    rss_peak = {"kb": 0}
    seconds = min(args.seconds, MAX_SECONDS)
    start = CpuSnapshot.take(server)
    _HARNESS_CPU_AT_START = time.process_time()
    load_before = os.getloadavg()
    t0 = time.monotonic()
    deadline = t0 + seconds
    sessions = [kind(i, browser, server.url, expected, totals, deadline, (args.think_min, args.think_max),
                     random.Random(rng.random()), ramp=i * args.ramp / args.sessions)
                for i in range(args.sessions)]

    async def sample_rss() -> None:
        while True:
            rss_peak["kb"] = max(rss_peak["kb"], sum(_status_kb(pid, "VmRSS") for pid in server_pids(server)))
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample_rss())
    try:
        await asyncio.gather(*(s.run() for s in sessions))
    finally:
        sampler.cancel()
    end_at = time.monotonic()
    cpu = cpu_split(start, CpuSnapshot.take(server))  # the deadline or the last action's end, whichever is later
    load_after = os.getloadavg()
    hwm = sum(_status_kb(pid, "VmHWM") for pid in server_pids(server))
    return {"totals": totals, "seconds": seconds, "elapsed": end_at - t0, "cpu": cpu, "rss_peak_kb": rss_peak["kb"],
            "hwm_kb": hwm, "load_before": load_before, "load_after": load_after}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(-(-q * len(ordered) // 100)) - 1))]


def report(args, run: dict) -> int:
    totals: Totals = run["totals"]
    results = totals.results
    errors = Counter(r.error for r in results if r.error)
    times = [r.seconds for r in results]  # errors included: a timeout is 10 s of waiting
    p50 = statistics.median(times) if times else float("nan")
    p95 = percentile(times, 95) if times else float("nan")
    cpu = run["cpu"]

    def fmt(s: float) -> str:
        return f"{s:.2f} s"

    rows = [
        ("sessions", f"{args.sessions} ({args.client} clients)"),
        ("duration", f"{run['seconds']} s (last action ended at {run['elapsed']:.1f} s)"),
        ("actions", f"{len(results)} ({', '.join(f'{k} {v}' for k, v in sorted(Counter(r.kind for r in results).items()))});"
                    f" {totals.cut_off} cut off at the deadline"),
        ("errors", f"{sum(errors.values())}" + (f" ({', '.join(f'{k} {v}' for k, v in sorted(errors.items()))})" if errors else "")),
        ("p50", fmt(p50)),
        ("p95", fmt(p95)),
        ("max", fmt(max(times)) if times else "–"),
        ("actions/s", f"{len(results) / run['seconds']:.2f}"),
        ("external requests (blocked)", str(len(totals.external))),
        ("CPU count", str(os.cpu_count())),
        ("server peak RSS", f"{run['hwm_kb'] / 1024:.0f} MB VmHWM (sampled during the run: {run['rss_peak_kb'] / 1024:.0f} MB)"),
        ("CPU used (of %.0f core-s)" % cpu["capacity"],
         f"server {cpu['server']:.0f} s, Chromium + driver {cpu['browser']:.0f} s, this script {cpu['harness']:.0f} s, "
         f"rest of machine {cpu['other']:.0f} s"),
        ("load average before / after", f"{run['load_before'][0]:.2f} / {run['load_after'][0]:.2f}"),
    ]
    print()
    print("| metric | value |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    print()
    print("| action | n | errors | p50 | p95 | max |")
    print("|---|--:|--:|--:|--:|--:|")
    for kind, _ in ACTIONS:
        these = [r for r in results if r.kind == kind]
        if these:
            t = [r.seconds for r in these]
            print(f"| {kind} | {len(these)} | {sum(1 for r in these if r.error)} | {statistics.median(t):.2f} s "
                  f"| {percentile(t, 95):.2f} s | {max(t):.2f} s |")
    if errors:
        print("\nerrors (first 10):")
        for r in [r for r in results if r.error][:10]:
            print(f"  {r.kind}: {r.error} after {r.seconds:.1f} s — {r.detail[:160]}")
    if totals.external:
        print("\nexternal requests (blocked):", *sorted(set(totals.external))[:10], sep="\n  ")

    failures = []
    if errors:
        failures.append(f"{sum(errors.values())} errors")
    if not times or p95 > TARGET_P95_S:
        failures.append(f"p95 {p95:.2f} s > {TARGET_P95_S:.0f} s" if times else "no actions")
    if totals.external:
        failures.append(f"{len(totals.external)} external requests")
    print()
    print("FAIL: " + "; ".join(failures) if failures else f"PASS: no errors, p95 {p95:.2f} s ≤ {TARGET_P95_S:.0f} s")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=12, help="concurrent sessions (default 12)")
    parser.add_argument("--client", choices=("protocol", "browser"), default="protocol",
                        help="protocol: Streamlit's websocket protocol without a browser (default); "
                             "browser: one headless Chromium context per session")
    parser.add_argument("--seconds", type=float, default=60, help=f"load duration, at most {MAX_SECONDS} (default 60)")
    parser.add_argument("--think-min", type=float, default=0.5, help="think time between actions, from (s)")
    parser.add_argument("--think-max", type=float, default=1.5, help="think time between actions, to (s)")
    parser.add_argument("--ramp", type=float, default=5.0,
                        help="sessions start one after another over this many seconds (default 5)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.seconds > MAX_SECONDS:
        print(f"--seconds capped at {MAX_SECONDS}")
        args.seconds = MAX_SECONDS
    if args.sessions < 1:
        parser.error("--sessions must be at least 1")

    def on_term(signum, frame):  # noqa: ARG001 - turn SIGTERM into the Ctrl-C path (finally runs)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    expected = Expected()
    print(f"embedded data: {len(expected.data.events)} events; expected Events per filter: "
          + ", ".join(expected.text(FilterSpec.from_query(q)) for q in FILTERS))
    server = None
    try:
        server = StreamlitServer.start("app.py", log=OUT / "streamlit_load_test.log")
        print(f"server {server.url} (pid {server.process.pid}); "
              f"{args.sessions} sessions for {min(args.seconds, MAX_SECONDS):g} s …", flush=True)
        run = asyncio.run(load(server, args, expected))
    except KeyboardInterrupt:
        print("interrupted; server stopped", file=sys.stderr)
        return 130
    finally:
        if server is not None:
            server.stop()
    return report(args, run)


if __name__ == "__main__":
    sys.exit(main())
