"""Map layers rendered by real folium; assertions on the HTML/JS the browser gets."""

from __future__ import annotations

from pathlib import Path

import folium
import folium.plugins
import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, box

from mapdata import layers
from mapdata.assets import external_urls, use_local_assets
from mapdata.errors import GeoDataError, MissingColumnsError
from mapdata.layers import incidents, symbology

DATA = Path(__file__).parent / "data"
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


@pytest.fixture
def regions() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "region_id": ["R1", "R2", "R3"],
            "name_en": ["Tovuz District", "Tavush", "Kalbajar District"],
            "names_alt": ["Tovuz", "Tavush Province|Տավուշ", "Karvachar|<b>bold</b>"],
            "country_iso3": ["AZE", "ARM", "AZE"],
            "admin_level": ["ADM2", "ADM1", "ADM2"],
            "source": ["geoBoundaries"] * 3,
            "licence": ["CC BY-SA 3.0", "ODbL 1.0", "CC BY-SA 3.0"],
        },
        geometry=[box(45.5, 40.8, 45.7, 41.0), box(45.3, 40.8, 45.5, 41.0), box(45.8, 39.9, 46.3, 40.3)],
        crs="EPSG:4326",
    )


@pytest.fixture
def border() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": ["Test border line"]}, geometry=[LineString([(45.5, 40.8), (45.52, 41.0)])], crs="EPSG:4326")


@pytest.fixture
def local_assets(monkeypatch):
    """use_local_assets() changes class attributes; monkeypatch restores them after the test."""
    for cls in (folium.Map, folium.plugins.HeatMap):
        monkeypatch.setattr(cls, "default_js", cls.default_js)
        monkeypatch.setattr(cls, "default_css", cls.default_css)
    use_local_assets("/app/static/vendor")


def _features(group: folium.FeatureGroup) -> list[dict]:
    """Features of the interactive incident GeoJson (the last GeoJson in the group)."""
    geojsons = [c for c in group._children.values() if isinstance(c, folium.GeoJson)]
    return geojsons[-1].data["features"]


def _render(events, regions, border) -> tuple[folium.Map, str]:
    m = layers.base_map(regions.total_bounds)
    for group in (layers.region_layer(regions), layers.border_layer(border), layers.incident_layer(events), layers.heat_layer(events)):
        group.add_to(m)
    return m, m.get_root().render()


def test_one_feature_per_event_with_only_popup_properties(events):
    features = _features(layers.incident_layer(events))
    assert len(features) == len(events)
    assert {f["properties"]["id"] for f in features} == set(events["event_id"])
    assert all(set(f["properties"]) == {"id", "c", "k", "r", "p", "tip", "pop"} for f in features)
    lon, lat = features[0]["geometry"]["coordinates"]
    assert lon == round(lon, 5) and lat == round(lat, 5)


def test_precision_symbols_and_uncertainty_circles(events):
    group = layers.incident_layer(events)
    html = folium.Map(tiles=None).add_child(group).get_root().render()
    # the browser styles markers from the symbology table (evaluated in node: test_layers_symbology.py)
    assert symbology.table_json() in html and incidents.POINT_TO_LAYER_JS in html and incidents.UNCERTAINTY_CIRCLE_JS in html
    assert symbology.PRECISION_STYLES[3]["dashArray"] == "3 3" and symbology.PRECISION_STYLES[3]["fillOpacity"] == 0  # hollow dashed ring
    assert '"uncertainty_radius_m":%d' % layers.UNCERTAINTY_RADIUS_M in html and "interactive: false" in html
    geojsons = [c for c in group._children.values() if isinstance(c, folium.GeoJson)]
    halos = geojsons[0].data["features"]
    assert len(halos) == int((events["geo_precision"] == 3).sum())
    by_id = {f["properties"]["id"]: f["properties"] for f in _features(group)}
    assert by_id["AZARM-0005"]["p"] == 1 and by_id["AZARM-0070"]["p"] == 3
    assert "region only" in by_id["AZARM-0070"]["pop"] and "(month only)" in by_id["AZARM-0070"]["pop"]


