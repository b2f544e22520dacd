"""Up to a million incidents one by one: a WebGL point layer fed with typed arrays.

Python projects the points to Web Mercator (units of the world's width, relative to an origin so
that float32 keeps them to centimetres) and sends three base64 typed arrays: x and y (float32)
and one byte per event, ``type index * 4 + geo_precision``. The browser draws every point in one
``gl.drawArrays`` call, coloured by type and styled by precision from the symbology table. A click
picks the nearest point within a few pixels and fires a click on a marker whose tooltip is
``#<row> · <type>``; :func:`~mapdata.layers.incidents.event_id_from_tooltip` turns the row back
into the event id, so the app shows the full record as for any other marker.
"""

from __future__ import annotations

import base64

import folium
import geopandas as gpd
import numpy as np

from mapdata.layers import symbology as sym
from mapdata.layers.canvas import TYPE_LABELS, type_index
from mapdata.layers.elements import CanvasMarkers
from mapdata.layers.frames import precision, text, xy
from mapdata.layers.legend import Legend, incident_rows, legend_box

WEBGL_POINTS_JS = sym.closed_over_table(
    """function(d, group) {
        function decode(text, Type) {
            var bytes = atob(text), n = bytes.length, out = new Uint8Array(n);
            for (var i = 0; i < n; i++) { out[i] = bytes.charCodeAt(i); }
            return new Type(out.buffer);
        }
        var x = decode(d.x, Float32Array), y = decode(d.y, Float32Array), code = decode(d.k, Uint8Array), n = x.length;
        var colours = Object.values(S.type_colours).concat([S.other_colour]).map(function(c) {
            return [1, 3, 5].map(function(i) { return parseInt(c.substr(i, 2), 16) / 255; });
        });
        // colour and precision style per vertex (uniform arrays may be indexed there); the fragment
        // shader only cuts the disc and picks fill or ring opacity: software GL pays per fragment
        var VS = "attribute vec2 a_pos; attribute float a_code; uniform vec4 u_view; uniform float u_size;"
            + " uniform vec3 u_colours[8]; uniform vec2 u_style[4]; varying vec3 v_colour; varying vec2 v_style;"
            + " void main() { gl_Position = vec4(a_pos * u_view.xy + u_view.zw, 0.0, 1.0); gl_PointSize = u_size;"
            + " int t = int(floor(a_code / 4.0 + 0.01)); int p = int(mod(a_code + 0.01, 4.0));"
            + " v_colour = u_colours[t]; v_style = u_style[p]; }";
        var FS = "precision mediump float; varying vec3 v_colour; varying vec2 v_style; uniform float u_ring;"
            + " void main() { vec2 q = gl_PointCoord - 0.5; float r2 = dot(q, q) * 4.0; if (r2 > 1.0) { discard; }"
            + " float a = r2 > u_ring ? v_style.y : v_style.x; if (a <= 0.0) { discard; } gl_FragColor = vec4(v_colour * a, a); }";
        var Layer = L.Layer.extend({
            onAdd: function(map) {
                this._map = map;
                var canvas = this._canvas = L.DomUtil.create("canvas", "mapdata-webgl-points");
                canvas.style.cssText = "position:absolute;left:0;top:0;pointer-events:none;z-index:450";
                map.getContainer().appendChild(canvas);
                var gl = this._gl = canvas.getContext("webgl", {premultipliedAlpha: true, preserveDrawingBuffer: true, antialias: false});
                if (!gl) {
                    this.failed = "no WebGL";
                    canvas.remove();
                    this._canvas = L.DomUtil.create("div", "mapdata-webgl-points leaflet-bar", map.getContainer());
                    this._canvas.style.cssText = "position:absolute;left:50px;top:10px;z-index:800;background:#fff;padding:4px 8px";
                    this._canvas.textContent = "This browser cannot draw WebGL: switch on Grid cells above the map.";
                    return;
                }
                var program = gl.createProgram();
                [[gl.VERTEX_SHADER, VS], [gl.FRAGMENT_SHADER, FS]].forEach(function(s) {
                    var shader = gl.createShader(s[0]); gl.shaderSource(shader, s[1]); gl.compileShader(shader);
                    gl.attachShader(program, shader);
                });
                gl.linkProgram(program); gl.useProgram(program);
                this._program = program;
                var pos = new Float32Array(2 * n);
                for (var i = 0; i < n; i++) { pos[2 * i] = x[i]; pos[2 * i + 1] = y[i]; }
                this._buffer(pos, "a_pos", 2); this._buffer(new Float32Array(code), "a_code", 1);
                var flat = []; for (var k = 0; k < 8; k++) { flat = flat.concat(colours[Math.min(k, colours.length - 1)]); }
                gl.uniform3fv(gl.getUniformLocation(program, "u_colours"), flat);
                var style = [0, 0];
                [1, 2, 3].forEach(function(p) { style = style.concat([S.precision[p].fillOpacity, S.precision[p].opacity]); });
                gl.uniform2fv(gl.getUniformLocation(program, "u_style"), style);
                gl.uniform1f(gl.getUniformLocation(program, "u_ring"), (1 - S.webgl.ring) * (1 - S.webgl.ring));
                gl.enable(gl.BLEND); gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
                map.on("move zoom resize zoomend moveend viewreset", this._schedule, this);
                map.on("click", this._pick, this);
                this._draw();
            },
            onRemove: function(map) {
                map.off("move zoom resize zoomend moveend viewreset", this._schedule, this);
                map.off("click", this._pick, this);
                if (this._marker) { group.removeLayer(this._marker); }
                L.DomUtil.remove(this._canvas);
                var lose = this._gl && this._gl.getExtension("WEBGL_lose_context");
                if (lose) { lose.loseContext(); }
            },
            _buffer: function(data, name, size) {
                var gl = this._gl, buffer = gl.createBuffer(), at = gl.getAttribLocation(this._program, name);
                gl.bindBuffer(gl.ARRAY_BUFFER, buffer); gl.bufferData(gl.ARRAY_BUFFER, data, gl.STATIC_DRAW);
                gl.enableVertexAttribArray(at); gl.vertexAttribPointer(at, size, gl.FLOAT, false, 0, 0);
            },
            _transform: function() {
                // container pixel = (origin + xy) * world - top left; as a*xy + b per axis
                var map = this._map, size = map.getSize(), world = 256 * Math.pow(2, map.getZoom());
                var topLeft = map.containerPointToLayerPoint([0, 0]).add(map.getPixelOrigin());
                return {ax: world, bx: d.ox * world - topLeft.x, ay: world, by: d.oy * world - topLeft.y, w: size.x, h: size.y};
            },
            _schedule: function() {  // one draw per animation frame, however many view events came
                if (!this._frame) { this._frame = L.Util.requestAnimFrame(function() { this._frame = null; this._draw(); }, this); }
            },
            _draw: function() {
                var gl = this._gl; if (!gl) { return; }
                var t = this._transform(), ratio = window.devicePixelRatio || 1, canvas = this._canvas;
                canvas.width = t.w * ratio; canvas.height = t.h * ratio;
                canvas.style.width = t.w + "px"; canvas.style.height = t.h + "px";
                gl.viewport(0, 0, canvas.width, canvas.height);
                gl.clearColor(0, 0, 0, 0); gl.clear(gl.COLOR_BUFFER_BIT);
                gl.uniform4f(gl.getUniformLocation(this._program, "u_view"),
                    2 * t.ax / t.w, -2 * t.ay / t.h, 2 * t.bx / t.w - 1, 1 - 2 * t.by / t.h);
                gl.uniform1f(gl.getUniformLocation(this._program, "u_size"), S.webgl.size * ratio);
                gl.drawArrays(gl.POINTS, 0, n);
                this.drawn = n;
            },
            _pick: function(e) {
                var t = this._transform(), p = e.containerPoint, best = -1, limit = S.webgl.pick_px * S.webgl.pick_px, bestD = limit;
                for (var i = 0; i < n; i++) {
                    var dx = t.ax * x[i] + t.bx - p.x, dy = t.ay * y[i] + t.by - p.y, dd = dx * dx + dy * dy;
                    if (dd <= bestD) { bestD = dd; best = i; }
                }
                if (best < 0) { return; }
                var latlng = this._map.containerPointToLatLng([t.ax * x[best] + t.bx, t.ay * y[best] + t.by]);
                var colour = colours[Math.min(code[best] >> 2, colours.length - 1)];
                if (this._marker) { group.removeLayer(this._marker); }
                this._marker = L.circleMarker(latlng, {radius: S.webgl.size, color: S.no_figure_ring, weight: 2, fillOpacity: 0})
                    .bindTooltip("#" + best + " · " + d.types[code[best] >> 2]).addTo(group);
                this._marker.fire("click", {latlng: latlng}, true);
            },
        });
        var layer = new Layer();
        layer.count = n;
        group.addLayer(layer);
        window.webglPoints = layer;
    }"""
)
"""Draws the typed arrays of :func:`webgl_layer` (``window.webglPoints`` is the layer, for tests)."""


