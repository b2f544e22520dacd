"""Map layers: folium pieces built from the event table and the boundary layers.

Each public function takes plain data and returns one folium object, so a page can pass the
layers to ``streamlit_folium.st_folium(base_map(...), feature_group_to_add=[...])`` and tests can
render them with ``m.get_root().render()``.

Uncertainty is drawn, not hidden:

* colour = event type (Okabe–Ito palette, colour-blind safe);
* size = fatalities (area grows with the count); no figure known = small dot with a black ring;
* geo_precision 1 = filled dot, 2 = pale fill with a solid ring, 3 = hollow dashed ring plus a
  faint ~10 km circle, because the point is a reference point for a district, not the site.

Every text that comes from the data is HTML-escaped in Python before it reaches the browser, and
only http(s) links are kept.

Scale: up to ``DETAIL_LIMIT`` events each marker carries its popup (SVG, one GeoJSON layer); up to
``POINT_LIMIT`` they are drawn on a canvas from compact columns (id, type, fatalities, precision,
coordinates; the full record is shown by the app on click); above that the events are counted
in grid cells (``grid_cells``), drawn as one circle per cell whose tooltip says how many of its
events are region-only reference points. ``in_view`` picks the events of the visible map area so
that a zoomed-in view shows single incidents again.
"""

from __future__ import annotations

import html
import json
import math
import re
import warnings
from collections.abc import Sequence
from urllib.parse import urlsplit

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.elements import ElementAddToElement
from folium.template import Template
from folium.utilities import JsCode

from mapdata import schema
from mapdata.errors import GeoDataError, MissingColumnsError

TYPE_COLOURS: dict[str, str] = {
    "Battles": "#D55E00",  # vermillion
    "Explosions/Remote violence": "#0072B2",  # blue
    "Violence against civilians": "#CC79A7",  # reddish purple
    "Protests": "#009E73",  # bluish green
    "Riots": "#E69F00",  # orange
    "Strategic developments": "#56B4E9",  # sky blue
}
"""One Okabe–Ito colour per ACLED event type (schema.EVENT_TYPES)."""

OTHER_COLOUR = "#7F7F7F"
NO_FIGURE_RING = "#000000"
UNCERTAINTY_RADIUS_M = 10_000
"""Radius of the faint circle around a precision-3 (region only) reference point."""

CHOROPLETH_COLOURS: tuple[str, ...] = ("#D9D9D9", "#BDBDBD", "#969696", "#636363")
"""Grey ramp for region fills: no hue, so it never competes with the event-type colours."""

BORDER_TOOLTIP = "Armenia–Azerbaijan state border (derived from geoBoundaries)"
BOUNDARY_ATTRIBUTION = (
    'Boundaries: <a href="https://www.geoboundaries.org" target="_blank" rel="noopener noreferrer">'
    "geoBoundaries</a> (Armenia: OpenStreetMap, ODbL 1.0; Azerbaijan: Wikipedia, CC BY-SA 3.0)"
)
BACKGROUND = "#F4F2EC"
DISPLAY_TOLERANCE_DEG = 0.001
"""Simplification of region outlines sent to the browser (degrees; ~100 m): halves the page's payload."""
DISPLAY_GEOMETRY = "display_geometry"
"""Column that :func:`display_regions` adds: each region's simplified outline as a GeoJSON dict."""

_COORD_DECIMALS = 5
DETAIL_LIMIT = 2_000
"""Up to this many events, every marker carries its popup (SVG paths, one GeoJSON layer)."""
POINT_LIMIT = 20_000
"""Up to this many events, single markers on a canvas; above, grid cells (server-side counts)."""
GRID_TARGET_CELLS = 4_000
"""Aggregated view: the grid is chosen so that about this many cells (at most) are drawn."""
_NO_FIGURE_RADIUS = 4.0
_MAX_RADIUS = 30.0
_EVENT_COLUMNS = ("event_id", "event_type", "geo_precision")
_TOOLTIP_ID = re.compile(r"^\s*([A-Za-z0-9_.:-]+)\s*·")

