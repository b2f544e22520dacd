"""Our folium subclasses: they write what folium writes (only faster, or zoomable), and a folium
upgrade that changes what they rely on fails here, loudly, instead of silently on the map."""

from __future__ import annotations

import json
import re

import folium
import geopandas as gpd
import pytest
from shapely.geometry import LineString, box

from mapdata import layers
from mapdata.layers import elements, incidents, regions

_ID = re.compile(r"_[0-9a-f]{32}")
_VIEWPORT = re.compile(r"<meta\s+name=\"viewport\"[^>]*>")


def _same_ids(html: str) -> str:
    """Element ids numbered in order of appearance, so two renders of equal maps compare equal."""
    seen: dict[str, str] = {}
    return _ID.sub(lambda m: seen.setdefault(m.group(0), f"_{len(seen)}"), html)


def _page(geojson_class: type, data: dict, **options) -> str:
    m = folium.Map(location=[40, 45], tiles=None)
    group = folium.FeatureGroup(name="g").add_to(m)
    geojson_class(data, **options).add_to(group)
    return _same_ids(m.get_root().render())


def _incident_data(events: gpd.GeoDataFrame) -> dict:
    group = layers.incident_layer(events)
    return next(c for c in reversed(group._children.values()) if isinstance(c, folium.GeoJson)).data


def _region_data() -> dict:
    frame = gpd.GeoDataFrame({"region_id": ["R1"], "name_en": ["Tavush"]}, geometry=[box(45.3, 40.8, 45.5, 41.0)], crs="EPSG:4326")
    group = layers.region_layer(frame)
    return next(c for c in group._children.values() if isinstance(c, folium.GeoJson)).data


@pytest.mark.parametrize("case", ["incidents", "regions", "border", "hidden"])
def test_raw_script_geojson_writes_exactly_what_folium_geojson_writes(case, events):
    border = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": LineString([(45.5, 40.8), (45.52, 41.0)]).__geo_interface__}]}
    data, options = {
        "incidents": (_incident_data(events), {"point_to_layer": folium.JsCode(incidents.POINT_TO_LAYER_JS), "on_each_feature": incidents._BIND_POPUP}),
        "regions": (_region_data(), {"on_each_feature": regions._BIND_TOOLTIP}),
        "border": (border, {"tooltip": folium.Tooltip(layers.border_tooltip(border), sticky=True)}),
        "hidden": (border, {"show": False, "interactive": False}),
    }[case]
    ours = _page(elements.RawScriptGeoJson, data, name=case, control=False, **options)
    folium_own = _page(folium.GeoJson, data, name=case, control=False, **options)
    assert ours == folium_own, "folium.GeoJson's render changed: update RawScriptGeoJson.render (mapdata/layers/elements.py)"


def test_folium_templates_still_have_the_macros_we_call():
    assert callable(getattr(folium.GeoJson._template.module, "script", None))
    assert callable(getattr(folium.Map._template.module, "header", None))


def test_folium_map_still_blocks_zoom_so_our_override_is_still_needed():
    header = folium.Map(tiles=None).get_root().render()
    (meta,) = _VIEWPORT.findall(header)
    assert "user-scalable=no" in meta, "folium no longer blocks zoom: ZoomableMap (mapdata/layers/elements.py) can go"


def test_the_map_frame_lets_the_reader_zoom():
    m = layers.base_map((44.0, 38.5, 47.5, 41.5))
    html = m.get_root().render()
    assert _VIEWPORT.findall(html) == [elements.ZOOMABLE_VIEWPORT]
    assert "user-scalable" not in html and "maximum-scale" not in html
    frame_header = m.get_root().header.render()  # what streamlit-folium writes into the map's frame
    assert _VIEWPORT.findall(frame_header) == [elements.ZOOMABLE_VIEWPORT]


def test_a_template_without_the_macro_fails_with_a_clear_error():
    class Bare(folium.GeoJson):
        _template = folium.template.Template("{% macro html(this, kwargs) %}{% endmacro %}")

    m = folium.Map(tiles=None)
    geojson = Bare({"type": "FeatureCollection", "features": []}).add_to(m)
    with pytest.raises(RuntimeError, match="no 'script' macro: folium changed"):
        elements.RawScriptGeoJson.render(geojson)


def test_the_map_has_an_accessible_name_and_a_visible_keyboard_focus():
    from mapdata.layers import basemap, symbology

    html = basemap.base_map((44.0, 38.5, 47.0, 41.5)).get_root().render()
    assert 'setAttribute("aria-label", ' + json.dumps(basemap.MAP_LABEL) in html
    assert f".leaflet-container:focus-visible {{ outline: 3px solid {symbology.FOCUS_OUTLINE}" in html
    assert "keyboard: false" not in html.replace('"keyboard": false', "keyboard: false")
