"""The real app in headless Chromium: one Streamlit server for the module, offline, every number
checked against the library (load_dataset + filter_events).

Needs Debian's chromium at /usr/bin/chromium (Playwright's own browser download is not used) and
the map's JS/CSS in static/vendor (fetched once by ``mapdata.assets.fetch_assets``); skipped with
the reason otherwise. Every request that would leave this machine is aborted and recorded; the
last test asserts there was none. Artifacts (screenshot, server log) go to test-artifacts/;
``MAPDATA_UPDATE_SCREENSHOT=1`` also refreshes docs/screenshot.png for the README.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from browser_support import (
    ARTIFACTS, CHROMIUM, LAUNCH_ARGS, MAP_IFRAME, RERUN_TIMEOUT_MS, ROOT, VIEWPORT, ExternalRequests,
    click_picked_incident, details_cells, events_metric, map_frame, metrics, pick_incident, query, wait_for_incidents,
    require_browser_and_assets, wait_for_page,
)
from devserver import StreamlitServer

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
expect = sync_api.expect

PAGES = {  # URL path → page title prefix (ui.PAGES)
    "/": "Map",
    "/Timeline": "Timeline",
    "/Regions": "Regions",
    "/Data_and_export": "Data & export",
    "/Sources_and_method": "Sources & method",
}


# --------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def dataset():
    import mapdata

    return mapdata.load_dataset()


@pytest.fixture(scope="module")
def count(dataset):
    """Number of events the library keeps for a filter given as FilterSpec keyword arguments."""
    import mapdata

    def count(**spec) -> int:
        return len(mapdata.filter_events(dataset.events, mapdata.FilterSpec(**spec), dataset.regions))

    return count


@pytest.fixture(scope="module")
def colours() -> list[str]:
    """Fill colours of incident markers; they must not be the greys of regions."""
    from mapdata import layers

    colours = [*layers.TYPE_COLOURS.values(), layers.OTHER_COLOUR]
    assert not {c.upper() for c in colours} & {c.upper() for c in (*layers.CHOROPLETH_COLOURS, "#6B6B6B")}
    return colours


@pytest.fixture(scope="module")
def server():
    require_browser_and_assets()
    server = StreamlitServer.start(log=ARTIFACTS / "streamlit.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def external() -> ExternalRequests:
    return ExternalRequests()


@pytest.fixture(scope="module")
def browser(server):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def new_context(browser, external):
    """Factory of fresh browser contexts (own cookies, storage, cache) that never reach the internet."""
    contexts = []

    def new_context(**options):
        options.setdefault("viewport", VIEWPORT)
        context = browser.new_context(accept_downloads=True, **options)
        context.set_default_timeout(RERUN_TIMEOUT_MS)
        external.watch(context)
        contexts.append(context)
        return context

    yield new_context
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    context = new_context()
    page = context.new_page()
    yield page
    context.close()


def open_page(page, server, url_path: str = "/"):
    page.goto(server.url + url_path)
    wait_for_page(page)
    return page


@pytest.fixture(scope="module")
def kalbajar_view(new_context, server, count, colours):
    """The Map page after choosing Kalbajar in the Regions multiselect, as a user does."""
    page = open_page(new_context().new_page(), server)
    expected = count(regions=("Kalbajar",))
    assert 0 < expected < count()
    box = page.locator('[data-testid="stSidebar"] input[role="combobox"][aria-label="Regions"]')
    box.click()
    box.press_sequentially("Kalbajar")
    option = page.get_by_role("option").filter(has_text=re.compile(r"^\s*Kalbajar District"))
    expect(option).to_have_count(1)
    option.click()
    page.keyboard.press("Escape")
    expect(events_metric(page)).to_have_text(str(expected))
    wait_for_page(page)
    wait_for_incidents(page, expected, colours)
    return {"page": page, "url": page.url, "metrics": metrics(page), "expected": expected}


# --------------------------------------------------------------------------------------------
# tests


def test_map_draws_every_incident(page, server, count, colours):
    open_page(page, server)
    expected = count()
    assert expected == 224  # the embedded data/events.csv
    wait_for_incidents(page, expected, colours)
    expect(events_metric(page)).to_have_text(f"{expected:,}")
    assert _layer_names(page) == ["Regions", "Border lines", "Incidents"]


def test_the_map_frame_lets_the_reader_zoom(page, server, count, colours):
    """WCAG 1.4.4: no viewport meta in the map's frame forbids zooming (folium's own does)."""
    open_page(page, server)
    wait_for_incidents(page, count(), colours)
    viewports = map_frame(page).eval_on_selector_all('meta[name="viewport"]', "ms => ms.map(m => m.content)")
    assert viewports and not [v for v in viewports if "user-scalable=no" in v or "maximum-scale=1" in v], viewports


def test_the_credit_leaves_the_scale_bar_and_the_legend_visible(page, server, count, colours):
    open_page(page, server)
    wait_for_incidents(page, count(), colours)
    boxes = map_frame(page).evaluate("""() => Object.fromEntries(['.leaflet-control-attribution', '.leaflet-control-scale',
        '.leaflet-bottom.leaflet-left .leaflet-control:not(.leaflet-control-scale)'].map(s => {
            const r = document.querySelector(s).getBoundingClientRect();
            return [s, [r.left, r.top, r.right, r.bottom]];
        }))""")
    credit = boxes.pop(".leaflet-control-attribution")
    overlapping = [s for s, (left, top, right, bottom) in boxes.items()
                   if left < credit[2] and credit[0] < right and top < credit[3] and credit[1] < bottom]
    assert credit[2] - credit[0] > 100 and not overlapping, boxes | {"credit": credit}


def test_date_slider_by_keyboard_filters_the_map(page, server, count, colours):
    open_page(page, server)
    wait_for_incidents(page, count(), colours)
    start = page.locator('[data-testid="stSidebar"] input[type="range"][aria-label="Dates — start"]')
    before = start.get_attribute("aria-valuetext")
    start.focus()
    for _ in range(3):
        page.keyboard.press("PageUp")  # react-aria: a tenth of the range each
    # the slider writes the range into the URL; wait until URL and handle agree
    page.wait_for_function(
        """(before) => {
            const thumb = document.querySelector('input[type="range"][aria-label="Dates — start"]');
            const params = new URLSearchParams(location.search);
            return thumb && thumb.getAttribute("aria-valuetext") !== before
                && params.get("from") === thumb.getAttribute("aria-valuetext") && params.has("to");
        }""",
        arg=before,
    )
    params = query(page)
    date_from, date_to = _date(params["from"][0]), _date(params["to"][0])
    expected = count(date_from=date_from, date_to=date_to)
    assert 0 < expected < count(), f"{date_from}–{date_to} should drop some events"
    expect(events_metric(page)).to_have_text(str(expected))
    wait_for_incidents(page, expected, colours)
    assert page.locator('[data-testid="stSliderThumbValue"]').all_inner_texts() == [str(date_from), str(date_to)]


def test_region_choice_filters_map_and_headline(kalbajar_view, count):
    view = kalbajar_view
    assert view["expected"] == count(regions=("Kalbajar District",)) == 15  # 15 in the embedded data
    assert view["metrics"]["Events"] == "15"
    regions = query(view["page"]).get("region", [])
    assert regions == ["Kalbajar District"], "the URL carries the filter in the library's format"


def test_copied_link_reproduces_the_view_in_a_fresh_browser(kalbajar_view, new_context, colours):
    page = new_context().new_page()
    page.goto(kalbajar_view["url"])
    wait_for_page(page)
    expect(events_metric(page)).to_have_text(str(kalbajar_view["expected"]))
    assert metrics(page) == kalbajar_view["metrics"]
    wait_for_incidents(page, kalbajar_view["expected"], colours)
    page.context.close()


def test_page_menu_keeps_a_filter_chosen_in_the_sidebar(kalbajar_view):
    _switch_to_timeline(kalbajar_view["page"], kalbajar_view)


def test_page_menu_keeps_a_filter_from_a_copied_link(kalbajar_view, new_context):
    page = new_context().new_page()
    page.goto(kalbajar_view["url"])
    wait_for_page(page)
    expect(events_metric(page)).to_have_text(str(kalbajar_view["expected"]))
    _switch_to_timeline(page, kalbajar_view)


def _switch_to_timeline(page, view):
    link = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]').filter(has_text="Timeline")
    link.click()
    page.wait_for_function("() => location.pathname.endsWith('/Timeline') && document.title.startsWith('Timeline')")
    page.wait_for_function("() => location.search.includes('region=')", timeout=20_000)
    wait_for_page(page)
    assert query(page).get("region") == query_of(view["url"]).get("region"), page.url
    assert metrics(page) == view["metrics"]


def test_clicking_an_incident_shows_its_record_and_source(page, server, dataset, count, colours):
    from mapdata import stats

    open_page(page, server)
    wait_for_incidents(page, count(), colours)
    event_id, record = _click_an_incident(page, dataset)
    cells = details_cells(page)
    pairs = dict(zip(cells[0::2], cells[1::2]))
    assert pairs["Event"] == event_id
    assert pairs["Source URL"] == record["Source URL"]
    assert pairs["Source"] == record["Source"]
    assert pairs == stats.event_details(dataset.events, event_id)
    button = page.locator('[data-testid="stLinkButton"] a')
    expect(button).to_have_text("Open the source")
    assert button.get_attribute("href") == record["Source URL"]


def test_stacked_markers_offer_every_event_at_that_point(page, server, dataset, count, colours):
    """Markers at one point lie on top of each other: the details panel lets the user pick each."""
    from mapdata import stats

    open_page(page, server)
    wait_for_incidents(page, count(), colours)
    events = dataset.events
    stacked = events[events.groupby(["latitude", "longitude"])["event_id"].transform("size") > 1]
    assert len(stacked) >= 2, "the embedded data has region-only reference points shared by several events"
    tip = pick_incident(page, ids=list(stacked["event_id"]))
    top = tip.split(" · ", 1)[0].strip()
    here = list(stats.colocated(events, top)["event_id"])
    assert len(here) > 1 and here[0] == top
    click_picked_incident(page)
    label = f"{len(here)} filtered events share this point"
    expect(page.get_by_text(label)).to_be_visible()
    expect(page.locator("dl.incident-details dd").filter(has_text=top).first).to_be_attached()
    other = here[-1]
    page.locator('[data-testid="stSelectbox"]').filter(has_text=label).click()
    page.get_by_role("option").filter(has_text=re.compile(rf"^\s*{re.escape(other)} · ")).click()
    expect(page.locator("dl.incident-details dd").filter(has_text=other).first).to_be_attached()
    cells = details_cells(page)
    assert dict(zip(cells[0::2], cells[1::2])) == stats.event_details(events, other)


@pytest.mark.parametrize("extra, cli_flags", [
    (None, []),
    ("type=Battles", ["--region", "Kalbajar District", "--type", "Battles"]),
], ids=["unfiltered", "kalbajar-battles"])
def test_geojson_download_equals_cli_export(request, new_context, server, count, tmp_path, extra, cli_flags):
    if extra:  # the region label exactly as the multiselect put it into the URL, plus an event type
        base = request.getfixturevalue("kalbajar_view")["url"].split("?", 1)[1]
        suffix = f"?{base}&{extra}"
        expected = count(regions=("Kalbajar District",), event_types=("Battles",))
        assert 0 < expected < count(regions=("Kalbajar District",))
    else:
        suffix, expected = "", count()
    page = open_page(new_context().new_page(), server, "/Data_and_export" + suffix)
    expect(events_metric(page)).to_have_text(f"{expected:,}")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="GeoJSON (RFC 7946)").click()
    download = download_info.value
    assert download.suggested_filename == "incidents.geojson"
    downloaded = json.loads(open(download.path(), encoding="utf-8").read())

    out = tmp_path / "cli.geojson"
    env = {k: v for k, v in os.environ.items() if k != "MAPDATA_EVENTS"}
    subprocess.run([sys.executable, "-m", "mapdata", "export", "--format", "geojson", "-o", str(out), *cli_flags],
                   cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    exported = json.loads(out.read_text(encoding="utf-8"))

    for collection in (downloaded, exported):
        assert collection["metadata"].pop("generated")
    assert len(downloaded["features"]) == downloaded["metadata"]["count"] == expected
    assert downloaded == exported
    page.context.close()


@pytest.mark.parametrize("url_path", list(PAGES))
def test_every_page_renders_without_exception(page, server, url_path):
    open_page(page, server, url_path)
    expect(page).to_have_title(re.compile("^" + re.escape(PAGES[url_path]) + " · "))
    assert page.locator('[data-testid="stException"]').count() == 0
    main = page.locator('[data-testid="stMain"]').inner_text()[:1500]
    assert page.locator('[data-testid="stMetricValue"]').count() == 4, main  # the headline, on every page


def test_screenshot_of_the_map(new_context, server, dataset, count, colours):
    page = new_context(viewport={"width": 1400, "height": 1750}).new_page()
    open_page(page, server)
    wait_for_incidents(page, count(), colours)
    _click_an_incident(page, dataset)
    page.mouse.move(5, 5)  # no hover tooltip in the picture
    frame = page.frame_locator(MAP_IFRAME)
    page.query_selector(MAP_IFRAME).content_frame().evaluate("() => window.map.closePopup()")  # the panel shows it
    expect(frame.locator(".leaflet-popup")).to_have_count(0)
    page.wait_for_function("() => document.fonts.status === 'loaded'")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "map.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    if os.environ.get("MAPDATA_UPDATE_SCREENSHOT") == "1":
        (ROOT / "docs").mkdir(exist_ok=True)
        shutil.copyfile(shot, ROOT / "docs" / "screenshot.png")
    page.context.close()


_SIDEBAR_STATE = """() => {
    const bar = document.querySelector('[data-testid="stSidebar"]');
    const state = {};
    bar.querySelectorAll('[data-testid="stMultiSelect"]').forEach(el => {
        state[el.querySelector('label').innerText] = [...el.querySelectorAll('.react-aria-ComboBox [data-tag]')].map(t => t.getAttribute('aria-label'));
    });
    bar.querySelectorAll('[data-testid="stNumberInput"]').forEach(el => { state[el.querySelector('label').innerText] = el.querySelector('input').value; });
    bar.querySelectorAll('input[type="checkbox"]').forEach(el => { state[el.closest('label').innerText.trim()] = el.checked; });
    state.Dates = [...bar.querySelectorAll('[data-testid="stSliderThumbValue"]')].map(t => t.innerText);
    return state;
}"""


def test_every_sidebar_widget_keeps_its_value_on_every_page(new_context, server, count):
    """Issue 16: every sidebar widget, set from a link or by hand, shows the same value on every page
    (the Location precision filter used to empty itself after the Map page)."""
    from datetime import date

    from mapdata import FilterSpec

    linked = FilterSpec(date_from=date(2021, 1, 1), date_to=date(2023, 12, 31), regions=("Gegharkunik", "Ararat"),
                        countries=("ARM",), event_types=("Battles",), sub_event_types=("Armed clash",),
                        actors=("Military Forces of Azerbaijan",), max_fatalities=50, max_border_km=40.0)
    page = open_page(new_context().new_page(), server, "/?" + linked.to_query_string())
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="Location precision").locator("input").click()
    page.keyboard.press("Backspace")  # drops the last level, 3
    page.keyboard.press("Escape")
    wait_for_page(page)
    hide = sidebar.get_by_role("switch", name="Hide region-only locations")
    hide.focus()
    page.keyboard.press("Space")
    expect(hide).to_be_checked()
    wait_for_page(page)
    fat_min = sidebar.get_by_role("spinbutton", name="Minimum fatalities")
    fat_min.fill("1")
    fat_min.press("Enter")
    expected = count(**{**{f: getattr(linked, f) for f in linked.__dataclass_fields__}, "min_fatalities": 1, "precisions": (1, 2)})
    assert expected > 0
    expect(events_metric(page)).to_have_text(str(expected))
    wait_for_page(page)
    state = page.evaluate(_SIDEBAR_STATE)
    assert state["Location precision"] == ["1 — exact place", "2 — near a named place"], state
    assert state["Hide region-only locations"] is True and state["Minimum fatalities"] == "1", state
    assert all(state[label] for label in ("Regions", "Reported country", "Event types", "Event sub-types", "Actors (either side)",
                                          "Maximum fatalities", "Max. distance to a border line (km)", "Dates")), state
    for title in ["Timeline", "Regions", "Data & export", "Sources & method", "Import your data", "Map", "Timeline"]:
        sidebar.locator('[data-testid="stPageLink-NavLink"]').filter(has_text=title).click()
        page.wait_for_function("(title) => document.title.startsWith(title + ' · ')", arg=title)
        wait_for_page(page)
        expect(events_metric(page)).to_have_text(str(expected))
        assert page.evaluate(_SIDEBAR_STATE) == state, title
        expect(sidebar.get_by_text("No precision level is chosen")).to_have_count(0)
    page.context.close()


def test_no_request_left_the_machine(external):
    """Runs last: across every page and context above, nothing was fetched from the internet."""
    assert external.urls == []


# --------------------------------------------------------------------------------------------
# helpers


def _date(text: str):
    from datetime import date

    return date.fromisoformat(text)


def query_of(url: str) -> dict[str, list[str]]:
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(url).query)


def _click_an_incident(page, dataset):
    """Click a visible, uncovered incident marker; wait for its record in the details panel."""
    from mapdata import stats

    tip = pick_incident(page)
    event_id = tip.split(" · ", 1)[0].strip()
    record = stats.event_details(dataset.events, event_id)
    assert record is not None, f"tooltip {tip!r} does not start with a known event_id"
    click_picked_incident(page)
    expect(page.locator("dl.incident-details dd").filter(has_text=event_id).first).to_be_attached()
    expect(page.locator("dl.incident-details dd").filter(has_text=record["Source URL"]).first).to_be_attached()
    return event_id, record


def test_a_filter_change_keeps_the_users_zoom_and_centre(page, server, count, colours):
    open_page(page, server)
    wait_for_incidents(page, count(), colours)
    for _ in range(20):  # the first render may still settle (one rerun after load): zoom until it holds
        map_frame(page).evaluate("() => window.map.setView([40.1, 46.0], 10)")
        page.wait_for_timeout(1000)
        if map_frame(page).evaluate("() => window.map.getZoom()") == 10:
            break
    assert map_frame(page).evaluate("() => window.map.getZoom()") == 10
    box = page.locator('[data-testid="stSidebar"] input[role="combobox"][aria-label="Event types"]')
    box.click()
    box.press_sequentially("Battles")
    page.get_by_role("option").filter(has_text="Battles").first.click()
    page.keyboard.press("Escape")
    expected = count(event_types=("Battles",))
    expect(events_metric(page)).to_have_text(str(expected))
    wait_for_incidents(page, expected, colours)
    zoom, centre = map_frame(page).evaluate("() => [window.map.getZoom(), window.map.getCenter()]")
    assert zoom == 10 and abs(centre["lat"] - 40.1) < 1e-6 and abs(centre["lng"] - 46.0) < 1e-6


def test_streamlit_run_app_py_serves_the_same_map(new_context, count, colours):
    """The README starts the app with serve.py (libraries loaded before the first visitor);
    ``streamlit run app.py``, Streamlit's usual way, must serve the same working map."""
    plain = StreamlitServer.start("app.py", log=ARTIFACTS / "streamlit-app-py.log")
    try:
        page = new_context().new_page()
        page.goto(plain.url)
        wait_for_page(page)
        wait_for_incidents(page, count(), colours)
        expect(events_metric(page)).to_have_text(f"{count():,}")
    finally:
        plain.stop()


