"""Many incidents: single markers on a canvas from compact columns, or counts in grid cells."""

from __future__ import annotations

import html
import math

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from mapdata.layers import symbology as sym
from mapdata.layers.elements import CanvasMarkers
from mapdata.layers.frames import fatalities, precision, rounded, text, xy
from mapdata.layers.legend import Legend, cell_legend, incident_rows, legend_box

GRID_TARGET_CELLS = 4_000
"""Aggregated view: the grid is chosen so that about this many cells (at most) are drawn."""
_TYPE_NAMES = list(sym.TYPE_COLOURS)
TYPE_LABELS = [html.escape(t) for t in _TYPE_NAMES] + [sym.OTHER_TYPE]
"""Type names by index (``t`` in the compact columns); the last one for any other type."""


def type_index(types) -> np.ndarray:
    """The index of each event type in :data:`TYPE_LABELS` (the last one for any other type)."""
    codes = pd.Categorical(np.asarray(types, dtype=object), categories=_TYPE_NAMES).codes
    return np.where(codes < 0, len(_TYPE_NAMES), codes)

CANVAS_POINTS_JS = sym.closed_over_table(
    """function(d, group) {
        var renderer = L.canvas({padding: 0.5});
        var colours = Object.values(S.type_colours).concat([S.other_colour]);
        for (var i = 0; i < d.x.length; i++) {
            var f = d.f[i], c = colours[d.t[i]];
            var o = markerOptions({renderer: renderer, radius: markerRadius(f), color: f < 0 ? S.no_figure_ring : c, fillColor: c}, d.p[i]);
            L.circleMarker([d.y[i], d.x[i]], o).bindTooltip(d.id[i] + " · " + d.types[d.t[i]]).addTo(group);
        }
    }"""
)
"""Draws the compact columns of :func:`canvas_layer` (f < 0: no figure known)."""
CANVAS_CELLS_JS = sym.closed_over_table(
    """function(d, group) {
        var renderer = L.canvas({padding: 0.5});
        var colours = Object.values(S.type_colours).concat([S.other_colour]);
        var max = Math.max.apply(null, d.n.concat([1]));
        for (var i = 0; i < d.x.length; i++) {
            var n = d.n[i], c = colours[d.t[i]], vague = d.r[i] * 2 >= n;
            var tip = "Grid cell: " + n.toLocaleString("en") + " events · at least " + d.f[i].toLocaleString("en")
                + " fatalities" + (d.u[i] ? " (" + d.u[i].toLocaleString("en") + " without a figure)" : "")
                + "<br>" + Math.round(100 * d.r[i] / n) + "% region-only reference points (not incident sites)"
                + "<br>mostly " + d.types[d.t[i]] + " (" + Math.round(100 * d.tn[i] / n) + "%)"
                + "<br><i>Zoom in or filter to see single incidents.</i>";
            var o = Object.assign({renderer: renderer, radius: S.cell_radius.min + S.cell_radius.span * Math.sqrt(n / max),
                color: c, fillColor: c}, S.cells[vague ? "vague" : "exact"]);
            L.circleMarker([d.y[i], d.x[i]], o).bindTooltip(tip, {sticky: true}).addTo(group);
        }
    }"""
)
"""Draws the grid cells of :func:`cell_layer`; a cell is vague when half its events are region-only."""


def canvas_layer(events: gpd.GeoDataFrame, name: str) -> folium.FeatureGroup:
    """Single incidents drawn on a canvas from compact columns (no per-marker popup or halo)."""
    deaths = fatalities(events)
    x, y = xy(events)
    data = {
        "x": rounded(x), "y": rounded(y),
        "t": type_index(text(events, "event_type")).tolist(),
        "f": deaths.fillna(-1).astype(int).tolist(), "p": precision(events).tolist(),
        "id": [html.escape(i) for i in text(events, "event_id")],
        "types": TYPE_LABELS,
    }
    order = np.argsort(-deaths.fillna(-1).to_numpy(), kind="stable")  # large markers first, small ones on top
    for key in ("x", "y", "t", "f", "p", "id"):
        data[key] = [data[key][i] for i in order]
    group = folium.FeatureGroup(name=name)
    CanvasMarkers(data, CANVAS_POINTS_JS).add_to(group)
    note = (f"<div style='margin-top:4px'>{len(events):,} incidents: click one for its full record below the map."
            " Region-only points have no uncertainty circle at this size.</div>")
    Legend(legend_box("Incidents", incident_rows() + [note]), position="bottomright").add_to(group)
    return group


