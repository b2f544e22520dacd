"""Issues 16 and 19 in the real app (headless Chromium, offline): the map first at 1440×900,
200 % zoom, axe-core's WCAG 2.1 A/AA rules on every page in both themes and inside the map's
frame, a keyboard-only walk from a region filter to an incident's record and a GeoJSON export,
brushing the timeline, and compare mode; every number checked against the library.

Uses test_browser.py's fixtures (its own server, module-scoped); the axe-core script comes from
the npm registry once (mapdata.assets.fetch_axe: pinned version and hash) and is injected inline.
"""

from __future__ import annotations

import json

import pytest

from browser_support import (
    ARTIFACTS, MAP_IFRAME, axe_violations, details_cells, events_metric, map_frame, wait_for_incidents,
    wait_for_page,
)
from test_browser import browser, colours, dataset, external, new_context, server  # noqa: F401  (its fixtures, one server per module)

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
expect = sync_api.expect

WINDOW = {"width": 1440, "height": 900}
PAGES = ("/", "/Timeline", "/Regions", "/Data_and_export", "/Sources_and_method", "/Import")


@pytest.fixture
def new_page(new_context):
    """Factory of fresh offline pages in a 1440×900 window (or the given context options)."""
    return lambda **options: new_context(**{"viewport": WINDOW, **options}).new_page()


@pytest.mark.parametrize("url_path", ["/", "/Regions"])
def test_the_map_starts_near_the_top_and_is_tall(new_page, server, url_path):
    """Issue 16 item 1: at 1440×900 the map starts within the top 300 px and is ≥ 560 px tall."""
    page = new_page()
    page.goto(server.url + url_path)
    wait_for_page(page)
    _wait_for_map(page)
    box = page.locator(MAP_IFRAME).bounding_box()
    assert box is not None and box["y"] <= 300 and box["height"] >= 560, box
    corner = 0.02 * box["width"] * box["height"]  # a legend is closed at first: a small corner
    areas = "() => [...document.querySelectorAll('.mapdata-legend')].map(el => el.getBoundingClientRect()).map(r => r.width * r.height)"
    try:  # the legend is laid out after the map is drawn
        map_frame(page).wait_for_function(f"(corner) => {{ const a = ({areas})(); return a.length && Math.max(...a) <= corner; }}",
                                          arg=corner, timeout=10_000)
    except sync_api.TimeoutError:
        pytest.fail(f"legend areas {map_frame(page).evaluate(areas)} px², more than {corner:.0f}")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"map-first{url_path.replace('/', '-') or '-'}.png"))


@pytest.mark.parametrize("url_path", ["/", "/Regions", "/Data_and_export"])
def test_200_percent_zoom_at_1280_px_reflows_without_loss(new_page, server, url_path):
    """Issue 19 (WCAG 1.4.4, 1.4.10): a 1280 px window at 200 % zoom is 640 CSS px wide: nothing
    scrolls sideways, the filters are one button away, the map fits the width."""
    page = new_page(viewport={"width": 640, "height": 450}, device_scale_factor=2)
    page.goto(server.url + url_path)
    wait_for_page(page)
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth"), "content scrolls sideways"
    expect(page.locator('[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"]').first).to_be_visible()
    if url_path != "/Data_and_export":
        _wait_for_map(page)
        box = page.locator(MAP_IFRAME).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 640, box
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"zoom-200{url_path.replace('/', '-') or '-'}.png"))


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("url_path", PAGES)
def test_axe_finds_no_wcag_violation(new_page, server, url_path, scheme):
    """Issue 19: zero axe-core WCAG 2.1 A/AA violations on the page and inside the map's frame."""
    page = new_page(color_scheme=scheme)
    page.goto(server.url + url_path)
    wait_for_page(page)
    white = page.evaluate("() => getComputedStyle(document.querySelector('[data-testid=\"stApp\"]')).backgroundColor")
    assert (white == "rgb(255, 255, 255)") == (scheme == "light"), white
    if url_path in ("/", "/Timeline"):  # charts are drawn after the script ends
        page.locator('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg').first.wait_for()
    if url_path == "/":
        _wait_for_map(page)
    found = {"page": axe_violations(page)}
    if url_path in ("/", "/Regions"):
        found["map frame"] = axe_violations(_wait_for_map(page))
    assert found == {k: [] for k in found}, json.dumps(found, indent=1)


