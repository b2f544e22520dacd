"""The border lines of the geography (land borders between its countries, lines added with --border)."""

from __future__ import annotations

import folium
import geopandas as gpd

from mapdata.layers import symbology as sym
from mapdata.layers.elements import RawScriptGeoJson
from mapdata.layers.frames import check_frame, geometry_json

def border_tooltip(border: gpd.GeoDataFrame) -> str:
    """What the border lines are, from their own names (e.g. "Armenia–Azerbaijan state border (derived)")."""
    names = list(dict.fromkeys(border["name"].dropna().astype(str))) if "name" in border else []
    return "; ".join(names) or "Border line"


def border_layer(border: gpd.GeoDataFrame, name: str = "Border lines") -> folium.FeatureGroup:
    """The geography's border lines as dark dash-dot lines with a tooltip naming them."""
    border = check_frame(border, (), "border")
    group = folium.FeatureGroup(name=name)
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"style": dict(sym.BORDER_STYLE)}, "geometry": geometry_json(g)}
            for g in border.geometry if g is not None and not g.is_empty
        ],
    }
    RawScriptGeoJson(collection, name=name, control=False, tooltip=folium.Tooltip(border_tooltip(border), sticky=True)).add_to(group)
    return group
