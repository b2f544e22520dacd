"""The empty map every layer is drawn on."""

from __future__ import annotations

from collections.abc import Sequence

import folium
import geopandas as gpd
import shapely
from branca.element import Element

from mapdata import credits
from mapdata.layers import symbology as sym
from mapdata.layers.elements import Attribution, KeyboardLabel, RawScriptGeoJson, ZoomableMap
from mapdata.layers.frames import check_bounds, geometry_json

MAP_LABEL = "Map of the filtered incidents. Arrow keys pan, plus and minus zoom; the table below the map lists every incident."


def base_map(bounds: Sequence[float], tiles: bool = False, countries: gpd.GeoDataFrame | None = None,
             geo_meta: dict | None = None) -> folium.Map:
    """An empty map fitted to ``bounds`` = (min lon, min lat, max lon, max lat), e.g. ``total_bounds``.

    Without tiles (default) the map has a plain background and needs no network at all; with
    ``tiles=True`` it adds OpenStreetMap tiles and their attribution. The credit of the
    geography's boundary sources (of metadata ``geo_meta``; default the ``GEO_DIR`` setting's) is
    always shown. The page lets the reader zoom (:class:`ZoomableMap`).
    The outlines of ``countries`` (the geography's country layer), when given, are part of the
    base map: they do not change with a filter, so a rerun does not send them again.
    """
    west, south, east, north = check_bounds(bounds)
    m = ZoomableMap(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=7,
        tiles="OpenStreetMap" if tiles else None,
        control_scale=True,
        zoom_snap=0.25,
        zoom_delta=0.5,
    )
    m.get_root().header.add_child(Element(
        f"<style>.leaflet-container {{ background: {sym.BACKGROUND}; }}"
        f" .leaflet-container:focus-visible {{ outline: 3px solid {sym.FOCUS_OUTLINE}; outline-offset: -3px; }}"
        f" .leaflet-control-attribution {{ max-width: {sym.CREDIT_MAX_WIDTH}; }}"
        " @media (prefers-reduced-motion: reduce) { .leaflet-container * { transition: none !important;"
        " animation: none !important; } }</style>"))
    Attribution(credits.boundaries_html(geo_meta)).add_to(m)
    KeyboardLabel(MAP_LABEL).add_to(m)
    if countries is not None and len(countries):
        _country_outlines(countries).add_to(m)
    m.fit_bounds([[south, west], [north, east]])
    return m


def _country_outlines(countries: gpd.GeoDataFrame) -> RawScriptGeoJson:
    """The countries' outlines as grey lines, simplified for drawing, not clickable."""
    lines = shapely.simplify(shapely.boundary(countries.geometry.to_numpy()), sym.COUNTRY_SIMPLIFY_DEG)
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"style": dict(sym.COUNTRY_STYLE)}, "geometry": geometry_json(g)}
        for g in lines if g is not None and not g.is_empty
    ]}
    return RawScriptGeoJson(collection, name="Countries", control=False, interactive=False)