def test_the_app_opens_on_another_geography_in_chromium(new_context, count, colours, tmp_path, monkeypatch):
    """A geography of Armenia alone (built from the COD-AB-like fixture) chosen with MAPDATA_GEO_DIR:
    the map draws every incident, says why border_km is empty and credits the geography's own source."""
    from mapdata.geo import build_geography

    build_geography([ROOT / "tests" / "data" / "geo" / "arm_admbnda_adm1_small.geojson"], tmp_path / "armenia")
    monkeypatch.setenv("MAPDATA_GEO_DIR", str(tmp_path / "armenia"))
    monkeypatch.setenv("MAPDATA_CACHE_DIR", "off")
    other = StreamlitServer.start(log=ARTIFACTS / "streamlit-other-geography.log")
    try:
        page = new_context().new_page()
        page.goto(other.url)
        wait_for_page(page)
        wait_for_incidents(page, count(), colours)
        expect(page.get_by_text("No border line in this geography", exact=False).first).to_be_visible()
        expect(page.get_by_text("HDX COD-AB ARM ADM1 (arm_admbnda_adm1_small.geojson): licence unknown", exact=False).first).to_be_visible()
        assert _layer_names(page) == ["Regions", "Incidents"], "no empty 'Border lines' toggle where there are none"
    finally:
        other.stop()


def _layer_names(page) -> list[str]:
    """The overlay names the map's layer control offers."""
    return map_frame(page).eval_on_selector_all(".leaflet-control-layers-overlays label", "ls => ls.map(l => l.innerText.trim())")


def test_the_map_draws_on_a_store_in_chromium(new_context, count, colours, tmp_path):
    """MAPDATA_EVENTS naming a store built from the app's events file: the same headline, and the
    map draws every incident (read from the store because they are few enough to draw)."""
    pytest.importorskip("distributed")
    from mapdata.store import build_store

    build_store([ROOT / "data" / "events.csv"], tmp_path / "store")
    served = StreamlitServer.start(events=tmp_path / "store", log=ARTIFACTS / "streamlit-store.log")
    try:
        page = new_context().new_page()
        page.goto(served.url)
        wait_for_page(page)
        wait_for_incidents(page, count(), colours)
        expect(events_metric(page)).to_have_text(f"{count():,}")
        page.goto(served.url + "/?type=Battles")
        wait_for_page(page)
        wait_for_incidents(page, count(event_types=("Battles",)), colours)
    finally:
        served.stop()