def test_fatalities_drive_radius_and_missing_figure_has_black_ring(events):
    by_id = {f["properties"]["id"]: f["properties"] for f in _features(layers.incident_layer(events))}
    assert by_id["AZARM-0066"]["r"] > by_id["AZARM-0001"]["r"] > by_id["AZARM-0005"]["r"]  # 392 > 4 > 1
    assert by_id["AZARM-0002"]["k"] == layers.NO_FIGURE_RING
    assert "no figure known" in by_id["AZARM-0002"]["pop"]
    assert by_id["AZARM-0001"]["c"] == layers.TYPE_COLOURS["Battles"]


def test_data_text_is_escaped_and_only_web_links_survive(events):
    events = events.copy()
    events.loc[0, "fatalities_note"] = HOSTILE
    events.loc[0, "location"] = HOSTILE
    events.loc[1, "source_url"] = "javascript:alert(3)"
    events.loc[2, "source_url"] = 'https://example.org/a"onmouseover="x'
    by_id = {f["properties"]["id"]: f["properties"] for f in _features(layers.incident_layer(events))}
    first = by_id[events.loc[0, "event_id"]]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in first["pop"]
    assert "<script>" not in first["pop"] + first["tip"] and "<img" not in first["pop"] + first["tip"]
    assert "javascript:" not in by_id[events.loc[1, "event_id"]]["pop"]
    assert 'href="https://example.org/a&quot;onmouseover=&quot;x"' in by_id[events.loc[2, "event_id"]]["pop"]
    html = folium.Map(tiles=None).add_child(layers.incident_layer(events)).get_root().render()
    assert HOSTILE not in html and "alert(1)</script>" not in html


def test_missing_derived_and_optional_columns_are_treated_as_empty(events):
    slim = events[["event_id", "event_type", "geo_precision", "geometry"]]
    props = _features(layers.incident_layer(slim))[0]["properties"]
    assert "no figure known" in props["pop"] and "Region:" not in props["pop"]


def test_full_map_renders_legend_border_regions_and_attribution(events, regions, border):
    _, html = _render(events, regions, border)
    assert "Location certainty" in html and "region only (reference point, not the incident site)" in html
    assert layers.border_tooltip(border) == "Test border line" and "Test border line" in html  # named by its own name
    assert "geoBoundaries" in html and "ODbL" in html and "CC BY-SA" in html
    assert "L.heatLayer" in html
    assert "tile.openstreetmap.org" not in html  # no base map by default


def test_tiles_are_opt_in(regions):
    html = layers.base_map(regions.total_bounds, tiles=True).get_root().render()
    assert "tile.openstreetmap.org" in html


def test_no_cdn_urls_after_use_local_assets(events, regions, border, local_assets):
    m, html = _render(events, regions, border)
    assert external_urls(m) == []
    assert "https://cdn" not in html and "cdnjs" not in html and "code.jquery.com" not in html
    assert '<script src="/app/static/vendor/leaflet-1.9.3/dist/leaflet.js"></script>' in html


def test_region_tooltips_escape_alternative_names(regions):
    features = layers.region_layer(regions)._children
    data = next(c for c in features.values() if isinstance(c, folium.GeoJson)).data
    tip = next(f["properties"]["tip"] for f in data["features"] if f["properties"]["region_id"] == "R3")
    assert "Kalbajar District" in tip and "Karvachar" in tip and "&lt;b&gt;bold&lt;/b&gt;" in tip


def test_choropleth_fills_regions_with_counts_and_adds_legend(regions):
    group = layers.region_layer(regions, pd.Series({"R1": 12, "R3": 2}), "fatalities")
    data = next(c for c in group._children.values() if isinstance(c, folium.GeoJson)).data
    style = {f["properties"]["region_id"]: f["properties"]["style"] for f in data["features"]}
    assert style["R2"]["fillOpacity"] == 0  # not in counts: 0, unfilled
    assert style["R1"]["fillColor"] != style["R3"]["fillColor"]
    html = folium.Map(tiles=None).add_child(group).get_root().render()
    assert "fatalities per region" in html


def test_heat_layer_hidden_by_default_and_weighted(events):
    group = layers.heat_layer(events, weight_by_fatalities=True)
    assert group.show is False
    heat = next(c for c in group._children.values() if isinstance(c, folium.plugins.HeatMap))
    assert len(heat.data) == len(events) and all(len(p) == 3 for p in heat.data)


