"""Map layers for many events: canvas points, grid cells, the visible-area switch, the heat map.

The size limits are lowered with monkeypatch so that the small real fixture exercises each mode.
"""

from __future__ import annotations

import folium
import pandas as pd
import pytest

from mapdata import layers


def _html(group: folium.FeatureGroup) -> str:
    return folium.Map(tiles=None).add_child(group).get_root().render()


def test_above_the_detail_limit_markers_are_compact_canvas_points(events, monkeypatch):
    monkeypatch.setattr(layers.incidents, "DETAIL_LIMIT", 3)
    html = _html(layers.incident_layer(events))
    assert "L.canvas" in html and "L.geoJson" not in html
    assert all(f'"{event_id}"' in html for event_id in events["event_id"])
    assert "mapdata-popup" not in html, "the full record is fetched on click, not sent with every marker"
    assert layers.event_id_from_tooltip(f"{events['event_id'].iloc[0]} · Battles") == events["event_id"].iloc[0]


def test_above_the_point_limit_events_are_webgl_points_from_typed_arrays(events, monkeypatch):
    import base64
    import json
    import re

    import numpy as np

    monkeypatch.setattr(layers.incidents, "POINT_LIMIT", 3)
    html = _html(layers.incident_layer(events))
    assert "webglPoints" in html and "L.canvas" not in html and "Grid cell: " not in html
    data = json.loads(re.search(r'\)\((\{"ox".*?\}), feature_group', html).group(1))
    x = np.frombuffer(base64.b64decode(data["x"]), "<f4")
    codes = np.frombuffer(base64.b64decode(data["k"]), "u1")
    assert len(x) == len(codes) == len(events) and not any(f'"{i}"' in html for i in events["event_id"])
    assert (codes % 4).tolist() == events["geo_precision"].tolist()
    types = [data["types"][c // 4] for c in codes]
    assert types == [t if t in layers.TYPE_COLOURS else "Other" for t in events["event_type"]]
    lon = (x.astype(float) + data["ox"]) * 360 - 180
    assert np.allclose(lon, events.geometry.x, atol=1e-5)
    assert layers.event_id_from_tooltip("#2 · Battles", events) == events["event_id"].iloc[2]
    assert layers.event_id_from_tooltip("#2 · Battles") is None
    pointless = events.copy()
    pointless.loc[pointless.index[0], "geometry"] = None  # not drawn, so the rows after it move up
    with pytest.warns(UserWarning, match="Not drawn"):
        layers.incident_layer(pointless)
    assert layers.event_id_from_tooltip("#1 · Battles", pointless) == events["event_id"].iloc[2]


@pytest.mark.parametrize("limit", ["WEBGL_LIMIT", "aggregate"])
def test_above_the_webgl_limit_or_when_asked_events_are_counted_in_grid_cells(events, monkeypatch, limit):
    monkeypatch.setattr(layers.incidents, "POINT_LIMIT", 3)
    if limit == "WEBGL_LIMIT":
        monkeypatch.setattr(layers.incidents, "WEBGL_LIMIT", 3)
    cells = layers.grid_cells(events)
    assert cells["events"].sum() == len(events)
    assert cells["region_only"].sum() == int((events["geo_precision"] == 3).sum())
    assert cells["fatalities"].sum() == int(events["fatalities"].sum())
    assert cells["unknown_fatalities"].sum() == int(events["fatalities"].isna().sum())
    html = _html(layers.incident_layer(events, aggregate=limit == "aggregate"))
    assert "Grid cell: " in html and "region-only reference points" in html
    assert layers.event_id_from_tooltip("Grid cell: 7 events · at least 3 fatalities") is None


def test_grid_cells_of_one_cell_size(events):
    cells = layers.grid_cells(events, cell_deg=100.0)
    assert len(cells) <= 4 and cells["events"].sum() == len(events)
    top = events["event_type"].value_counts()
    if len(cells) == 1:
        assert cells["top_type"].iloc[0] == top.index[0] and cells["top_type_events"].iloc[0] == top.iloc[0]


def test_in_view_keeps_the_visible_events_when_few_enough(events, monkeypatch):
    monkeypatch.setattr(layers.incidents, "POINT_LIMIT", 3)
    x, y = events.geometry.x.iloc[0], events.geometry.y.iloc[0]
    tight = {"_southWest": {"lat": y - 1e-6, "lng": x - 1e-6}, "_northEast": {"lat": y + 1e-6, "lng": x + 1e-6}}
    visible = layers.in_view(events, tight)
    assert 0 < len(visible) <= 3 and len(visible) < len(events)
    assert len(layers.in_view(events, None)) == len(events)
    assert len(layers.in_view(events, tuple(events.total_bounds))) == len(events), "too many in view: all, counted in cells"


def test_heat_map_of_many_events_merges_equal_points_but_keeps_the_weight(events, monkeypatch):
    monkeypatch.setattr(layers.incidents, "DETAIL_LIMIT", 3)
    doubled = pd.concat([events, events], ignore_index=True)
    group = layers.heat_layer(doubled, weight_by_fatalities=True)
    heat = next(c for c in group._children.values() if isinstance(c, folium.plugins.HeatMap))
    assert len(heat.data) <= len(events)
    assert sum(p[2] for p in heat.data) == pytest.approx(2 * (len(events) + events["fatalities"].fillna(0).sum()))


def test_canvas_data_cannot_close_the_script_tag(events, monkeypatch):
    monkeypatch.setattr(layers.incidents, "DETAIL_LIMIT", 3)
    events = events.copy()
    events.loc[0, "event_id"] = "X</script><script>alert(1)"
    assert "</script><script>alert(1)" not in _html(layers.incident_layer(events))