_POINT_TO_LAYER = JsCode(
    """function(feature, latlng) {
    var p = feature.properties;
    var o = {radius: p.r, color: p.k, fillColor: p.c, weight: 1.5, opacity: 1, fillOpacity: 0.85};
    if (p.p === 2) { o.fillOpacity = 0.3; o.weight = 2; }
    if (p.p === 3) { o.fillOpacity = 0; o.weight = 2; o.dashArray = "3 3"; }
    return L.circleMarker(latlng, o);
}"""
)
_BIND_POPUP = JsCode(
    """function(feature, layer) {
    layer.bindPopup(feature.properties.pop, {maxWidth: 340});
    layer.bindTooltip(feature.properties.tip);
}"""
)
_UNCERTAINTY_CIRCLE = JsCode(
    f"""function(feature, latlng) {{
    return L.circle(latlng, {{radius: {UNCERTAINTY_RADIUS_M}, color: feature.properties.c, weight: 1,
        opacity: 0.7, dashArray: "2 5", fillOpacity: 0.06, interactive: false}});
}}"""
)
_BIND_TOOLTIP = JsCode("function(feature, layer) { layer.bindTooltip(feature.properties.tip, {sticky: true}); }")


# --------------------------------------------------------------------------------------------
# public API


def base_map(bounds: Sequence[float], tiles: bool = False) -> folium.Map:
    """An empty map fitted to ``bounds`` = (min lon, min lat, max lon, max lat), e.g. ``total_bounds``.

    Without tiles (default) the map has a plain background and needs no network at all; with
    ``tiles=True`` it adds OpenStreetMap tiles and their attribution. The geoBoundaries
    attribution is always shown.
    """
    west, south, east, north = _check_bounds(bounds)
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=7,
        tiles="OpenStreetMap" if tiles else None,
        control_scale=True,
        zoom_snap=0.25,
        zoom_delta=0.5,
    )
    m.get_root().header.add_child(Element(f"<style>.leaflet-container {{ background: {BACKGROUND}; }}</style>"))
    _Attribution(BOUNDARY_ATTRIBUTION).add_to(m)
    m.fit_bounds([[south, west], [north, east]])
    return m


def incident_layer(events: gpd.GeoDataFrame, name: str = "Incidents") -> folium.FeatureGroup:
    """One GeoJSON layer of circle markers (plus faint uncertainty circles) and its legend.

    ``events`` is a point GeoDataFrame in EPSG:4326 with the schema's columns; missing optional
    columns are treated as empty. Rows without a point geometry are skipped with a warning.
    """
    events = _check_events(events)
    if len(events) > POINT_LIMIT:
        return _cell_layer(events, name)
    if len(events) > DETAIL_LIMIT:
        return _canvas_layer(events, name)
    group = folium.FeatureGroup(name=name)
    vague = events[_precision(events) == 3]
    if len(vague):
        _GeoJson(
            _points(vague, _halo_properties), name=f"{name}: location uncertainty", control=False,
            point_to_layer=_UNCERTAINTY_CIRCLE, interactive=False,
        ).add_to(group)
    _GeoJson(
        _points(events, _incident_properties), name=name, control=False,
        point_to_layer=_POINT_TO_LAYER, on_each_feature=_BIND_POPUP,
    ).add_to(group)
    _Legend(legend_html(), position="topleft").add_to(group)
    return group


def legend_html() -> str:
    """HTML of the incident legend: event-type colours, size, and the precision symbols."""
    return _legend_box("Incidents", _incident_legend_rows())


def _incident_legend_rows() -> list[str]:
    rows = [_legend_row(_swatch(colour, fill=0.85), html.escape(kind)) for kind, colour in TYPE_COLOURS.items()]
    grey = "#555555"
    rows += [
        "<div style='margin-top:4px'><b>Location certainty</b></div>",
        _legend_row(_swatch(grey, fill=0.85), html.escape(schema.GEO_PRECISION_LABELS[1])),
        _legend_row(_swatch(grey, fill=0.3, weight=2), html.escape(schema.GEO_PRECISION_LABELS[2])),
        _legend_row(_swatch(grey, fill=0, weight=2, dash="3 3", halo=True), html.escape(schema.GEO_PRECISION_LABELS[3])),
        "<div style='margin-top:4px'><b>Fatalities</b>: larger circle = more deaths</div>",
        _legend_row(_swatch(grey, fill=0.85, ring=NO_FIGURE_RING, r=4), "no figure known (black ring)"),
    ]
    return rows


def region_layer(
    regions: gpd.GeoDataFrame,
    counts: pd.Series | None = None,
    value_label: str = "events",
    name: str = "Regions",
) -> folium.FeatureGroup:
    """Region outlines with English and alternative names; a grey choropleth when ``counts`` is given.

    ``counts`` is indexed by ``region_id`` (events or fatalities per region); regions absent from
    it count as 0. ``value_label`` names the value in tooltips and in the small legend. Outlines
    are simplified for display only (``DISPLAY_TOLERANCE_DEG``, about 100 m): the spatial join
    always uses the full geometry. Pass the result of :func:`display_regions` to skip that work on
    every redraw.
    """
    regions = _check_frame(regions, ("region_id", "name_en"), "regions")
    if DISPLAY_GEOMETRY not in regions.columns:
        regions = display_regions(regions)
    values = None if counts is None else _region_values(regions, counts)
    classes = [] if values is None else _classes(values)
    group = folium.FeatureGroup(name=name)
    _GeoJson(
        _region_collection(regions, values, classes, value_label), name=name, control=False,
        on_each_feature=_BIND_TOOLTIP,
    ).add_to(group)
    if values is not None:
        _Legend(_choropleth_legend(classes, value_label), position="bottomleft").add_to(group)
    return group


