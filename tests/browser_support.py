"""Helpers for the browser tests: where they put logs and screenshots, the external-request
recorder and small waits that understand the app (metrics, the streamlit-folium map iframe, the
details panel). The server itself comes from ``devserver.py`` (shared with bench/).

Not a test module and not a conftest: the browser tests import it (tests/ is on sys.path under
pytest's default import mode).
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 1400}
"""Tall enough that the whole 620 px map iframe is on screen: a click on a marker in a partly
hidden iframe scrolls it on mouse-down, so the mouse-up lands elsewhere and Leaflet sees no click."""

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
CREDITS_TEXT = "each record links its source"
"""From ui.credits(), the last element of every page: seen = the page script ran to its end."""

APP_TIMEOUT_MS = 60_000
RERUN_TIMEOUT_MS = 30_000


# --------------------------------------------------------------------------------------------
# the server


def require_browser_and_assets() -> None:
    """Skip (with the reason) where Debian's Chromium or the map's locally served JS/CSS are missing."""
    import pytest

    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (Debian package chromium); the browser tests drive that binary")
    from mapdata.assets import AssetError, fetch_assets

    try:
        fetch_assets()
    except AssetError as exc:
        pytest.skip(f"the map's JS/CSS are not in static/vendor and the npm registry is unreachable: {exc}")


@contextmanager
def served_browser(log: Path):
    """Debian's Chromium (headless) and the app served on the embedded data, logging to ``log``;
    both stopped afterwards. Skips where either is missing (:func:`require_browser_and_assets`)."""
    from playwright.sync_api import sync_playwright

    from devserver import StreamlitServer

    require_browser_and_assets()
    server = StreamlitServer.start(log=log)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
            yield browser, server
            browser.close()
    finally:
        server.stop()


def local_only_context(browser):
    """A fresh browser context whose requests off this machine are aborted."""
    context = browser.new_context(viewport=VIEWPORT)
    context.route("**/*", lambda route: route.continue_() if "127.0.0.1" in route.request.url
                  or route.request.url.startswith(("data:", "blob:")) else route.abort())
    return context


# --------------------------------------------------------------------------------------------
# zero external requests


@dataclass
class ExternalRequests:
    """Every request the browser tried to send off this machine (aborted) across the session."""

    urls: list[str] = field(default_factory=list)

    @staticmethod
    def is_local(url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about", "chrome-extension"):
            return True
        return (parts.hostname or "") in LOCAL_HOSTS

    def route(self, route) -> None:
        url = route.request.url
        if self.is_local(url):
            route.continue_()
        else:
            self.urls.append(url)
            route.abort()

    def watch(self, context) -> None:
        """Route every request of ``context``; also note web sockets (not routable by context.route)."""
        context.route("**/*", self.route)

        def on_page(page) -> None:
            page.on("websocket", lambda ws: None if self.is_local(ws.url) else self.urls.append(ws.url))

        context.on("page", on_page)


# --------------------------------------------------------------------------------------------
# waiting for the app


def wait_for_page(page, timeout_ms: int = APP_TIMEOUT_MS) -> None:
    """Wait until the page script has run to its end (credits shown, script not running) and the
    headline's four metrics are drawn (the frontend mounts element types lazily, so "not running"
    alone can come before every element is in the DOM)."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout_ms)
    page.get_by_text(CREDITS_TEXT).first.wait_for(state="attached", timeout=timeout_ms)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout_ms)
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"stMetricValue\"]').length === 4", timeout=timeout_ms
    )


def metrics(page) -> dict[str, str]:
    """The headline: metric label → shown value."""
    labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    return {label.strip(): value.strip() for label, value in zip(labels, values)}


def events_metric(page):
    """Locator of the "Events" metric's value (the first metric of the headline)."""
    return page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text="Events")
    ).locator('[data-testid="stMetricValue"]').first


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def path(page) -> str:
    return urlsplit(page.url).path


# --------------------------------------------------------------------------------------------
# the map iframe

_COUNT_JS = """(colours) => {
    if (!window.map || !window.L) { return null; }
    let layers = 0;
    window.map.eachLayer((layer) => {
        const p = layer.feature && layer.feature.properties;
        if (p && p.id !== undefined && layer instanceof L.CircleMarker && !(layer instanceof L.Circle)) { layers += 1; }
    });
    const paths = Array.from(document.querySelectorAll("path.leaflet-interactive"))
        .filter((el) => colours.includes((el.getAttribute("fill") || "").toUpperCase())).length;
    return {layers: layers, paths: paths};
}"""
"""Incident markers two ways: Leaflet layers on the map (streamlit-folium exposes ``window.map``)
that are circle markers carrying an event ``id`` (region polygons carry ``region_id``, the border
nothing, the uncertainty halos are L.Circle without an id), and interactive SVG paths whose fill
is an event-type colour (regions are grey, the border has no fill, halos are not interactive)."""