def test_event_id_from_tooltip(events):
    tip = _features(layers.incident_layer(events))[0]["properties"]["tip"]
    assert layers.event_id_from_tooltip(tip) == _features(layers.incident_layer(events))[0]["properties"]["id"]
    assert layers.event_id_from_tooltip(None) is None


def test_inputs_are_guarded(events, regions):
    with pytest.raises(GeoDataError, match="to_crs"):
        layers.incident_layer(events.to_crs("EPSG:32638"))
    with pytest.raises(MissingColumnsError, match="geo_precision"):
        layers.incident_layer(events.drop(columns="geo_precision"))
    with pytest.raises(GeoDataError, match="bounds"):
        layers.base_map([46, 41, 45, 40])


def test_rows_without_points_are_skipped_with_a_warning(events):
    events = events.copy()
    events.loc[events.index[0], "geometry"] = None
    with pytest.warns(UserWarning, match=events.loc[events.index[0], "event_id"]):
        features = _features(layers.incident_layer(events))
    assert len(features) == len(events) - 1


def test_details_html_escapes_every_value_and_links_only_http():
    from mapdata.layers import details_html

    record = {"Notes": "<script>alert(1)</script>\nsecond line", "Source URL": "https://example.org/a?b=1&c=2"}
    text = details_html(record)
    assert "<script>" not in text and "&lt;script&gt;" in text and "<br>second line" in text
    assert '<a href="https://example.org/a?b=1&amp;c=2"' in text
    hostile = details_html({"Source URL": "javascript:alert(1)"})
    assert "<a " not in hostile and "javascript:alert(1)" in hostile


def test_region_outlines_are_simplified_for_display_only():
    import folium

    from mapdata import load_regions
    from mapdata.layers import region_layer

    regions = load_regions()
    m = folium.Map(tiles=None)
    region_layer(regions).add_to(m)
    html_size = len(m.get_root().render())
    assert html_size < 0.7 * len(regions.to_json()), "the browser gets lighter outlines than the join uses"
    assert regions.geometry.is_valid.all()


def test_a_window_shows_its_first_and_last_day(data_dir):
    from mapdata.layers.frames import dates
    from mapdata.layers.popups import popup
    from mapdata.load import load_events

    events = load_events(data_dir / "formats" / "ucdp_ged19.csv", geocode=False).events
    labels = dates(events)
    assert labels[0] == "2015-05-11" and labels[3] == "2015-01-01 – 2015-12-31"
    row = {name: str(events[name].iloc[3]) for name in ("event_id", "event_type", "sub_event_type", "location",
                                                         "fatalities_note", "source", "source_url", "date_precision")}
    row.update(region_name="", region_country="")
    assert "<b>Date:</b> 2015-01-01 – 2015-12-31 (somewhere in this window)" in popup(row, labels[3], 10, 3)


def test_base_map_draws_the_country_outlines_of_the_geography():
    from mapdata.geo import load_countries

    countries = load_countries()
    html = layers.base_map(tuple(countries.total_bounds), countries=countries).get_root().render()
    assert html.count('"color": "#4D4D4D"') == len(countries) and '"fill": false' in html
    assert "#4D4D4D" not in layers.base_map(tuple(countries.total_bounds)).get_root().render()


def test_only_a_shape_drawn_with_the_toolbar_is_an_area():
    html = layers.add_draw_control(folium.Map(tiles=None)).get_root().render()
    assert '"rectangle"' in html and '"polyline": false' in html and '"circle": false' in html
    assert '{"mapdata": "drawn area"}' in html
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    assert layers.is_drawn_area({"type": "Feature", "properties": {"mapdata": "drawn area"}, "geometry": square})
    assert not layers.is_drawn_area({"type": "Feature", "properties": {"region_id": "AZE-1"}, "geometry": square})
    assert not layers.is_drawn_area({"type": "Feature", "properties": {"id": "E1"}, "geometry": {"type": "Point", "coordinates": [0, 0]}})
    assert not layers.is_drawn_area(None)
