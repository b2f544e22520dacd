"""The whole pipeline in one call: load → validate → spatial join, with the boundary layers.

The CLI and the app both start here, so they see the same events.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import config
from .geo import load_border, load_countries, load_regions
from .join import join_regions
from .load import Source, load_events


@dataclass(frozen=True)
class Dataset:
    """Joined events, the rows that were rejected, and the boundary layers they were joined to."""

    events: gpd.GeoDataFrame
    rejected: pd.DataFrame
    regions: gpd.GeoDataFrame
    border: gpd.GeoDataFrame
    countries: gpd.GeoDataFrame
    name: str


def load_dataset(source: Source | None = None, name: str | None = None) -> Dataset:
    """Load, validate and join an events file (default: the ``EVENTS`` setting)."""
    source = config.get("EVENTS") if source is None else source
    label = name or (Path(source).name if isinstance(source, (str, Path)) else "<uploaded data>")
    events, rejected = load_events(source, name=label)
    regions, border = load_regions(), load_border()
    return Dataset(join_regions(events, regions, border), rejected, regions, border, load_countries(), label)