def webgl_layer(events: gpd.GeoDataFrame, name: str) -> folium.FeatureGroup:
    """Every incident as one WebGL point coloured by type and styled by precision; click → the record."""
    lon, lat = xy(events)
    mx = (lon + 180.0) / 360.0
    my = 0.5 - np.log(np.tan(np.pi / 4 + np.radians(np.clip(lat, -85.05, 85.05)) / 2)) / (2 * np.pi)
    ox, oy = (float(np.nanmedian(v)) if len(v) else 0.0 for v in (mx, my))
    codes = np.asarray(type_index(text(events, "event_type")), dtype=np.uint8) * 4 + precision(events).to_numpy().astype(np.uint8)
    data = {"ox": ox, "oy": oy, "x": _b64(mx - ox, "<f4"), "y": _b64(my - oy, "<f4"), "k": _b64(codes, "u1"), "types": TYPE_LABELS}
    group = folium.FeatureGroup(name=name)
    CanvasMarkers(data, WEBGL_POINTS_JS).add_to(group)
    note = (f"<div style='margin-top:4px;max-width:260px'>{len(events):,} incidents, each one point of equal size "
            "(WebGL; no fatality size, no uncertainty circle): click one for its full record below the map.</div>")
    Legend(legend_box("Incidents", incident_rows(sized=False) + [note]), position="bottomright").add_to(group)
    return group


def _b64(values: np.ndarray, dtype: str) -> str:
    return base64.b64encode(np.ascontiguousarray(values, dtype=dtype).tobytes()).decode("ascii")
