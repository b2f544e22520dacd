"""The heat map of the events (Leaflet.heat), hidden until switched on."""

from __future__ import annotations

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd

from mapdata.layers import incidents
from mapdata.layers.frames import COORD_DECIMALS, check_events, fatalities, xy


def heat_layer(events: gpd.GeoDataFrame, weight_by_fatalities: bool = False, name: str = "Heat map") -> folium.FeatureGroup:
    """A Leaflet.heat layer of the events, in its own group that is hidden until switched on.

    With ``weight_by_fatalities`` each event weighs 1 + its fatalities (no figure known = 1).
    """
    events = check_events(events)
    x, y = xy(events)
    points = np.round(np.column_stack([y, x]), COORD_DECIMALS)
    weight = 1 + fatalities(events).fillna(0).to_numpy(dtype=float) if weight_by_fatalities else None
    if len(events) > incidents.DETAIL_LIMIT:  # Leaflet.heat sums weights per pixel: one weighted point per ~100 m is the same picture
        points, weight = _summed(np.round(points, 3), np.ones(len(points)) if weight is None else weight)
    if weight is not None:
        points = np.column_stack([points, weight])
    group = folium.FeatureGroup(name=name, show=False)
    folium.plugins.HeatMap(points.tolist(), radius=18, blur=15, min_opacity=0.3).add_to(group)
    return group


def _summed(points: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equal points merged, their weights summed."""
    frame = pd.DataFrame({"a": points[:, 0], "b": points[:, 1], "w": weight})
    summed = frame.groupby(["a", "b"], sort=False)["w"].sum()
    return np.column_stack([summed.index.get_level_values(0), summed.index.get_level_values(1)]), summed.to_numpy()
