"""The symbology table is the one source of the map's styles: the browser gets it as JSON, the
legends list exactly its entries, and Python and JavaScript compute the same marker radius."""

from __future__ import annotations

import re

import folium
import pytest

from mapdata import layers, schema
from mapdata.layers import canvas, incidents, legend, symbology, webgl
from node_support import drawn_by, needs_node

FATALITIES = [None, 0, 1, 2, 3, 4, 10, 57, 100, 392, 420, 1000, 250_000]
_ROW = re.compile(r"<div style='display:flex;align-items:center;gap:6px'>(<svg.*?</svg>)<span>(.*?)</span></div>")
_CIRCLE = re.compile(r"<circle cx='11' cy='11' r='([\d.]+)' fill='(#\w+)' fill-opacity='([\d.]+)' stroke='(#\w+)'"
                     r" stroke-width='([\d.]+)'(?: stroke-dasharray='([\d ]+)')?/>")


def _html(group: folium.FeatureGroup) -> str:
    return folium.Map(tiles=None).add_child(group).get_root().render()


def _legend_rows(html: str) -> list[tuple[str, dict]]:
    """(label, marker symbol) of every legend row that shows a marker."""
    rows = []
    for svg, label in _ROW.findall(html):
        if circle := _CIRCLE.search(svg):
            r, fill, fill_opacity, stroke, weight, dash = circle.groups()
            rows.append((label, {"r": float(r), "fill": fill, "fillOpacity": float(fill_opacity), "stroke": stroke,
                                 "weight": float(weight), "dash": dash, "halo": "r='10'" in svg}))
    return rows


@pytest.mark.parametrize("mode", ["popups", "canvas", "webgl", "cells"])
def test_every_incident_renderer_gets_its_styles_from_the_table_json(events, monkeypatch, mode):
    monkeypatch.setattr(incidents, "DETAIL_LIMIT", 10_000 if mode == "popups" else 3)
    monkeypatch.setattr(incidents, "POINT_LIMIT", 3 if mode in ("webgl", "cells") else 10_000)
    monkeypatch.setattr(incidents, "WEBGL_LIMIT", 3 if mode == "cells" else 10_000)
    html = _html(layers.incident_layer(events))
    script = {"popups": incidents.POINT_TO_LAYER_JS, "canvas": canvas.CANVAS_POINTS_JS, "webgl": webgl.WEBGL_POINTS_JS,
              "cells": canvas.CANVAS_CELLS_JS}[mode]
    assert script in html and script.endswith(f"({symbology.table_json()})")
    assert "#D55E00" not in script.replace(symbology.table_json(), ""), "no colour written outside the table"


def test_incident_legend_lists_exactly_the_table_entries():
    rows = _legend_rows(layers.legend_html())
    types = rows[:len(symbology.TYPE_COLOURS)]
    assert [(label, s["fill"], s["stroke"]) for label, s in types] == [(k, c, c) for k, c in symbology.TYPE_COLOURS.items()]
    precision = rows[len(types):len(types) + len(symbology.PRECISION_STYLES)]
    assert [label for label, _ in precision] == [schema.GEO_PRECISION_LABELS[p] for p in symbology.PRECISION_STYLES]
    for (_, s), (p, style) in zip(precision, symbology.PRECISION_STYLES.items()):
        assert (s["fillOpacity"], s["weight"], s["dash"] or "") == (style["fillOpacity"], style["weight"], style.get("dashArray", ""))
        assert s["halo"] == (p == 3)
    (label, no_figure), = rows[len(types) + len(precision):]
    assert "no figure" in label and no_figure["stroke"] == symbology.NO_FIGURE_RING and no_figure["r"] == symbology.RADIUS["no_figure"]


def test_cell_legend_lists_the_type_colours_and_the_vague_cell_style():
    rows = _legend_rows(legend.cell_legend(10, 2))
    assert [(label, s["fill"]) for label, s in rows[:-1]] == list(symbology.TYPE_COLOURS.items())
    vague = symbology.CELL_STYLES["vague"]
    assert (rows[-1][1]["fillOpacity"], rows[-1][1]["weight"], rows[-1][1]["dash"]) == (
        vague["fillOpacity"], vague["weight"], vague["dashArray"])


def test_python_radius_grows_with_fatalities_and_is_capped():
    radii = [symbology.radius(f) for f in FATALITIES[1:]]
    assert radii == sorted(radii) and radii[-1] == symbology.RADIUS["max"]
    assert symbology.radius(None) == symbology.RADIUS["no_figure"] < symbology.radius(0)


@needs_node
def test_python_and_javascript_radius_agree():
    count = len(FATALITIES)
    data = {"x": [45.0] * count, "y": [40.0] * count, "t": [0] * count, "p": [1] * count, "id": [f"E{i}" for i in range(count)],
            "f": [-1 if f is None else f for f in FATALITIES], "types": ["Battles"]}
    drawn = drawn_by(canvas.CANVAS_POINTS_JS, data, None)
    assert [d["options"]["radius"] for d in drawn] == [symbology.radius(f) for f in FATALITIES]
    colour = symbology.TYPE_COLOURS["Battles"]
    assert [d["options"]["color"] for d in drawn] == [symbology.NO_FIGURE_RING if f is None else colour for f in FATALITIES]


@needs_node
def test_single_markers_in_the_browser_take_python_radius_and_table_precision_style(events):
    group = layers.incident_layer(events)
    for feature in next(c for c in reversed(group._children.values()) if isinstance(c, folium.GeoJson)).data["features"]:
        (marker,) = drawn_by(incidents.POINT_TO_LAYER_JS, feature, [40.0, 45.0])
        p = feature["properties"]
        assert marker["options"] == {"radius": p["r"], "color": p["k"], "fillColor": p["c"], **symbology.PRECISION_STYLES[p["p"]]}
    (halo,) = drawn_by(incidents.UNCERTAINTY_CIRCLE_JS, {"properties": {"c": "#D55E00"}}, [40.0, 45.0])
    assert halo["kind"] == "circle" and halo["options"] == {
        "radius": layers.UNCERTAINTY_RADIUS_M, "color": "#D55E00", "interactive": False, **symbology.UNCERTAINTY_STYLE}
    assert symbology.PRECISION_STYLES[3]["dashArray"] == "3 3"


@needs_node
def test_grid_cells_in_the_browser_take_the_table_cell_styles():
    data = {"x": [45.0, 46.0], "y": [40.0, 41.0], "n": [10, 40], "f": [0, 5], "u": [0, 1], "r": [5, 0], "t": [1, 6], "tn": [10, 20],
            "types": ["Battles", "Explosions/Remote violence", "Other"]}
    vague, exact = drawn_by(canvas.CANVAS_CELLS_JS, data, None)
    colours = [*symbology.TYPE_COLOURS.values(), symbology.OTHER_COLOUR]
    assert vague["options"] == {"renderer": "canvas", "radius": pytest.approx(3 + 17 * 0.5), "color": colours[1],
                                "fillColor": colours[1], **symbology.CELL_STYLES["vague"]}
    assert exact["options"] == {"renderer": "canvas", "radius": 20, "color": symbology.OTHER_COLOUR,
                                "fillColor": symbology.OTHER_COLOUR, **symbology.CELL_STYLES["exact"]}
    assert "region-only reference points" in vague["tooltip"]
