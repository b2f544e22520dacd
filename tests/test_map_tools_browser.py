"""The map's own tools in a real browser (offline): drawing the area filter (counts checked
against the library), the WebGL point layer, and "Download map image"."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from browser_support import (
    ARTIFACTS, MAP_IFRAME, RERUN_TIMEOUT_MS, click_picked_incident, events_metric, local_only_context, map_frame,
    pick_incident, query, served_browser, wait_for_page,
)

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
    with served_browser(ARTIFACTS / "streamlit-map-tools.log") as both:
        yield both


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
    pick_incident(page)
    click_picked_incident(page)  # streamlit-folium reports a clicked marker as its last drawing too: not an area
    page.locator("dl.incident-details").wait_for()
    wait_for_page(page)
    assert "area" not in query(page) and page.get_by_text("The drawn shape").count() == 0
    map_frame(page).evaluate("() => window.map.closePopup()")
    page.locator(MAP_IFRAME).scroll_into_view_if_needed()
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


def test_the_webgl_layer_draws_every_point_and_a_click_names_its_event(browser_and_server, dataset, tmp_path, monkeypatch):
    """The layer alone on a page (the app uses it above POINT_LIMIT events; the embedded data has fewer)."""
    import folium.plugins

    from mapdata import assets, layers
    from mapdata.layers.webgl import webgl_layer

    for cls in (folium.Map, folium.plugins.HeatMap, folium.plugins.Draw):  # use_local_assets changes them for the process
        monkeypatch.setattr(cls, "default_js", cls.default_js)
        monkeypatch.setattr(cls, "default_css", cls.default_css)
    browser, _ = browser_and_server
    events = dataset.events
    assets.use_local_assets(str(assets.asset_files()[0].parents[2]))  # file:// page: absolute local paths
    m = layers.base_map((44.0, 38.5, 47.5, 41.5))
    webgl_layer(events, "Incidents").add_to(m)
    page_file = tmp_path / "webgl.html"
    page_file.write_text(m.get_root().render(), encoding="utf-8")
    context, elsewhere = browser.new_context(), []
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://")
                  else (elsewhere.append(route.request.url), route.abort()))
    page = context.new_page()
    page.goto(page_file.as_uri())
    page.wait_for_function("() => window.webglPoints && window.webglPoints.drawn !== undefined")
    count, drawn, failed = page.evaluate("() => [webglPoints.count, webglPoints.drawn, webglPoints.failed || null]")
    assert failed is None and count == drawn == len(events)
    painted = page.evaluate("""() => {
        const gl = webglPoints._gl, w = gl.drawingBufferWidth, h = gl.drawingBufferHeight, px = new Uint8Array(4 * w * h);
        gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, px);
        let n = 0; for (let i = 3; i < px.length; i += 4) { if (px[i] > 0) { n += 1; } }
        return n;
    }""")
    assert painted > 100, "the points are on the canvas"
    page.screenshot(path=str(SHOTS / "webgl-layer.png"))
    row = int(events.index.get_indexer([events[events["geo_precision"] == 1].index[0]])[0])
    x, y = page.evaluate(f"""() => {{
        const ll = L.latLng({events['latitude'].iloc[row]}, {events['longitude'].iloc[row]});
        const p = webglPoints._map.latLngToContainerPoint(ll), r = webglPoints._map.getContainer().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y];
    }}""")
    page.mouse.click(x, y)
    tip = page.evaluate("() => webglPoints._marker && String(webglPoints._marker.getTooltip().getContent())")
    assert tip and tip.startswith("#"), tip
    picked = layers.event_id_from_tooltip(tip, events)
    lon, lat = events.set_index("event_id").loc[picked, ["longitude", "latitude"]]
    assert abs(lon - events["longitude"].iloc[row]) < 1e-3 and abs(lat - events["latitude"].iloc[row]) < 1e-3, (picked, row)
    assert elsewhere == []
    context.close()


def test_download_map_image_gives_a_png_of_the_map_with_filters_and_credits(browser_and_server, dataset, tmp_path):
    import struct

    from PIL import Image

    browser, server = browser_and_server
    page = local_only_context(browser).new_page()
    page.set_default_timeout(RERUN_TIMEOUT_MS)
    page.goto(server.url + "/?type=Battles")
    wait_for_page(page)
    page.locator(MAP_IFRAME).scroll_into_view_if_needed()
    button = page.frame_locator(MAP_IFRAME).get_by_role("button", name="Download map image")
    with page.expect_download() as download:
        button.click()
    target = tmp_path / download.value.suggested_filename
    download.value.save_as(target)
    data = target.read_bytes()
    assert target.name == "conflict-incident-map.png" and data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    size = map_frame(page).evaluate("() => [window.map.getContainer().clientWidth, window.map.getContainer().clientHeight]")
    assert width == size[0] > 600 and size[1] + 20 < height < size[1] + 120, "the map, and the caption band above it"
    image = Image.open(target).convert("RGB")
    colours = image.getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50, "a drawn map, not a blank frame"
    battles = tuple(int("D55E00"[i:i + 2], 16) for i in (0, 2, 4))
    assert any(sum(abs(a - b) for a, b in zip(colour, battles)) < 40 for _, colour in colours), "incident markers are in the image"
    assert map_frame(page).evaluate("() => document.querySelectorAll('.mapdata-snapshot-caption').length") == 0
    image.save(SHOTS / "map-image.png")


def test_cumulative_playback_draws_everything_up_to_each_frame(browser_and_server, dataset):
    from browser_support import wait_for_incidents
    from mapdata import layers, stats

    browser, server = browser_and_server
    colours = [*layers.TYPE_COLOURS.values(), layers.OTHER_COLOUR]
    head = stats.headline(dataset.events)
    windows = stats.time_windows(head.first, head.last, "month")
    page = local_only_context(browser).new_page()
    page.set_default_timeout(RERUN_TIMEOUT_MS)
    page.goto(server.url)
    wait_for_page(page)
    page.get_by_text("Time window", exact=True).click()
    page.get_by_text("cumulative", exact=True).click()
    wait_for_page(page)
    slider = page.locator('[data-testid="stMain"] input[type="range"][aria-label="Window"]')
    for frame in (3, 7):
        slider.focus()
        while int(slider.input_value()) < frame:
            slider.press("ArrowRight")
        wait_for_page(page)
        shown = stats.frame_events(dataset.events, windows[frame], "cumulative")
        label = f"Up to window {frame + 1} of {len(windows)}: {windows[0][0]} → {windows[frame][1]} · {len(shown)} of {len(dataset.events)} events"
        expect(page.get_by_text(label)).to_be_visible()
        wait_for_incidents(page, len(shown), colours)
    page.screenshot(path=str(SHOTS / "playback-cumulative.png"), full_page=True)
