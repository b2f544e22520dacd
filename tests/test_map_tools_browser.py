"""The map's own tools in a real browser (offline): drawing the area filter, and its counts
checked against the library."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from browser_support import (
    ARTIFACTS, CHROMIUM, LAUNCH_ARGS, MAP_IFRAME, RERUN_TIMEOUT_MS, events_metric, local_only_context, map_frame, query,
    require_browser_and_assets, wait_for_page,
)
from devserver import StreamlitServer

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("MAPDATA_SHOTS", ARTIFACTS))


@pytest.fixture(scope="module")
def dataset():
    import mapdata

    return mapdata.load_dataset()


@pytest.fixture(scope="module")
def browser_and_server():
    require_browser_and_assets()
    server = StreamlitServer.start(log=ARTIFACTS / "streamlit-map-tools.log")
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
            yield browser, server
            browser.close()
    finally:
        server.stop()


def _page_point(page, lat: float, lng: float) -> tuple[float, float]:
    """Where (lat, lng) of the map is on the page, in CSS pixels."""
    box = page.locator(MAP_IFRAME).bounding_box()
    x, y = map_frame(page).evaluate(
        """([lat, lng]) => {
            const p = window.map.latLngToContainerPoint([lat, lng]), r = window.map.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y];
        }""", [lat, lng])
    return box["x"] + x, box["y"] + y


def test_drawing_a_rectangle_filters_like_the_library_and_clear_area_removes_it(browser_and_server, dataset):
    from mapdata import FilterSpec, filter_events

    browser, server = browser_and_server
    page = local_only_context(browser).new_page()
    page.set_default_timeout(RERUN_TIMEOUT_MS)
    page.goto(server.url)
    wait_for_page(page)
    page.locator(MAP_IFRAME).scroll_into_view_if_needed()
    tool = page.frame_locator(MAP_IFRAME).locator("a.leaflet-draw-draw-rectangle")
    tool.wait_for()
    page.wait_for_function("() => true")
    start, end = _page_point(page, 40.25, 45.6), _page_point(page, 39.6, 46.4)
    tool.click()
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=8)
    page.mouse.up()
    page.wait_for_function("() => new URLSearchParams(location.search).has('area')")
    spec = FilterSpec.from_query(query(page))
    expected = len(filter_events(dataset.events, spec, dataset.regions))
    assert 0 < expected < len(dataset.events) and len(spec.area) == 4
    lons, lats = sorted({c[0] for c in spec.area}), sorted({c[1] for c in spec.area})
    assert abs(lons[0] - 45.6) < 0.05 and abs(lons[-1] - 46.4) < 0.05 and abs(lats[0] - 39.6) < 0.05 and abs(lats[-1] - 40.25) < 0.05
    expect(events_metric(page)).to_have_text(f"{expected:,}")
    expect(page.get_by_text("inside an area of 4 corners").first).to_be_visible()
    wait_for_page(page)
    page.screenshot(path=str(SHOTS / "area-drawn.png"), full_page=True)
    page.get_by_role("button", name="Clear area").click()
    expect(events_metric(page)).to_have_text(f"{len(dataset.events):,}")
    page.wait_for_function("() => !new URLSearchParams(location.search).has('area')")
    wait_for_page(page)
    assert events_metric(page).inner_text() == f"{len(dataset.events):,}", "the drawing is taken once, not again after Clear area"
