"""The area filter on the map: the toolbar that draws it and the outline of the active area."""

from __future__ import annotations

import folium
import folium.plugins
from folium.template import Template
from branca.element import MacroElement

from mapdata.area import Area, area_geojson
from mapdata.layers import symbology as sym
from mapdata.layers.elements import RawScriptGeoJson


_MARK = {"mapdata": "drawn area"}
"""Properties of a shape drawn with the toolbar. streamlit-folium reports any clicked layer (a
marker, a region) as ``last_active_drawing`` too; only a feature with these is a drawing."""


class _MarkAndForgetDrawn(MacroElement):
    """Marks each shape drawn with the toolbar (:data:`_MARK`, before streamlit-folium's handler
    reads it) and then removes it from the drawing tool's layer: the page draws the active area
    itself (:func:`area_layer`), so a cleared area leaves no stale outline behind."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.on(L.Draw.Event.CREATED, function(e) {
            e.layer.feature = {type: "Feature", properties: {{ this.mark|tojson }}};
            setTimeout(function() { drawnItems_{{ this.draw.get_name() }}.removeLayer(e.layer); }, 0);
        });
        {% endmacro %}
        """
    )

    def __init__(self, draw: folium.plugins.Draw):
        super().__init__()
        self._name = "MarkAndForgetDrawn"
        self.draw = draw
        self.mark = _MARK


def is_drawn_area(feature: dict | None) -> bool:
    """Whether st_folium's ``last_active_drawing`` is a shape drawn with :func:`add_draw_control`'s
    toolbar (not a clicked marker or region)."""
    return isinstance(feature, dict) and feature.get("properties") == _MARK


def add_draw_control(m: folium.Map) -> folium.Map:
    """Add the toolbar that draws the area filter (rectangle and polygon only) to ``m``; the page
    reads the drawn shape from streamlit-folium's ``last_active_drawing``."""
    shape = {"shapeOptions": dict(sym.AREA_STYLE)}
    draw = folium.plugins.Draw(
        position="topleft", show_geometry_on_click=False,
        draw_options={"polyline": False, "circle": False, "marker": False, "circlemarker": False,
                      "rectangle": shape, "polygon": {**shape, "allowIntersection": False}},
        edit_options={"edit": False, "remove": False},
    )
    draw.add_to(m)
    _MarkAndForgetDrawn(draw).add_to(m)
    return m


def area_layer(area: Area, name: str = "Area filter") -> folium.FeatureGroup:
    """The active area as a dashed outline with a faint fill (not clickable: clicks reach the markers)."""
    group = folium.FeatureGroup(name=name)
    feature = {"type": "Feature", "properties": {"style": dict(sym.AREA_STYLE)}, "geometry": area_geojson(area)}
    RawScriptGeoJson({"type": "FeatureCollection", "features": [feature]}, name=name, control=False,
                     interactive=False).add_to(group)
    return group