def _wait_for_map(page):
    """The map's frame once Leaflet has drawn the map in it."""
    page.wait_for_selector(MAP_IFRAME)
    frame = map_frame(page)
    frame.wait_for_function("() => window.map && window.L && document.querySelector('.mapdata-legend')")
    return frame


_FOCUS_JS = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) { return "page"; }
    const name = el.getAttribute("aria-label") || el.getAttribute("title") || (el.innerText || el.value || "").trim().split("\\n").pop();
    const kind = el.getAttribute("role") || (el.tagName === "INPUT" ? el.type : el.tagName === "A" ? "link" : el.tagName.toLowerCase());
    const where = el.closest("[data-testid]");
    return `${kind} "${(name || "").slice(0, 70)}"` + (where ? ` [${where.getAttribute("data-testid")}]` : "");
}"""


def _focus(page) -> str:
    """Where the keyboard focus is, in words (inside the map's frame when the frame has it)."""
    text = page.evaluate(_FOCUS_JS)
    if text.startswith("iframe"):
        frame = map_frame(page)
        text = "map frame → " + (frame.evaluate(_FOCUS_JS) if frame else "?")
    return text


def _press(page, key: str, transcript: list[str]) -> str:
    page.keyboard.press(key)
    where = _focus(page)
    transcript.append(f"{key:<12} → {where}")
    return where


def _tab_to(page, wanted: str, transcript: list[str], limit: int = 120) -> None:
    """Press Tab until the focus description contains ``wanted``."""
    for _ in range(limit):
        if wanted in _press(page, "Tab", transcript):
            return
    raise AssertionError(f"{wanted!r} not reached by Tab in {limit} presses:\n" + "\n".join(transcript[-40:]))


def test_keyboard_only_walk_filters_opens_a_record_and_exports_geojson(new_page, server, dataset, colours):
    """Issue 19: no mouse. Tab to the Regions filter and choose Kalbajar; Tab to the events table
    under the map, arrow to the first row and select it (Shift+Space): the record opens and the map
    centres on the incident; Tab to the Data & export page and download the GeoJSON."""
    import mapdata
    from mapdata import stats

    kept = mapdata.filter_events(dataset.events, mapdata.FilterSpec(regions=("Kalbajar",)), dataset.regions)
    transcript: list[str] = []
    page = new_page(reduced_motion="reduce")
    page.goto(server.url + "/")
    wait_for_page(page)
    wait_for_incidents(page, len(dataset.events), colours)

    _tab_to(page, 'combobox "Regions"', transcript)
    for key in ["K", "a", "l", "b", "a", "j", "a", "r", "ArrowDown", "Enter", "Escape"]:
        _press(page, key, transcript)
    expect(events_metric(page)).to_have_text(str(len(kept)))
    wait_for_page(page)
    wait_for_incidents(page, len(kept), colours)
    transcript.append(f"(headline: {len(kept)} events; URL region={page.url.split('region=')[1].split('&')[0]})")

    _tab_to(page, "[data-grid-canvas]", transcript)
    page.keyboard.press("ArrowDown")
    page.wait_for_function("() => document.activeElement && document.activeElement.getAttribute('role') === 'gridcell'")
    cell = _focus(page)  # a cell of the event column: 'gridcell "AZARM-0065" [...]'
    transcript.append(f"{'ArrowDown':<12} → {cell}")
    first = cell.split('"')[1]
    assert cell.startswith("gridcell") and first in set(stats.event_table(kept)["event"]), cell
    row = kept[kept["event_id"] == first].iloc[0]
    _press(page, "Shift+Space", transcript)
    expect(page.locator("dl.incident-details dd").filter(has_text=first).first).to_be_attached()
    cells = details_cells(page)
    assert dict(zip(cells[0::2], cells[1::2])) == stats.event_details(dataset.events, first)
    frame = map_frame(page)
    frame.wait_for_function("([lat, lon]) => Math.abs(window.map.getCenter().lat - lat) < 1e-4"
                            " && Math.abs(window.map.getCenter().lng - lon) < 1e-4", arg=[row["latitude"], row["longitude"]])
    transcript.append(f"(record {first} shown; map centred on {row['latitude']:.4f}, {row['longitude']:.4f},"
                      f" zoom {frame.evaluate('() => window.map.getZoom()')})")

    _tab_to(page, 'link "Data & export"', transcript, limit=200)
    _press(page, "Enter", transcript)
    page.wait_for_function("() => document.title.startsWith('Data & export')")
    wait_for_page(page)
    expect(events_metric(page)).to_have_text(str(len(kept)))
    _tab_to(page, 'button "GeoJSON (RFC 7946)"', transcript)
    with page.expect_download() as download_info:
        _press(page, "Enter", transcript)
    collection = json.loads(open(download_info.value.path(), encoding="utf-8").read())
    assert sorted(f["properties"]["event_id"] for f in collection["features"]) == sorted(kept["event_id"])
    transcript.append(f"(downloaded {download_info.value.suggested_filename}: {len(collection['features'])} features)")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "keyboard-walk.txt").write_text("\n".join(transcript) + "\n", encoding="utf-8")