def cell_layer(events: gpd.GeoDataFrame, name: str) -> folium.FeatureGroup:
    """Too many incidents to draw one by one: one circle per grid cell, sized by its events."""
    return grid_layer(grid_cells(events), name)


def grid_layer(cells: pd.DataFrame, name: str = "Incidents") -> folium.FeatureGroup:
    """The grid cells of :func:`grid_cells` (or a store's, counted in SQL) as one circle per cell."""
    data = {
        "x": rounded(cells["lon"]), "y": rounded(cells["lat"]), "n": cells["events"].tolist(),
        "f": cells["fatalities"].tolist(), "u": cells["unknown_fatalities"].tolist(), "r": cells["region_only"].tolist(),
        "t": type_index(cells["top_type"]).tolist(), "tn": cells["top_type_events"].tolist(),
        "types": TYPE_LABELS,
    }
    group = folium.FeatureGroup(name=name)
    CanvasMarkers(data, CANVAS_CELLS_JS).add_to(group)
    Legend(cell_legend(int(cells["events"].sum()), len(cells)), position="bottomright").add_to(group)
    return group


def grid_cells(events: pd.DataFrame, cell_deg: float | None = None) -> pd.DataFrame:
    """Events counted per square grid cell of ``cell_deg`` degrees (default: chosen so that about
    ``GRID_TARGET_CELLS`` cells cover the events' extent).

    One row per non-empty cell: ``lon``/``lat`` (mean of its events), ``events``,
    ``fatalities`` (known figures only), ``unknown_fatalities``, ``region_only`` (precision-3
    reference points), ``top_type`` and ``top_type_events``.
    """
    columns = ["lon", "lat", "events", "fatalities", "unknown_fatalities", "region_only", "top_type", "top_type_events"]
    if len(events) == 0:
        return pd.DataFrame(columns=columns)
    x, y = xy(events)
    size = cell_deg or cell_size(*np.nanpercentile(x, [1, 99]), *np.nanpercentile(y, [1, 99]))
    cell_key = np.floor(x / size).astype(np.int64) * 1_000_003 + np.floor(y / size).astype(np.int64)
    cell, cell_keys = pd.factorize(cell_key)  # cells in order of first appearance
    n_cells = len(cell_keys)
    deaths = fatalities(events).to_numpy()
    kinds = events["event_type"].fillna("") if "event_type" in events else pd.Series("", index=events.index)
    kind, type_names = pd.factorize(kinds)
    count = np.bincount(cell, minlength=n_cells)
    by_type = np.bincount(cell * len(type_names) + kind, minlength=n_cells * len(type_names)).reshape(n_cells, len(type_names))
    top = by_type.argmax(axis=1)
    table = pd.DataFrame({
        "lon": np.bincount(cell, x, n_cells) / count, "lat": np.bincount(cell, y, n_cells) / count, "events": count,
        "fatalities": np.bincount(cell, np.nan_to_num(deaths), n_cells).round().astype("int64"),
        "unknown_fatalities": np.bincount(cell, np.isnan(deaths), n_cells).astype("int64"),
        "region_only": np.bincount(cell, precision(events).to_numpy() == 3, n_cells).astype("int64"),
        "top_type": np.asarray(type_names, dtype=object)[top],
        "top_type_events": by_type[np.arange(n_cells), top].astype("int64"),
    })
    return table[columns]


def cell_size(west: float, east: float, south: float, north: float) -> float:
    """A 'nice' cell size (degrees) giving at most about GRID_TARGET_CELLS cells over the extent
    (the 1st to 99th percentiles of the events' coordinates)."""
    area = max((east - west) * (north - south), 1e-6)
    raw = math.sqrt(area / GRID_TARGET_CELLS)
    for size in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0):
        if size >= raw:
            return size
    return 10.0

