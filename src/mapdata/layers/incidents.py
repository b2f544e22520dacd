"""The incident layer: one renderer chosen by how many events are drawn.

Up to ``DETAIL_LIMIT`` events each marker carries its popup (SVG, one GeoJSON layer, plus faint
uncertainty circles for region-only points); up to ``POINT_LIMIT`` they are drawn on a canvas from
compact columns (:mod:`mapdata.layers.canvas`; the full record is shown by the app on click); up to
``WEBGL_LIMIT`` as WebGL points from typed arrays (:mod:`mapdata.layers.webgl`); above that, or
when the reader asks to aggregate, the events are counted in grid cells. ``in_view`` picks the
events of the visible map area so that a zoomed-in view of grid cells shows single incidents again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from mapdata.layers import symbology as sym
from mapdata.layers.canvas import canvas_layer, cell_layer
from mapdata.layers.elements import RawScriptGeoJson
from mapdata.layers.frames import COORD_DECIMALS, check_events, dates, fatalities, has_point, precision, text, xy
from mapdata.layers.legend import Legend, legend_html
from mapdata.layers.popups import popup, tooltip
from mapdata.layers.webgl import webgl_layer

DETAIL_LIMIT = 2_000
"""Up to this many events, every marker carries its popup (SVG paths, one GeoJSON layer)."""
POINT_LIMIT = 20_000
"""Up to this many events, single markers on a canvas; above, WebGL points."""
WEBGL_LIMIT = 1_000_000
"""Up to this many events, single WebGL points; above, grid cells (server-side counts)."""
_TOOLTIP_ID = re.compile(r"^\s*([A-Za-z0-9_.:-]+)\s*·")
_TOOLTIP_ROW = re.compile(r"^\s*#(\d+)\s*·")

POINT_TO_LAYER_JS = sym.closed_over_table(
    """function(feature, latlng) {
        var p = feature.properties;
        return L.circleMarker(latlng, markerOptions({radius: p.r, color: p.k, fillColor: p.c}, p.p));
    }"""
)
"""A single-incident marker from its feature: radius, ring and fill computed in Python, the
precision style from the symbology table."""
UNCERTAINTY_CIRCLE_JS = sym.closed_over_table(
    """function(feature, latlng) {
        return L.circle(latlng, Object.assign(
            {radius: S.uncertainty_radius_m, color: feature.properties.c, interactive: false}, S.uncertainty));
    }"""
)
_BIND_POPUP = folium.JsCode(
    """function(feature, layer) {
    layer.bindPopup(feature.properties.pop, {maxWidth: 340});
    layer.bindTooltip(feature.properties.tip);
}"""
)


def incident_layer(events: gpd.GeoDataFrame, name: str = "Incidents", aggregate: bool = False) -> folium.FeatureGroup:
    """One GeoJSON layer of circle markers (plus faint uncertainty circles) and its legend; canvas
    points above ``DETAIL_LIMIT`` events, WebGL points above ``POINT_LIMIT``, grid cells above
    ``WEBGL_LIMIT`` or with ``aggregate``.

    ``events`` is a point GeoDataFrame in EPSG:4326 with the schema's columns; missing optional
    columns are treated as empty. Rows without a point geometry are skipped with a warning.
    """
    events = check_events(events)
    if aggregate or len(events) > WEBGL_LIMIT:
        return cell_layer(events, name)
    if len(events) > POINT_LIMIT:
        return webgl_layer(events, name)
    if len(events) > DETAIL_LIMIT:
        return canvas_layer(events, name)
    group = folium.FeatureGroup(name=name)
    vague = events[precision(events) == 3]
    if len(vague):
        RawScriptGeoJson(
            _points(vague, _halo_properties), name=f"{name}: location uncertainty", control=False,
            point_to_layer=folium.JsCode(UNCERTAINTY_CIRCLE_JS), interactive=False,
        ).add_to(group)
    RawScriptGeoJson(
        _points(events, _incident_properties), name=name, control=False,
        point_to_layer=folium.JsCode(POINT_TO_LAYER_JS), on_each_feature=_BIND_POPUP,
    ).add_to(group)
    Legend(legend_html(), position="bottomright").add_to(group)
    return group


def in_view(events: gpd.GeoDataFrame, bounds: dict | Sequence[float] | None) -> gpd.GeoDataFrame:
    """The events inside ``bounds`` when they are few enough to draw one by one (``POINT_LIMIT``),
    otherwise all ``events`` (which ``incident_layer`` then counts in grid cells).

    ``bounds`` is (min lon, min lat, max lon, max lat) or st_folium's
    ``{"_southWest": {"lat", "lng"}, "_northEast": {...}}``; None keeps all events.
    """
    if bounds is None or len(events) <= POINT_LIMIT:
        return events
    if isinstance(bounds, dict):
        try:
            sw, ne = bounds["_southWest"], bounds["_northEast"]
            bounds = (sw["lng"], sw["lat"], ne["lng"], ne["lat"])
        except (KeyError, TypeError):
            return events
    west, south, east, north = (float(v) for v in bounds)
    x, y = xy(events)
    inside = (x >= west) & (x <= east) & (y >= south) & (y <= north)
    return events[inside] if inside.sum() <= POINT_LIMIT else events


def event_id_from_tooltip(text: str | None, drawn: pd.DataFrame | None = None) -> str | None:
    """The event_id at the start of an incident tooltip (st_folium's ``last_object_clicked_tooltip``);
    a WebGL point's tooltip names its row (``#12 · …``) among the events of ``drawn`` (the frame the
    layer was made of) that have a point."""
    if drawn is not None and (row := _TOOLTIP_ROW.match(text or "")):
        index, ids = int(row.group(1)), drawn["event_id"][has_point(drawn).to_numpy()]
        return str(ids.iloc[index]) if index < len(ids) else None
    match = _TOOLTIP_ID.match(text or "")
    return match.group(1) if match else None


def _points(events: gpd.GeoDataFrame, properties) -> dict:
    """A FeatureCollection with rounded coordinates, large markers first so small ones stay clickable."""
    props = properties(events)
    order = np.argsort(-np.array([p.get("r", 0) for p in props]), kind="stable")
    x, y = xy(events)
    xs, ys = np.round(x, COORD_DECIMALS), np.round(y, COORD_DECIMALS)
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": props[i], "geometry": {"type": "Point", "coordinates": [float(xs[i]), float(ys[i])]}}
            for i in order
        ],
    }


def _halo_properties(events: gpd.GeoDataFrame) -> list[dict]:
    return [{"c": sym.TYPE_COLOURS.get(t, sym.OTHER_COLOUR)} for t in text(events, "event_type")]


def _incident_properties(events: gpd.GeoDataFrame) -> list[dict]:
    deaths_known = fatalities(events).to_numpy()
    precisions = precision(events).to_numpy(dtype="int64")
    columns = {name: text(events, name) for name in (
        "event_id", "event_type", "sub_event_type", "location", "fatalities_note", "source", "source_url",
        "date_precision", "region_name", "region_country",
    )}
    event_dates = dates(events)
    props = []
    for i in range(len(events)):
        row = {name: values[i] for name, values in columns.items()}
        deaths = None if np.isnan(deaths_known[i]) else int(deaths_known[i])
        colour = sym.TYPE_COLOURS.get(row["event_type"], sym.OTHER_COLOUR)
        props.append({
            "id": row["event_id"],
            "c": colour,
            "k": sym.NO_FIGURE_RING if deaths is None else colour,
            "r": round(sym.radius(deaths), 1),
            "p": int(precisions[i]),
            "tip": tooltip(row, event_dates[i]),
            "pop": popup(row, event_dates[i], deaths, int(precisions[i])),
        })
    return props
