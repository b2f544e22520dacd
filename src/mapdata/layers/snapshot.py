""""Download map image": a button on the map that saves what it shows as a PNG, made in the browser.

The image is the map's own frame drawn by html-to-image (served locally like Leaflet, see
:mod:`mapdata.assets`): regions, border, incidents (SVG, canvas or WebGL), the legends, the scale
and the attribution; the zoom, drawing and layer controls are left out. A caption is burnt in at
the top: the title, the events shown, the active filters in words and the credits the data's
licences require, in a band above the map (so it covers nothing). Nothing is sent anywhere.
"""

from __future__ import annotations

import html

import folium
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from mapdata import credits
from mapdata.layers.legend import FOLLOW_LAYER_JS

SNAPSHOT_FILE = "conflict-incident-map.png"
_LEFT_OUT = ("leaflet-control-zoom", "leaflet-draw", "leaflet-control-layers", "mapdata-snapshot")
"""Classes of the map's controls that are not in the image."""


class SnapshotButton(JSCSSMixin, MacroElement):
    """The button (a Leaflet control, top right) shown while its parent layer is on the map.

    ``default_js`` names html-to-image's local copy; :func:`mapdata.assets.use_local_assets` sets it.
    """

    default_js: list[tuple[str, str]] = []
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var layer = {{ this._parent.get_name() }}, leftOut = {{ this.left_out|tojson }};
            var control = L.control({position: "topright"});
            control.onAdd = function(map) {
                var button = L.DomUtil.create("button", "mapdata-snapshot leaflet-bar");
                button.type = "button";
                button.textContent = "Download map image";
                button.title = "A PNG of this map with its legend, the active filters and the credits";
                button.style.cssText = "background:#fff;padding:4px 8px;font:13px sans-serif;cursor:pointer";
                L.DomEvent.disableClickPropagation(button);
                L.DomEvent.on(button, "click", function() {
                    // the caption sits just above the map; the image is that much taller and the map moved down
                    var box = map.getContainer(), note = L.DomUtil.create("div", "mapdata-snapshot-caption", box);
                    note.style.cssText = "position:absolute;left:0;right:0;z-index:1000;padding:6px 10px;"
                        + "background:#fff;color:#111;font:12px/1.4 sans-serif;border-bottom:1px solid #999";
                    note.innerHTML = {{ this.caption|tojson }};
                    var above = note.offsetHeight;
                    note.style.top = -above + "px";
                    button.disabled = true;
                    // the legends start folded; the image shows them open, then they fold again
                    var folded = Array.prototype.filter.call(box.querySelectorAll("details"), function(d) { return !d.open; });
                    folded.forEach(function(d) { d.open = true; });
                    htmlToImage.toPng(box, {pixelRatio: 1, skipFonts: true, height: box.clientHeight + above,
                        style: {transform: "translateY(" + above + "px)", overflow: "visible"},
                        filter: function(node) {
                            return !(node.classList && leftOut.some(function(c) { return node.classList.contains(c); }));
                        }}).then(function(url) {
                        var link = document.createElement("a");
                        link.href = url;
                        link.download = {{ this.filename|tojson }};
                        document.body.appendChild(link);
                        link.click();
                        link.remove();
                    }).finally(function() {
                        folded.forEach(function(d) { d.open = false; });
                        note.remove();
                        button.disabled = false;
                    });
                });
                return button;
            };
            {{ this.follow }}
        })();
        {% endmacro %}
        """
    )

    def __init__(self, caption_html: str, filename: str = SNAPSHOT_FILE):
        super().__init__()
        self._name = "SnapshotButton"
        self.follow = FOLLOW_LAYER_JS
        self.caption = caption_html
        self.filename = filename
        self.left_out = list(_LEFT_OUT)


def snapshot_layer(title: str, filters_text: str, shown: int, name: str = "Map image",
                   geo_meta: dict | None = None) -> folium.FeatureGroup:
    """An empty layer (not in the layer control) carrying the "Download map image" button, whose
    image says ``title``, the ``shown`` events, the active filters (``FilterSpec.describe``) and
    the credit of the geography of metadata ``geo_meta`` (default the ``GEO_DIR`` setting's)."""
    caption = (f"<b>{html.escape(title)}</b> · {shown:,} events shown · filters: {html.escape(filters_text)}"
               f"<br><span style='font-size:11px'>{html.escape(credits.boundaries(geo_meta))}. {html.escape(credits.EVENTS)}</span>")
    group = folium.FeatureGroup(name=name, control=False)
    SnapshotButton(caption).add_to(group)
    return group