def display_regions(regions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``regions`` with outlines simplified for display (``DISPLAY_TOLERANCE_DEG``) and their GeoJSON
    geometry ready in the column ``DISPLAY_GEOMETRY``: the part of :func:`region_layer` that never
    changes with the filter, to be computed once per boundary layer and reused."""
    regions = _check_frame(regions, ("region_id", "name_en"), "regions")
    simplified = regions.geometry.simplify(DISPLAY_TOLERANCE_DEG, preserve_topology=True)
    shapes = [None if g is None or g.is_empty else _geometry(g) for g in simplified]
    return regions.assign(geometry=simplified, **{DISPLAY_GEOMETRY: shapes})


def border_layer(border: gpd.GeoDataFrame, name: str = "State border") -> folium.FeatureGroup:
    """The Armenia–Azerbaijan state border as a dark dash-dot line with a tooltip."""
    border = _check_frame(border, (), "border")
    group = folium.FeatureGroup(name=name)
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"style": {"color": "#1A1A1A", "weight": 2.5, "opacity": 0.9, "dashArray": "10 4 2 4"}},
             "geometry": _geometry(g)}
            for g in border.geometry if g is not None and not g.is_empty
        ],
    }
    _GeoJson(collection, name=name, control=False, tooltip=folium.Tooltip(BORDER_TOOLTIP, sticky=True)).add_to(group)
    return group


def heat_layer(events: gpd.GeoDataFrame, weight_by_fatalities: bool = False, name: str = "Heat map") -> folium.FeatureGroup:
    """A Leaflet.heat layer of the events, in its own group that is hidden until switched on.

    With ``weight_by_fatalities`` each event weighs 1 + its fatalities (no figure known = 1).
    """
    events = _check_events(events)
    x, y = _xy(events)
    points = np.round(np.column_stack([y, x]), _COORD_DECIMALS)
    weight = 1 + _fatalities(events).fillna(0).to_numpy(dtype=float) if weight_by_fatalities else None
    if len(events) > DETAIL_LIMIT:  # Leaflet.heat sums weights per pixel: one weighted point per ~100 m is the same picture
        points, weight = _summed(np.round(points, 3), np.ones(len(points)) if weight is None else weight)
    if weight is not None:
        points = np.column_stack([points, weight])
    group = folium.FeatureGroup(name=name, show=False)
    folium.plugins.HeatMap(points.tolist(), radius=18, blur=15, min_opacity=0.3).add_to(group)
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
    x, y = _xy(events)
    inside = (x >= west) & (x <= east) & (y >= south) & (y <= north)
    return events[inside] if inside.sum() <= POINT_LIMIT else events


def grid_cells(events: pd.DataFrame, cell_deg: float | None = None) -> pd.DataFrame:
    """Events counted per square grid cell of ``cell_deg`` degrees (default: chosen so that about
    ``GRID_TARGET_CELLS`` cells cover the events' extent).

    One row per non-empty cell: ``lon``/``lat`` (mean of its events), ``events``,
    ``fatalities`` (known figures only), ``unknown_fatalities``, ``region_only`` (precision-3
    reference points), ``top_type`` and ``top_type_events``.
    """
    columns = ["lon", "lat", "events", "fatalities", "unknown_fatalities", "region_only", "top_type", "top_type_events"]
    if len(events) == 0:
        return pd.DataFrame(columns=columns)
    x, y = _xy(events)
    size = cell_deg or _cell_size(x, y)
    cell_key = np.floor(x / size).astype(np.int64) * 1_000_003 + np.floor(y / size).astype(np.int64)
    cell, cell_keys = pd.factorize(cell_key)  # cells in order of first appearance
    n_cells = len(cell_keys)
    fatalities = _fatalities(events).to_numpy()
    kinds = events["event_type"].fillna("") if "event_type" in events else pd.Series("", index=events.index)
    kind, type_names = pd.factorize(kinds)
    count = np.bincount(cell, minlength=n_cells)
    by_type = np.bincount(cell * len(type_names) + kind, minlength=n_cells * len(type_names)).reshape(n_cells, len(type_names))
    top = by_type.argmax(axis=1)
    table = pd.DataFrame({
        "lon": np.bincount(cell, x, n_cells) / count, "lat": np.bincount(cell, y, n_cells) / count, "events": count,
        "fatalities": np.bincount(cell, np.nan_to_num(fatalities), n_cells).round().astype("int64"),
        "unknown_fatalities": np.bincount(cell, np.isnan(fatalities), n_cells).astype("int64"),
        "region_only": np.bincount(cell, _precision(events).to_numpy() == 3, n_cells).astype("int64"),
        "top_type": np.asarray(type_names, dtype=object)[top],
        "top_type_events": by_type[np.arange(n_cells), top].astype("int64"),
    })
    return table[columns]


def _xy(events: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of the event points, as arrays (vectorised, no per-point Python)."""
    points = events.geometry.array
    return shapely.get_x(points), shapely.get_y(points)


def event_id_from_tooltip(text: str | None) -> str | None:
    """The event_id at the start of an incident tooltip (st_folium's ``last_object_clicked_tooltip``)."""
    match = _TOOLTIP_ID.match(text or "")
    return match.group(1) if match else None


# --------------------------------------------------------------------------------------------
# input checks


def _check_bounds(bounds: Sequence[float]) -> tuple[float, float, float, float]:
    values = tuple(float(v) for v in bounds)
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise GeoDataError(f"bounds must be four finite numbers (min lon, min lat, max lon, max lat), got {bounds!r}")
    west, south, east, north = values
    if west > east or south > north:
        raise GeoDataError(f"bounds must be ordered (min lon, min lat, max lon, max lat), got {bounds!r}")
    return values


def _check_frame(frame: gpd.GeoDataFrame, columns: Sequence[str], what: str) -> gpd.GeoDataFrame:
    if not isinstance(frame, gpd.GeoDataFrame):
        raise GeoDataError(f"{what} must be a GeoDataFrame, got {type(frame).__name__}")
    if frame.crs is not None and not frame.crs.equals(schema.CRS):
        raise GeoDataError(f"{what} has CRS {frame.crs.to_string()}; the map needs {schema.CRS}: use {what}.to_crs('{schema.CRS}')")
    if missing := [c for c in columns if c not in frame.columns]:
        raise MissingColumnsError(f"{what} lacks the column(s) {', '.join(missing)}")
    return frame


def _check_events(events: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    events = _check_frame(events, _EVENT_COLUMNS, "events")
    points = np.asarray(events.geometry.array)
    usable = pd.Series(~shapely.is_missing(points) & ~shapely.is_empty(points) & (shapely.get_type_id(points) == 0),
                       index=events.index)
    if not usable.all():
        skipped = events.loc[~usable, "event_id"].astype(str).tolist()
        warnings.warn(f"Not drawn (no point geometry): {', '.join(skipped[:10])}{' …' if len(skipped) > 10 else ''}", stacklevel=3)
    return events[usable]


# --------------------------------------------------------------------------------------------
# incidents


def _points(events: gpd.GeoDataFrame, properties) -> dict:
    """A FeatureCollection with rounded coordinates, large markers first so small ones stay clickable."""
    props = properties(events)
    order = np.argsort(-np.array([p.get("r", 0) for p in props]), kind="stable")
    x, y = _xy(events)
    xs, ys = np.round(x, _COORD_DECIMALS), np.round(y, _COORD_DECIMALS)
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": props[i], "geometry": {"type": "Point", "coordinates": [float(xs[i]), float(ys[i])]}}
            for i in order
        ],
    }


def _halo_properties(events: gpd.GeoDataFrame) -> list[dict]:
    return [{"c": TYPE_COLOURS.get(t, OTHER_COLOUR)} for t in _text(events, "event_type")]


def _incident_properties(events: gpd.GeoDataFrame) -> list[dict]:
    fatalities = _fatalities(events)
    precision = _precision(events)
    columns = {name: _text(events, name) for name in (
        "event_id", "event_type", "sub_event_type", "location", "fatalities_note", "source", "source_url",
        "date_precision", "region_name", "region_country",
    )}
    dates = _dates(events)
    props = []
    for i in range(len(events)):
        row = {name: values[i] for name, values in columns.items()}
        deaths = None if pd.isna(fatalities.iloc[i]) else int(fatalities.iloc[i])
        colour = TYPE_COLOURS.get(row["event_type"], OTHER_COLOUR)
        props.append({
            "id": row["event_id"],
            "c": colour,
            "k": NO_FIGURE_RING if deaths is None else colour,
            "r": _radius(deaths),
            "p": int(precision.iloc[i]),
            "tip": _tooltip(row, dates[i]),
            "pop": _popup(row, dates[i], deaths, int(precision.iloc[i])),
        })
    return props


def _radius(deaths: int | None) -> float:
    if deaths is None:
        return _NO_FIGURE_RADIUS
    return round(min(_MAX_RADIUS, 5.0 + 1.4 * math.sqrt(max(deaths, 0))), 1)


def _tooltip(row: dict, date: str) -> str:
    parts = [row["event_id"], date, row["event_type"], row["location"]]
    return " · ".join(html.escape(p) for p in parts if p)


def _popup(row: dict, date: str, deaths: int | None, precision: int) -> str:
    e = html.escape
    lines = [f"<b>{e(row['event_type'] or 'Unknown type')}</b>" + (f" – {e(row['sub_event_type'])}" if row["sub_event_type"] else "")]
    lines.append(f"<b>Date:</b> {e(_date_label(date, row['date_precision']))}")
    if row["location"]:
        lines.append(f"<b>Location:</b> {e(row['location'])}")
    lines.append(f"<b>Location certainty:</b> {e(schema.GEO_PRECISION_LABELS.get(precision, 'unknown'))}")
    if row["region_name"]:
        country = f" ({e(row['region_country'])})" if row["region_country"] else ""
        lines.append(f"<b>Region:</b> {e(row['region_name'])}{country}")
    lines.append(f"<b>Fatalities:</b> {deaths if deaths is not None else 'no figure known'}")
    if row["fatalities_note"]:
        lines.append(f"<small>{e(row['fatalities_note'])}</small>")
    lines.append(f"<b>Source:</b> {_source_link(row['source'], row['source_url'])}")
    lines.append(f"<small>{e(row['event_id'])}</small>")
    return "<div class='mapdata-popup'>" + "<br>".join(lines) + "</div>"


def _date_label(date: str, precision: str) -> str:
    if precision == "week":
        return f"week of {date} (exact day unknown)"
    if precision == "month":
        return f"{date[:7]} (month only)"
    return date


def _source_link(source: str, url: str) -> str:
    label = html.escape(source or url or "source")
    if not _is_web_url(url):
        return label
    return f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">{label}</a>'


def _is_web_url(url: str) -> bool:
    if not url or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return False
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def _text(frame: pd.DataFrame, name: str) -> list[str]:
    if name not in frame.columns:
        return [""] * len(frame)
    return ["" if pd.isna(v) else str(v).strip() for v in frame[name]]


def _dates(events: pd.DataFrame) -> list[str]:
    if "event_date" not in events.columns:
        return [""] * len(events)
    parsed = pd.to_datetime(events["event_date"], errors="coerce")
    raw = _text(events, "event_date")
    return [r if pd.isna(d) else d.strftime("%Y-%m-%d") for d, r in zip(parsed, raw)]


def _fatalities(events: pd.DataFrame) -> pd.Series:
    if "fatalities" not in events.columns:
        return pd.Series(np.nan, index=events.index, dtype=float)
    return pd.to_numeric(events["fatalities"], errors="coerce").astype(float)


def _precision(events: pd.DataFrame) -> pd.Series:
    """geo_precision as 1, 2 or 3; anything else is drawn as 3, the most cautious symbol."""
    values = pd.to_numeric(events["geo_precision"], errors="coerce")
    return values.where(values.isin([1, 2, 3]), 3).astype(int)


def _summed(points: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equal points merged, their weights summed."""
    frame = pd.DataFrame({"a": points[:, 0], "b": points[:, 1], "w": weight})
    summed = frame.groupby(["a", "b"], sort=False)["w"].sum()
    return np.column_stack([summed.index.get_level_values(0), summed.index.get_level_values(1)]), summed.to_numpy()


# --------------------------------------------------------------------------------------------
# many incidents: canvas points and grid cells


_TYPE_NAMES = list(TYPE_COLOURS)
_CANVAS_POINTS = """function(d, group) {
    var renderer = L.canvas({padding: 0.5});
    var types = d.types, colours = d.colours;
    for (var i = 0; i < d.x.length; i++) {
        var f = d.f[i], p = d.p[i], c = colours[d.t[i]];
        var o = {renderer: renderer, radius: f < 0 ? %(no_figure)s : Math.min(%(max_r)s, 5 + 1.4 * Math.sqrt(f)),
                 color: f < 0 ? "%(ring)s" : c, fillColor: c, weight: 1.5, opacity: 1, fillOpacity: 0.85};
        if (p === 2) { o.fillOpacity = 0.3; o.weight = 2; }
        if (p === 3) { o.fillOpacity = 0; o.weight = 2; o.dashArray = "3 3"; }
        L.circleMarker([d.y[i], d.x[i]], o).bindTooltip(d.id[i] + " · " + types[d.t[i]]).addTo(group);
    }
}""" % {"no_figure": _NO_FIGURE_RADIUS, "max_r": _MAX_RADIUS, "ring": NO_FIGURE_RING}
_CANVAS_CELLS = """function(d, group) {
    var renderer = L.canvas({padding: 0.5});
    var max = Math.max.apply(null, d.n.concat([1]));
    for (var i = 0; i < d.x.length; i++) {
        var n = d.n[i], c = d.colours[d.t[i]], vague = d.r[i] * 2 >= n;
        var tip = "Grid cell: " + n.toLocaleString("en") + " events · at least " + d.f[i].toLocaleString("en")
            + " fatalities" + (d.u[i] ? " (" + d.u[i].toLocaleString("en") + " without a figure)" : "")
            + "<br>" + Math.round(100 * d.r[i] / n) + "% region-only reference points (not incident sites)"
            + "<br>mostly " + d.types[d.t[i]] + " (" + Math.round(100 * d.tn[i] / n) + "%)"
            + "<br><i>Zoom in or filter to see single incidents.</i>";
        L.circleMarker([d.y[i], d.x[i]], {renderer: renderer, radius: 3 + 17 * Math.sqrt(n / max), color: c,
            fillColor: c, weight: vague ? 2 : 1, dashArray: vague ? "3 3" : null, opacity: 0.9,
            fillOpacity: vague ? 0.15 : 0.55}).bindTooltip(tip, {sticky: true}).addTo(group);
    }
}"""


def _canvas_layer(events: gpd.GeoDataFrame, name: str) -> folium.FeatureGroup:
    """Single incidents drawn on a canvas from compact columns (no per-marker popup or halo)."""
    types = _text(events, "event_type")
    index = {t: i for i, t in enumerate(_TYPE_NAMES)}
    fatalities = _fatalities(events)
    x, y = _xy(events)
    data = {
        "x": _rounded(x), "y": _rounded(y),
        "t": [index.get(t, len(_TYPE_NAMES)) for t in types],
        "f": fatalities.fillna(-1).astype(int).tolist(), "p": _precision(events).tolist(),
        "id": [html.escape(i) for i in _text(events, "event_id")],
        "types": [html.escape(t) for t in _TYPE_NAMES] + ["Other"], "colours": list(TYPE_COLOURS.values()) + [OTHER_COLOUR],
    }
    order = np.argsort(-fatalities.fillna(-1).to_numpy(), kind="stable")  # large markers first, small ones on top
    for key in ("x", "y", "t", "f", "p", "id"):
        data[key] = [data[key][i] for i in order]
    group = folium.FeatureGroup(name=name)
    _CanvasMarkers(data, _CANVAS_POINTS).add_to(group)
    note = (f"<div style='margin-top:4px'>{len(events):,} incidents: click one for its full record below the map."
            " Region-only points have no uncertainty circle at this size.</div>")
    _Legend(_legend_box("Incidents", _incident_legend_rows() + [note]), position="bottomright").add_to(group)
    return group


def _cell_layer(events: gpd.GeoDataFrame, name: str) -> folium.FeatureGroup:
    """Too many incidents to draw one by one: one circle per grid cell, sized by its events."""
    cells = grid_cells(events)
    index = {t: i for i, t in enumerate(_TYPE_NAMES)}
    data = {
        "x": _rounded(cells["lon"]), "y": _rounded(cells["lat"]), "n": cells["events"].tolist(),
        "f": cells["fatalities"].tolist(), "u": cells["unknown_fatalities"].tolist(), "r": cells["region_only"].tolist(),
        "t": [index.get(t, len(_TYPE_NAMES)) for t in cells["top_type"]], "tn": cells["top_type_events"].tolist(),
        "types": [html.escape(t) for t in _TYPE_NAMES] + ["Other"], "colours": list(TYPE_COLOURS.values()) + [OTHER_COLOUR],
    }
    group = folium.FeatureGroup(name=name)
    _CanvasMarkers(data, _CANVAS_CELLS).add_to(group)
    _Legend(_cell_legend(len(events), len(cells)), position="bottomright").add_to(group)
    return group


def _cell_legend(events: int, cells: int) -> str:
    grey = "#555555"
    rows = [_legend_row(_swatch(colour, fill=0.55), html.escape(kind)) for kind, colour in TYPE_COLOURS.items()]
    rows += [
        f"<div style='margin-top:4px;max-width:260px'>{events:,} incidents in {cells:,} grid cells: a circle's size is the "
        "number of events, its colour the most frequent type. Zoom in or filter to see single incidents.</div>",
        _legend_row(_swatch(grey, fill=0.15, weight=2, dash="3 3"), "mostly region-only reference points"),
    ]
    return _legend_box("Incidents (grouped)", rows)


def _cell_size(x: np.ndarray, y: np.ndarray) -> float:
    """A 'nice' cell size (degrees) giving at most about GRID_TARGET_CELLS cells over the extent."""
    west, east = np.nanpercentile(x, [1, 99])
    south, north = np.nanpercentile(y, [1, 99])
    area = max((east - west) * (north - south), 1e-6)
    raw = math.sqrt(area / GRID_TARGET_CELLS)
    for size in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0):
        if size >= raw:
            return size
    return 10.0


def _rounded(values) -> list[float]:
    return np.round(np.asarray(values, dtype=float), _COORD_DECIMALS).tolist()


class _CanvasMarkers(MacroElement):
    """Markers built in the browser from compact JSON columns by ``build(data, group)``.

    Rendering writes the finished script as plain text: folium's default would parse the whole
    data string again as a Jinja template (seconds for a few megabytes).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        ({{ this.build }})({{ this.json }}, {{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, data: dict, build: str):
        super().__init__()
        self._name = "CanvasMarkers"
        self.json = json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")
        self.build = build

    def render(self, **kwargs):
        script = self._template.module.script(self, kwargs)
        self.get_root().script.add_child(_Raw(script), name=self.get_name())


class _GeoJson(folium.GeoJson):
    """folium.GeoJson whose script goes into the page as plain text.

    folium's own render wraps every rendered script in a new Jinja template, which parses the whole
    GeoJSON text again (a large share of a rerun's server time for the region outlines). The
    styles come with the features, so there is no style map to compute; with a style or
    highlight function folium's own render is used.
    """

    def render(self, **kwargs):
        if self.style or self.highlight:
            return super().render(**kwargs)
        self.parent_map = folium.utilities.get_obj_in_upper_tree(self, folium.Map)
        if self.show:
            self.add_child(ElementAddToElement(element_name=self.get_name(), element_parent_name=self._parent.get_name()),
                           name=self.get_name() + "_add")
        for child in self._children.values():
            child.render(**kwargs)
        script = self._template.module.__dict__["script"](self, kwargs)
        self.get_root().script.add_child(_Raw(script), name=self.get_name())


class _Raw(Element):
    """Text written as is (no Jinja parse of its content)."""

    _template = Template("{{ this.text }}")

    def __init__(self, text: str):
        super().__init__()
        self.text = text


# --------------------------------------------------------------------------------------------
# regions


def _region_values(regions: gpd.GeoDataFrame, counts: pd.Series) -> pd.Series:
    by_id = pd.to_numeric(pd.Series(counts), errors="coerce")
    return regions["region_id"].map(by_id).fillna(0).astype(float)


def _classes(values: pd.Series) -> list[tuple[int, int]]:
    """Up to four integer classes (low, high) over the non-zero values, split at quartiles."""
    nonzero = values[values > 0].to_numpy()
    if nonzero.size == 0:
        return []
    edges = sorted({int(math.ceil(q)) for q in np.quantile(nonzero, [0.25, 0.5, 0.75, 1.0])})
    low, classes = max(1, int(math.ceil(nonzero.min()))), []
    for high in edges:
        if high >= low:
            classes.append((low, high))
            low = high + 1
    return classes


def _class_colour(value: float, classes: list[tuple[int, int]]) -> str | None:
    ramp = CHOROPLETH_COLOURS[len(CHOROPLETH_COLOURS) - len(classes):]
    for (low, high), colour in zip(classes, ramp):
        if value <= high:
            return colour if value > 0 else None
    return ramp[-1] if classes and value > 0 else None


def _region_collection(regions: gpd.GeoDataFrame, values: pd.Series | None, classes: list, value_label: str) -> dict:
    names, alts, ids = _text(regions, "name_en"), _text(regions, "names_alt"), _text(regions, "region_id")
    features = []
    for i, geometry in enumerate(regions[DISPLAY_GEOMETRY]):
        if geometry is None:
            continue
        style = {"color": "#6B6B6B", "weight": 1, "opacity": 0.8, "fillOpacity": 0}
        tip = f"<b>{html.escape(names[i] or ids[i])}</b>"
        others = [a.strip() for a in alts[i].split("|") if a.strip() and a.strip() != names[i]]
        if others:
            tip += f"<br><small>also: {html.escape(', '.join(others))}</small>"
        if values is not None:
            value = float(values.iloc[i])
            colour = _class_colour(value, classes)
            if colour:
                style.update(fillColor=colour, fillOpacity=0.55)
            tip += f"<br>{html.escape(value_label)}: {value:g}"
        features.append({"type": "Feature", "properties": {"region_id": ids[i], "tip": tip, "style": style}, "geometry": geometry})
    return {"type": "FeatureCollection", "features": features}


def _choropleth_legend(classes: list[tuple[int, int]], value_label: str) -> str:
    ramp = CHOROPLETH_COLOURS[len(CHOROPLETH_COLOURS) - len(classes):]
    rows = [_legend_row(_square("none"), "0")]
    rows += [_legend_row(_square(c), f"{lo}" if lo == hi else f"{lo}–{hi}") for (lo, hi), c in zip(classes, ramp)]
    return _legend_box(f"{value_label} per region", rows)


def _geometry(geometry) -> dict:
    rounded = shapely.transform(geometry, lambda xy: np.round(xy, _COORD_DECIMALS))
    return shapely.geometry.mapping(rounded)


# --------------------------------------------------------------------------------------------
# legend and attribution elements


def _legend_box(title: str, rows: list[str]) -> str:
    return (
        "<div style='background:rgba(255,255,255,0.92);padding:6px 8px;border-radius:4px;"
        "box-shadow:0 1px 4px rgba(0,0,0,0.3);font:12px/1.35 sans-serif;color:#222'>"
        f"<details open><summary style='cursor:pointer'><b>{html.escape(title)}</b></summary>{''.join(rows)}</details></div>"
    )


def _legend_row(symbol: str, label: str) -> str:
    return f"<div style='display:flex;align-items:center;gap:6px'>{symbol}<span>{label}</span></div>"


def _swatch(colour: str, fill: float, weight: float = 1.5, dash: str = "", halo: bool = False, ring: str | None = None, r: float = 6) -> str:
    halo_svg = "<circle cx='11' cy='11' r='10' fill='none' stroke='#555' stroke-width='1' stroke-dasharray='2 3'/>" if halo else ""
    dash_attr = f" stroke-dasharray='{dash}'" if dash else ""
    return (
        f"<svg width='22' height='22' viewBox='0 0 22 22' aria-hidden='true'>{halo_svg}"
        f"<circle cx='11' cy='11' r='{r}' fill='{colour}' fill-opacity='{fill}' stroke='{ring or colour}'"
        f" stroke-width='{weight}'{dash_attr}/></svg>"
    )


def _square(colour: str) -> str:
    fill = "fill='none'" if colour == "none" else f"fill='{colour}' fill-opacity='0.55'"
    return f"<svg width='22' height='14' aria-hidden='true'><rect x='3' y='1' width='16' height='12' {fill} stroke='#6B6B6B'/></svg>"


class _Legend(MacroElement):
    """A Leaflet control holding ``html`` that is shown while its parent layer is on the map."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var layer = {{ this._parent.get_name() }};
            var control = L.control({position: {{ this.position|tojson }}});
            control.onAdd = function() {
                var div = L.DomUtil.create("div", "mapdata-legend leaflet-control");
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            function show() { if (layer._map && !control._map) { control.addTo(layer._map); } }
            function hide() { if (control._map) { control.remove(); } }
            layer.on("add", show);
            layer.on("remove", hide);
            show();
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str, position: str = "bottomright"):
        super().__init__()
        self._name = "Legend"
        self.html = html_text
        self.position = position


class _Attribution(MacroElement):
    """Adds a line to the map's attribution control (works with or without a tile layer)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, text: str):
        super().__init__()
        self._name = "Attribution"
        self.text = text


def details_html(record: dict[str, str]) -> str:
    """An event's full record (from :func:`mapdata.stats.event_details`) as an HTML definition
    list: every value escaped, line breaks kept, the source URL a link only if it is http(s)."""
    rows = []
    for label, value in record.items():
        text = html.escape(str(value)).replace("\n", "<br>")
        if label == "Source URL" and _is_web_url(str(value)):
            text = f'<a href="{html.escape(str(value), quote=True)}" target="_blank" rel="noopener noreferrer">{text}</a>'
        rows.append(f"<dt>{html.escape(label)}</dt><dd>{text}</dd>")
    style = ("<style>.incident-details{display:grid;grid-template-columns:11rem 1fr;gap:.35rem 1rem;margin:0}"
             ".incident-details dt{font-weight:600;color:#444}.incident-details dd{margin:0;overflow-wrap:anywhere}</style>")
    return f'{style}<dl class="incident-details">{"".join(rows)}</dl>'
