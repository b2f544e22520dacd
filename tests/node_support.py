"""Run the map's JavaScript functions in node with a stub of Leaflet's ``L``: what options would
the browser give each marker? Tests that need it are skipped when node is not installed."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")

_STUB_LEAFLET = """
const drawn = [];
function layer(kind, latlng, options) {
    const made = {kind: kind, latlng: latlng, options: options, tooltip: null};
    drawn.push(made);
    return {bindTooltip(text) { made.tooltip = text; return this; }, addTo() { return this; }};
}
const L = {canvas: () => "canvas", circleMarker: (ll, o) => layer("circleMarker", ll, o), circle: (ll, o) => layer("circle", ll, o)};
"""


def drawn_by(function_js: str, *arguments: object) -> list[dict]:
    """Every layer that ``(function_js)(*arguments)`` draws (the canvas renderers add to a group) or
    returns (a GeoJSON pointToLayer): ``{"kind", "latlng", "options", "tooltip"}``."""
    call = ", ".join(json.dumps(a) for a in arguments)
    script = f"{_STUB_LEAFLET}\n({function_js})({call});\nprocess.stdout.write(JSON.stringify(drawn));"
    done = subprocess.run([NODE, "-e", script], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
