"""The state border line."""

from __future__ import annotations

import folium
import geopandas as gpd

from mapdata.layers import symbology as sym
from mapdata.layers.elements import RawScriptGeoJson
from mapdata.layers.frames import check_frame, geometry_json

BORDER_TOOLTIP = "Armenia–Azerbaijan state border (derived from geoBoundaries)"


def border_layer(border: gpd.GeoDataFrame, name: str = "State border") -> folium.FeatureGroup:
    """The Armenia–Azerbaijan state border as a dark dash-dot line with a tooltip."""
    border = check_frame(border, (), "border")
    group = folium.FeatureGroup(name=name)
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"style": dict(sym.BORDER_STYLE)}, "geometry": geometry_json(g)}
            for g in border.geometry if g is not None and not g.is_empty
        ],
    }
    RawScriptGeoJson(collection, name=name, control=False, tooltip=folium.Tooltip(BORDER_TOOLTIP, sticky=True)).add_to(group)
    return group
