"""Import in a real browser: an uploaded file's events appear on the map, and only in the
browser session that uploaded it."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser_support import ARTIFACTS, MAP_IFRAME, local_only_context, served_browser, wait_for_page

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser
DATA = Path(__file__).parent / "data"
UPLOAD = DATA / "import_acled.csv"


@pytest.fixture(scope="module")
def browser_and_server():
    with served_browser(ARTIFACTS / "streamlit-import.log") as both:
        yield both


def _events_metric(page) -> str:
    return page.locator('[data-testid="stMetric"]').filter(has_text="Events").locator('[data-testid="stMetricValue"]').first.inner_text()


def _incident_ids(page) -> set[str]:
    frame = page.frame_locator(MAP_IFRAME)
    frame.locator(".leaflet-container").wait_for(timeout=60_000)
    handle = page.query_selector(MAP_IFRAME).content_frame()
    return set(handle.evaluate("""() => {
        const ids = [];
        window.map.eachLayer((l) => { const p = l.feature && l.feature.properties; if (p && p.id !== undefined) ids.push(String(p.id)); });
        return ids;
    }"""))


def test_uploaded_events_appear_on_the_map_of_that_session_only(browser_and_server):
    from mapdata import load_events

    browser, server = browser_and_server
    expected = set(load_events(UPLOAD).events["event_id"])
    assert expected

    mine = local_only_context(browser).new_page()
    mine.goto(server.url + "/Import")
    wait_for_page(mine)
    mine.wait_for_function("() => document.querySelectorAll('[data-testid=\"stFileUploaderDropzoneInstructions\"]').length >= 3",
                           timeout=60_000)  # events, gazetteers, boundary files (the page may still be drawing)
    limits = mine.locator('[data-testid="stFileUploaderDropzoneInstructions"]').all_inner_texts()
    assert len(limits) == 3 and all("50MB per file" in text for text in limits), limits  # every uploader: the one setting
    mine.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(str(UPLOAD))
    mine.get_by_role("button", name="Check and import").click()
    mine.get_by_text(f"Report for {UPLOAD.name}").wait_for(timeout=60_000)
    mine.get_by_text("My file only").click()
    mine.wait_for_function(f"() => [...document.querySelectorAll('[data-testid=\"stMetricValue\"]')]"
                           f".some(e => e.innerText === '{len(expected)}')", timeout=60_000)
    mine.locator('[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]').filter(has_text="Map").click()
    wait_for_page(mine)
    assert _events_metric(mine) == str(len(expected))
    deadline_ids = set()
    for _ in range(60):
        deadline_ids = _incident_ids(mine)
        if deadline_ids == expected:
            break
        mine.wait_for_timeout(500)
    assert deadline_ids == expected, "the map shows exactly the uploaded events"

    other = local_only_context(browser).new_page()
    other.goto(server.url + "/")
    wait_for_page(other)
    assert _events_metric(other) == "224"
    other_ids = set()
    for _ in range(60):
        other_ids = _incident_ids(other)
        if len(other_ids) == 224:
            break
        other.wait_for_timeout(500)
    assert len(other_ids) == 224 and not (other_ids & expected), "another visitor never sees the upload"


def test_uploaded_boundaries_make_the_map_open_on_that_geography(browser_and_server):
    """Boundary files uploaded on the Import page: the map opens on the events inside that geography
    (Armenia alone: the view's centre is in Armenia, not between the two shipped countries), draws
    every event and credits the uploaded file; the next visitor still gets the shipped geography."""
    browser, server = browser_and_server
    boundaries = DATA / "geo" / "arm_admbnda_adm1_small.geojson"
    page = local_only_context(browser).new_page()
    page.goto(server.url + "/Import")
    wait_for_page(page)
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Boundary files")
    uploader.locator('input[type="file"]').set_input_files(str(boundaries))
    page.get_by_role("button", name="Build and use this geography").click()
    page.get_by_text("This session uses the geography built from", exact=False).wait_for(timeout=60_000)
    page.locator('[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]').filter(has_text="Map").click()
    wait_for_page(page)
    ids: set[str] = set()
    for _ in range(60):
        ids = _incident_ids(page)
        if len(ids) == 224:
            break
        page.wait_for_timeout(500)
    assert len(ids) == 224
    frame = page.query_selector(MAP_IFRAME).content_frame()
    lon, lat = frame.evaluate("() => { const c = window.map.getBounds().getCenter(); return [c.lng, c.lat]; }")
    assert 43.4 < lon < 46.7 and 38.8 < lat < 41.4, (lon, lat)  # Armenia's extent; the shipped view centres near 47°E
    attribution = frame.locator(".leaflet-control-attribution").inner_text()
    assert "HDX COD-AB ARM ADM1" in attribution and "licence unknown" in attribution
    page.screenshot(path=str(ARTIFACTS / "uploaded-geography.png"))

    other = local_only_context(browser).new_page()
    other.goto(server.url + "/")
    wait_for_page(other)
    other.query_selector(MAP_IFRAME).content_frame().locator(".leaflet-control-attribution").wait_for(timeout=60_000)
    assert "geoBoundaries" in other.query_selector(MAP_IFRAME).content_frame().locator(".leaflet-control-attribution").inner_text()
