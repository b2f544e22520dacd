"""folium/branca elements of our own, and the two documented subclasses of folium classes.

What we rely on in folium (tests/test_layers_elements.py fails loudly when it changes): an
element's ``_template`` is a Jinja template whose macros ``header`` and ``script`` take
``(this, kwargs)`` — branca's ``MacroElement.render`` itself calls them that way — and
``folium.Map`` writes a viewport meta tag in its ``header`` macro.
"""

from __future__ import annotations

import json
import re

import folium
from branca.element import Element, MacroElement
from folium.elements import ElementAddToElement
from folium.template import Template
from folium.utilities import get_obj_in_upper_tree

ZOOMABLE_VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1.0" />'
"""The map frame's viewport: zoom allowed (WCAG 1.4.4; folium's own sets ``user-scalable=no``)."""
_VIEWPORT_META = re.compile(r"<meta\s+name=\"viewport\"[^>]*>")


class Raw(Element):
    """Text written into the page as is (no Jinja parse of its content)."""

    _template = Template("{{ this.text }}")

    def __init__(self, text: str):
        super().__init__()
        self.text = text


def _macro(element: MacroElement, name: str, kwargs: dict) -> str:
    """The text of macro ``name`` of ``element``'s template, called as branca's render calls it."""
    macro = getattr(element._template.module, name, None)
    if macro is None:
        raise RuntimeError(f"{type(element).__name__}'s template has no '{name}' macro: folium changed; see mapdata.layers.elements")
    return macro(element, kwargs)


class ZoomableMap(folium.Map):
    """folium.Map whose page lets the reader zoom.

    Overrides ``render``: after folium's own render, the map's header (written by the ``header``
    macro of folium.Map's template) is written again with its viewport meta tag replaced by
    :data:`ZOOMABLE_VIEWPORT`. Why: folium's template sets ``maximum-scale=1.0, user-scalable=no``,
    which stops people with low vision from zooming the map's frame (WCAG 2.1, 1.4.4), and folium
    has no option for it. streamlit-folium copies this header into the map's frame.
    """

    def render(self, **kwargs) -> None:
        super().render(**kwargs)
        header = _VIEWPORT_META.sub(ZOOMABLE_VIEWPORT, _macro(self, "header", kwargs))
        self.get_root().header.add_child(Raw(header), name=self.get_name())


class RawScriptGeoJson(folium.GeoJson):
    """folium.GeoJson whose script goes into the page as plain text; output identical to folium's.

    Overrides ``render`` for speed: folium's (via branca's ``MacroElement.render``) wraps the text
    of the template's ``script`` macro in a new ``branca.element.Element``, i.e. a new Jinja
    template, which parses the whole GeoJSON text again (a large share of a rerun's server time
    for region outlines and a few thousand markers). This render does what folium's does, in the
    same order — adds the layer to its parent when shown, writes the ``script`` macro, renders the
    children — but writes the script as :class:`Raw` text. The styles come with the features, so there is no style
    map to compute; with a style or highlight function folium's own render is used.
    """

    def render(self, **kwargs) -> None:
        if self.style or self.highlight:
            super().render(**kwargs)
            return
        self.parent_map = get_obj_in_upper_tree(self, folium.Map)
        if self.show:
            self.add_child(ElementAddToElement(element_name=self.get_name(), element_parent_name=self._parent.get_name()),
                           name=self.get_name() + "_add")
        self.get_root().script.add_child(Raw(_macro(self, "script", kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class CanvasMarkers(MacroElement):
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

    def render(self, **kwargs) -> None:
        self.get_root().script.add_child(Raw(_macro(self, "script", kwargs)), name=self.get_name())


class Attribution(MacroElement):
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


class KeyboardLabel(MacroElement):
    """Gives the map's container an accessible name (a labelled region) and says how to move it by
    keyboard: Leaflet's keyboard handler is on (arrow keys pan, + and − zoom once it has focus).

    Also takes the shapes out of the Tab order: Leaflet 1.9 makes every shape with a tooltip a Tab
    stop, so a keyboard user met hundreds of unnamed stops between the map and the page below it.
    The events table under the map is the keyboard path to each incident.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(map) {
            map.getContainer().setAttribute("role", "region");
            map.getContainer().setAttribute("aria-label", {{ this.text|tojson }});
            function untab(layer) {
                var el = layer.getElement && layer.getElement();
                if (el) { el.setAttribute("tabindex", "-1"); }
            }
            map.on("layeradd", function(e) { setTimeout(function() { untab(e.layer); }, 0); });
            map.eachLayer(untab);
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, text: str):
        super().__init__()
        self._name = "KeyboardLabel"
        self.text = text
