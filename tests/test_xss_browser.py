"""Nothing from data runs in the browser: a dataset whose text fields carry script, event-handler
and javascript: payloads, shown on every page, in popups, tooltips and the details panel."""

from __future__ import annotations

import csv
import re

import pytest

from browser_support import (
    ARTIFACTS, CHROMIUM, LAUNCH_ARGS, MAP_IFRAME, click_picked_incident, local_only_context, pick_incident,
    require_browser_and_assets, wait_for_page,
)
from devserver import StreamlitServer

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser

FLAG = "window.__pwned"
PAYLOADS = {
    "notes": "<script>window.__pwned=1</script> note",
    "location": '<img src=x onerror="window.__pwned=1"> place',
    "actor1": "<svg onload=window.__pwned=1>actor</svg>",
    "actor2": "[click me](javascript:window.__pwned=1)",
    "source": '<a href="javascript:window.__pwned=1">source</a>',
    "fatalities_note": "<iframe src=\"javascript:window.__pwned=1\"></iframe> claims",
    "coord_source": "<body onload=window.__pwned=1>",
    "admin1": "<style>*{display:none}</style>",
}
PAGES = ["/", "/Timeline", "/Regions", "/Data_and_export", "/Sources_and_method"]


@pytest.fixture(scope="module")
def hostile_events(tmp_path_factory):
    from mapdata.config import ROOT

    with open(ROOT / "data" / "events.csv", encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        columns, rows = reader.fieldnames, list(reader)
    chosen = [r for r in rows if r["event_id"] in ("AZARM-0011", "AZARM-0037", "AZARM-0066")]
    hostile = [dict(row, **PAYLOADS) for row in chosen]
    hostile.append(dict(chosen[0], event_id="TEST-JS", source_url="javascript:window.__pwned=1"))
    path = tmp_path_factory.mktemp("xss") / "hostile.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(hostile)
    return path


@pytest.fixture(scope="module")
def hostile_page(hostile_events):
    require_browser_and_assets()
    server = StreamlitServer.start(events=hostile_events, log=ARTIFACTS / "streamlit-xss.log")
    dialogs: list[str] = []
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
            page = local_only_context(browser).new_page()
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            yield server, page, dialogs
            browser.close()
    finally:
        server.stop()


def _flags(page) -> list:
    values = [page.evaluate(f"() => {FLAG}")]
    for frame in page.frames:
        try:
            values.append(frame.evaluate(f"() => {FLAG}"))
        except Exception:  # a frame that went away between listing and evaluating
            continue
    return [v for v in values if v is not None]


def _link_schemes(page) -> set[str]:
    hrefs = []
    for frame in page.frames:
        try:
            hrefs += frame.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        except Exception:
            continue
    return {re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):", h).group(1).lower() for h in hrefs if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", h)}


@pytest.mark.parametrize("path", PAGES)
def test_no_payload_runs_on_any_page(hostile_page, path):
    server, page, dialogs = hostile_page
    page.goto(server.url + path)
    wait_for_page(page)
    page.wait_for_timeout(1500)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert _flags(page) == [] and dialogs == []
    assert _link_schemes(page) <= {"http", "https"}, "links only ever use http(s)"


def test_popups_tooltips_and_details_show_payloads_as_text(hostile_page):
    server, page, dialogs = hostile_page
    page.goto(server.url + "/")
    wait_for_page(page)
    page.frame_locator(MAP_IFRAME).locator(".leaflet-container").wait_for(timeout=60_000)
    page.wait_for_timeout(1500)  # the first render settles (one rerun after load)
    opened = 0
    for _ in range(10):
        pick_incident(page)
        click_picked_incident(page)
        popup = page.frame_locator(MAP_IFRAME).locator(".leaflet-popup-content")
        try:
            popup.first.wait_for(timeout=5000)
        except Exception:  # noqa: BLE001 - the map was redrawn under the click: pick again
            continue
        if "<img src=x" in popup.first.inner_text():
            opened = 1
            break
    assert opened == 1, "a popup shows the location's <img onerror> as text"
    page.wait_for_function("() => [...document.querySelectorAll('dl.incident-details dd')]"
                           ".some(dd => dd.innerText.includes('<img src=x'))", timeout=30_000)
    assert _flags(page) == [] and dialogs == []
    assert _link_schemes(page) <= {"http", "https"}


def test_the_javascript_url_row_is_rejected_and_shown_as_text(hostile_page):
    server, page, dialogs = hostile_page
    page.goto(server.url + "/Data_and_export")
    wait_for_page(page)
    page.get_by_text("rows of hostile.csv were rejected").click()
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=\"stDataFrame\"] td')]"
                           ".some(td => td.innerText.includes('javascript:window.__pwned=1'))", timeout=30_000)
    assert _flags(page) == [] and dialogs == []
