"""The whole pipeline in one call: load → validate → spatial join, with the boundary layers.

The CLI and the app both start here, so they see the same events. A file given by path is
cached (:mod:`mapdata.cache`): loading the same bytes again reads a Parquet copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import cache, config
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
    regions, border = load_regions(), load_border()
    cache_key = cache.key(Path(source)) if isinstance(source, (str, Path)) and Path(source).is_file() else None
    cached = cache.load(cache_key)
    if cached is not None:
        events, rejected = cached
        rejected = rejected.assign(file=label) if len(rejected) else rejected
    else:
        loaded, rejected = load_events(source, name=label)
        events = join_regions(loaded, regions, border)
        cache.store(cache_key, events, rejected)
    return Dataset(events, rejected, regions, border, load_countries(), label)
