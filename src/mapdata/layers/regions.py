"""Region outlines with their names, the grey choropleth of counts per region, and the diverging
choropleth of the change between two periods."""

from __future__ import annotations

import html
import math

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from mapdata.layers import symbology as sym
from mapdata.layers.elements import RawScriptGeoJson
from mapdata.layers.frames import check_frame, geometry_json, text
from mapdata.layers.legend import Legend, choropleth_legend, legend_box, legend_row, square

DISPLAY_TOLERANCE_DEG = 0.001
"""Simplification of region outlines sent to the browser (degrees; ~100 m): halves the page's payload."""
DISPLAY_GEOMETRY = "display_geometry"
"""Column that :func:`display_regions` adds: each region's simplified outline as a GeoJSON dict."""
_BIND_TOOLTIP = folium.JsCode("function(feature, layer) { layer.bindTooltip(feature.properties.tip, {sticky: true}); }")


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
    regions = check_frame(regions, ("region_id", "name_en"), "regions")
    if DISPLAY_GEOMETRY not in regions.columns:
        regions = display_regions(regions)
    values = None if counts is None else _region_values(regions, counts)
    classes = [] if values is None else _classes(values)
    group = folium.FeatureGroup(name=name)
    RawScriptGeoJson(
        _region_collection(regions, values, classes, value_label), name=name, control=False,
        on_each_feature=_BIND_TOOLTIP,
    ).add_to(group)
    if values is not None:
        Legend(choropleth_legend(classes, _ramp(classes), value_label), position="bottomleft").add_to(group)
    return group


def change_layer(regions: gpd.GeoDataFrame, changes: pd.DataFrame, periods_text: str, name: str = "Change") -> folium.FeatureGroup:
    """Regions filled by their change band (``changes`` from :func:`mapdata.compare.compare_regions`:
    region_id, events_a, events_b, change_pct, band); the tooltip says both counts and the band in
    words, the legend the bands and the two periods."""
    regions = check_frame(regions, ("region_id", "name_en"), "regions")
    if DISPLAY_GEOMETRY not in regions.columns:
        regions = display_regions(regions)
    by_id = changes.set_index("region_id")
    collection = _region_collection(regions, None, [], "events")
    for feature in collection["features"]:
        rid = feature["properties"]["region_id"]
        if rid not in by_id.index:
            continue
        row = by_id.loc[rid]
        feature["properties"]["style"].update(fillColor=sym.CHANGE_COLOURS[row["band"]], fillOpacity=sym.CHANGE_FILL_OPACITY)
        change = "" if pd.isna(row["change_pct"]) else f" ({row['change_pct']:+g} %)"
        feature["properties"]["tip"] += (f"<br>A: {int(row['events_a'])} events, B: {int(row['events_b'])}{html.escape(change)}"
                                         f"<br>change: {html.escape(row['band'])}")
    group = folium.FeatureGroup(name=name)
    RawScriptGeoJson(collection, name=name, control=False, on_each_feature=_BIND_TOOLTIP).add_to(group)
    rows = [legend_row(square(colour, sym.CHANGE_FILL_OPACITY), html.escape(band)) for band, colour in sym.CHANGE_COLOURS.items()]
    rows.append(f"<div style='max-width:220px'>{html.escape(periods_text)}</div>")
    Legend(legend_box("Change in events per region", rows), position="bottomleft").add_to(group)
    return group



def display_regions(regions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``regions`` with outlines simplified for display (``DISPLAY_TOLERANCE_DEG``) and their GeoJSON
    geometry ready in the column ``DISPLAY_GEOMETRY``: the part of :func:`region_layer` that never
    changes with the filter, to be computed once per boundary layer and reused."""
    regions = check_frame(regions, ("region_id", "name_en"), "regions")
    simplified = regions.geometry.simplify(DISPLAY_TOLERANCE_DEG, preserve_topology=True)
    shapes = [None if g is None or g.is_empty else geometry_json(g) for g in simplified]
    return regions.assign(geometry=simplified, **{DISPLAY_GEOMETRY: shapes})


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


def _ramp(classes: list[tuple[int, int]]) -> tuple[str, ...]:
    """The darkest ``len(classes)`` greys of the choropleth ramp."""
    return sym.CHOROPLETH_COLOURS[len(sym.CHOROPLETH_COLOURS) - len(classes):]


def _class_colour(value: float, classes: list[tuple[int, int]]) -> str | None:
    ramp = _ramp(classes)
    for (low, high), colour in zip(classes, ramp):
        if value <= high:
            return colour if value > 0 else None
    return ramp[-1] if classes and value > 0 else None


def _region_collection(regions: gpd.GeoDataFrame, values: pd.Series | None, classes: list, value_label: str) -> dict:
    names, alts, ids = text(regions, "name_en"), text(regions, "names_alt"), text(regions, "region_id")
    features = []
    for i, geometry in enumerate(regions[DISPLAY_GEOMETRY]):
        if geometry is None:
            continue
        style = dict(sym.REGION_OUTLINE)
        tip = f"<b>{html.escape(names[i] or ids[i])}</b>"
        others = [a.strip() for a in alts[i].split("|") if a.strip() and a.strip() != names[i]]
        if others:
            tip += f"<br><small>also: {html.escape(', '.join(others))}</small>"
        if values is not None:
            value = float(values.iloc[i])
            colour = _class_colour(value, classes)
            if colour:
                style.update(fillColor=colour, fillOpacity=sym.CHOROPLETH_FILL_OPACITY)
            tip += f"<br>{html.escape(value_label)}: {value:g}"
        features.append({"type": "Feature", "properties": {"region_id": ids[i], "tip": tip, "style": style}, "geometry": geometry})
    return {"type": "FeatureCollection", "features": features}
