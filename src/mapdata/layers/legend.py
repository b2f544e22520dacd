"""Legends: HTML boxes drawn from the symbology table, and the Leaflet control that shows one while
its layer is on the map."""

from __future__ import annotations

import html

from branca.element import MacroElement
from folium.template import Template

from mapdata import schema
from mapdata.layers import symbology as sym


def legend_html() -> str:
    """HTML of the incident legend: event-type colours, size, and the precision symbols."""
    return legend_box("Incidents", incident_rows())


def incident_rows(sized: bool = True) -> list[str]:
    """Legend rows of the single-incident markers: one per event type, one per precision style, and
    (``sized``: markers sized by fatalities) what size and the black ring mean."""
    filled = sym.PRECISION_STYLES[1]["fillOpacity"]
    rows = [legend_row(swatch(colour, fill=filled), html.escape(kind)) for kind, colour in sym.TYPE_COLOURS.items()]
    rows.append("<div style='margin-top:4px'><b>Location certainty</b></div>")
    for precision, style in sym.PRECISION_STYLES.items():
        symbol = swatch(sym.LEGEND_GREY, fill=style["fillOpacity"], weight=style["weight"], dash=style.get("dashArray", ""),
                        halo=precision == 3)
        rows.append(legend_row(symbol, html.escape(schema.GEO_PRECISION_LABELS[precision])))
    if not sized:
        return rows
    rows += [
        "<div style='margin-top:4px'><b>Fatalities</b>: larger circle = more deaths</div>",
        legend_row(swatch(sym.LEGEND_GREY, fill=filled, ring=sym.NO_FIGURE_RING, r=sym.RADIUS["no_figure"]),
                   "no figure known (black ring)"),
    ]
    return rows


def cell_legend(events: int, cells: int) -> str:
    """Legend of the grid cells: type colours, what size means, the region-only style."""
    exact, vague = sym.CELL_STYLES["exact"], sym.CELL_STYLES["vague"]
    rows = [legend_row(swatch(colour, fill=exact["fillOpacity"]), html.escape(kind)) for kind, colour in sym.TYPE_COLOURS.items()]
    rows += [
        f"<div style='margin-top:4px;max-width:260px'>{events:,} incidents in {cells:,} grid cells: a circle's size is the "
        "number of events, its colour the most frequent type. Zoom in or filter to see single incidents.</div>",
        legend_row(swatch(sym.LEGEND_GREY, fill=vague["fillOpacity"], weight=vague["weight"], dash=vague["dashArray"]),
                   "mostly region-only reference points"),
    ]
    return legend_box("Incidents (grouped)", rows)


def choropleth_legend(classes: list[tuple[int, int]], ramp: tuple[str, ...], value_label: str) -> str:
    """Legend of the region fills: 0 unfilled, then one grey per class."""
    rows = [legend_row(square("none"), "0")]
    rows += [legend_row(square(c), f"{lo}" if lo == hi else f"{lo}–{hi}") for (lo, hi), c in zip(classes, ramp)]
    return legend_box(f"{value_label} per region", rows)


def legend_box(title: str, rows: list[str]) -> str:
    """A white legend box with a title, closed at first (one line in a corner; the title opens it)."""
    return (
        "<div style='background:rgba(255,255,255,0.92);padding:6px 8px;border-radius:4px;"
        "box-shadow:0 1px 4px rgba(0,0,0,0.3);font:12px/1.35 sans-serif;color:#222'>"
        f"<details><summary style='cursor:pointer'><b>{html.escape(title)}</b></summary>{''.join(rows)}</details></div>"
    )


def legend_row(symbol: str, label: str) -> str:
    """One legend line: a symbol, then its (already escaped) label."""
    return f"<div style='display:flex;align-items:center;gap:6px'>{symbol}<span>{label}</span></div>"


def swatch(colour: str, fill: float, weight: float = 1.5, dash: str = "", halo: bool = False, ring: str | None = None,
           r: float = 6) -> str:
    """A small SVG circle drawn like a marker (fill opacity, stroke width, dashes, optional halo)."""
    halo_svg = "<circle cx='11' cy='11' r='10' fill='none' stroke='#555' stroke-width='1' stroke-dasharray='2 3'/>" if halo else ""
    dash_attr = f" stroke-dasharray='{dash}'" if dash else ""
    return (
        f"<svg width='22' height='22' viewBox='0 0 22 22' aria-hidden='true'>{halo_svg}"
        f"<circle cx='11' cy='11' r='{r:g}' fill='{colour}' fill-opacity='{fill}' stroke='{ring or colour}'"
        f" stroke-width='{weight}'{dash_attr}/></svg>"
    )


def square(colour: str, opacity: float = sym.CHOROPLETH_FILL_OPACITY) -> str:
    """A small region-like square filled with ``colour`` ("none": outline only)."""
    fill = "fill='none'" if colour == "none" else f"fill='{colour}' fill-opacity='{opacity}'"
    outline = sym.REGION_OUTLINE["color"]
    return f"<svg width='22' height='14' aria-hidden='true'><rect x='3' y='1' width='16' height='12' {fill} stroke='{outline}'/></svg>"


FOLLOW_LAYER_JS = """function show() { if (layer._map && !control._map) { control.addTo(layer._map); } }
            function hide() { if (control._map) { control.remove(); } }
            layer.on("add", show);
            layer.on("remove", hide);
            show();"""
"""Shows the Leaflet control ``control`` while the layer ``layer`` is on the map (both JavaScript
variables in scope): a legend or a button comes and goes with the layer it belongs to."""


class Legend(MacroElement):
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
            {{ this.follow }}
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str, position: str = "bottomright"):
        super().__init__()
        self._name = "Legend"
        self.follow = FOLLOW_LAYER_JS
        self.html = html_text
        self.position = position