def test_dragging_across_the_timeline_sets_the_date_range(new_page, server, dataset, colours):
    """Issue 16 item 2: a drag across the timeline under the map selects the months it touches:
    the URL's from/to, the sidebar's slider, the headline and the map follow."""
    from datetime import date, timedelta

    import mapdata

    page = new_page()
    page.goto(server.url + "/")
    wait_for_page(page)
    wait_for_incidents(page, len(dataset.events), colours)
    wait_for_page(page)  # the map's first answer reruns its fragment, timeline included
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    chart.scroll_into_view_if_needed()
    expect(chart.locator("canvas").first).to_be_attached()
    page.wait_for_timeout(500)
    box = chart.bounding_box()
    y = box["y"] + box["height"] * 0.4
    page.mouse.move(box["x"] + box["width"] * 0.35, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=8)
    page.mouse.up()
    page.wait_for_function("() => new URLSearchParams(location.search).has('from')")
    wait_for_page(page)
    params = dict(p.split("=") for p in page.url.split("?", 1)[1].split("&"))
    first, last = date.fromisoformat(params["from"]), date.fromisoformat(params["to"])
    assert first.day == 1 and (last + timedelta(days=1)).day == 1, "whole months"
    expected = mapdata.filter_events(dataset.events, mapdata.FilterSpec(date_from=first, date_to=last), dataset.regions)
    assert 0 < len(expected) < len(dataset.events)
    expect(events_metric(page)).to_have_text(str(len(expected)))
    assert page.locator('[data-testid="stSliderThumbValue"]').all_inner_texts() == [str(first), str(last)]
    wait_for_incidents(page, len(expected), colours)


@pytest.mark.parametrize("url_path", ["/", "/Regions"])
def test_compare_mode_from_a_link_matches_the_library(new_page, server, dataset, url_path):
    """Issue 16 item 5: a link with compare mode on shows the library's per-region change, the
    map fills each region with its band's colour, and the CSV download is offered."""
    from datetime import date

    from mapdata import compare
    from mapdata.layers import symbology

    page = new_page()
    page.goto(f"{server.url}{url_path}?from=2022-01-01&to=2022-12-31&compare=true")
    wait_for_page(page)
    periods = compare.Periods(a=(date(2022, 1, 1), date(2022, 12, 31)), b=(date(2021, 1, 1), date(2021, 12, 31)))
    expected = compare.compare_regions(dataset.events, dataset.regions, periods)
    expect(page.get_by_text(periods.describe()).first).to_be_visible()
    expect(page.get_by_role("button", name="Download the comparison (CSV)")).to_be_visible()
    assert "compare=true" in page.url
    frame = _wait_for_map(page)
    fills = [c.upper() for c in symbology.CHANGE_COLOURS.values()]
    frame.wait_for_function("""([fills, n]) => [...document.querySelectorAll("path.leaflet-interactive")]
        .filter((el) => fills.includes((el.getAttribute("fill") || "").toUpperCase())).length >= n""", arg=[fills, len(expected)])
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the comparison (CSV)").click()
    assert open(download_info.value.path(), "rb").read() == compare.comparison_csv(expected, periods)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"compare{url_path.replace('/', '-') or '-'}.png"))


def test_no_request_left_the_machine(external):
    """Runs last: nothing above was fetched from the internet (axe-core is injected inline)."""
    assert external.urls == []