_PICK_JS = """(ids) => {
    const found = [];
    window.map.eachLayer((layer) => {
        const p = layer.feature && layer.feature.properties;
        if (!p || p.id === undefined || !layer._path || !layer.getTooltip()) { return; }
        if (ids && !ids.includes(String(p.id))) { return; }
        const box = layer._path.getBoundingClientRect();
        const x = box.left + box.width / 2, y = box.top + box.height / 2;
        if (box.width < 6 || x < 40 || y < 40 || x > innerWidth - 40 || y > innerHeight - 40) { return; }
        if (document.elementFromPoint(x, y) !== layer._path) { return; }  // covered by another marker or a control
        found.push({tip: String(layer.getTooltip().getContent()), r: p.r || 0, p: p.p, leaflet_id: L.stamp(layer)});
    });
    found.sort((a, b) => (a.p - b.p) || (b.r - a.r));  // exact places first, then larger markers
    if (!found.length) { return null; }
    document.querySelectorAll("[data-test-pick]").forEach((el) => el.removeAttribute("data-test-pick"));
    window.map._layers[found[0].leaflet_id]._path.setAttribute("data-test-pick", "1");
    return found[0].tip;
}"""


def map_frame(page):
    handle = page.query_selector(MAP_IFRAME)
    return handle.content_frame() if handle else None


def incident_counts(page, colours: list[str]) -> dict | None:
    frame = map_frame(page)
    if frame is None:
        return None
    try:
        return frame.evaluate(_COUNT_JS, [c.upper() for c in colours])
    except Exception:  # the frame is being replaced or the map not built yet
        return None


def wait_for_incidents(page, expected: int, colours: list[str], timeout_ms: int = APP_TIMEOUT_MS) -> dict:
    """Wait until the map shows exactly ``expected`` incident markers (both ways of counting agree)."""
    deadline = time.monotonic() + timeout_ms / 1000
    seen = None
    while time.monotonic() < deadline:
        seen = incident_counts(page, colours)
        if seen == {"layers": expected, "paths": expected}:
            return seen
        page.wait_for_timeout(200)
    raise AssertionError(f"map should show {expected} incident markers; last seen {seen} (layers on the map / coloured paths)")


def pick_incident(page, ids: list[str] | None = None) -> str:
    """Mark one clearly clickable incident marker (``path[data-test-pick]``), of an event in ``ids``
    if given; return its tooltip text."""
    frame = map_frame(page)
    assert frame is not None, "map iframe not found"
    tip = frame.evaluate(_PICK_JS, ids)
    assert tip, "no incident marker is clickable (all covered or off-screen)"
    return tip


def click_picked_incident(page) -> None:
    page.locator(MAP_IFRAME).scroll_into_view_if_needed()
    page.frame_locator(MAP_IFRAME).locator("path[data-test-pick]").click()


DETAILS = "dl.incident-details"


def details_cells(page) -> list[str]:
    """The details panel as [label, value, label, value, ...] (the texts of its dt/dd elements)."""
    return [t.strip() for t in page.locator(f"{DETAILS} dt, {DETAILS} dd").all_inner_texts()]


# --------------------------------------------------------------------------------------------
# accessibility: axe-core

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
"""The WCAG 2.1 A and AA rules of axe-core (issue 19)."""

_AXE_RUN_JS = """async (tags) => {
    const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, iframes: false});
    return result.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 6).map((n) => n.target.join(" ") + " :: " + (n.failureSummary || "").split("\\n").slice(0, 3).join(" ")),
    }));
}"""


def axe_violations(frame) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations in ``frame`` (a page or the map's frame), each as
    {id, impact, help, nodes}. axe-core is fetched once from the npm registry (pinned version and
    hash, mapdata.assets.AXE) and injected as an inline script: no request leaves the machine."""
    from mapdata.assets import fetch_axe

    if not frame.evaluate("() => typeof window.axe === 'object'"):
        frame.add_script_tag(path=str(fetch_axe()))
    return frame.evaluate(_AXE_RUN_JS, AXE_TAGS)
