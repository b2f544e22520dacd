"""The empty map every layer is drawn on."""

from __future__ import annotations

from collections.abc import Sequence

import folium
from branca.element import Element

from mapdata import credits
from mapdata.layers import symbology as sym
from mapdata.layers.elements import Attribution, ZoomableMap
from mapdata.layers.frames import check_bounds


def base_map(bounds: Sequence[float], tiles: bool = False) -> folium.Map:
    """An empty map fitted to ``bounds`` = (min lon, min lat, max lon, max lat), e.g. ``total_bounds``.

    Without tiles (default) the map has a plain background and needs no network at all; with
    ``tiles=True`` it adds OpenStreetMap tiles and their attribution. The geoBoundaries
    attribution is always shown. The page lets the reader zoom (:class:`ZoomableMap`).
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
    m.get_root().header.add_child(Element(f"<style>.leaflet-container {{ background: {sym.BACKGROUND}; }}</style>"))
    Attribution(credits.BOUNDARIES_HTML).add_to(m)
    m.fit_bounds([[south, west], [north, east]])
    return m
