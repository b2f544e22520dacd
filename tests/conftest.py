"""Shared fixtures: paths to the small real files in tests/data/."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def plotted_across_the_line() -> set[str]:
    """The rows of data/events.csv that data/README.md lists as plotted across the line from the reported side."""
    numbers = (74, 75, 78, 79, 80, 81, 108, 111, 114, 116, 117, 120,
               135, 137, 138, 139, 152, 191, 196, 199, 216, 219, 223)
    return {f"AZARM-{n:04d}" for n in numbers}


@pytest.fixture(scope="session")
def small_regions():
    """A real subset of the shipped regions layer (tests/data/regions_small.geojson)."""
    from mapdata.geo import load_regions

    return load_regions(DATA / "regions_small.geojson")


@pytest.fixture(scope="session")
def small_border():
    from mapdata.geo import load_border

    return load_border(DATA / "border_small.geojson")


@pytest.fixture(scope="session")
def joined_events(small_regions, small_border):
    """tests/data/events_valid.csv loaded and joined to the small real layers."""
    from mapdata.join import join_regions
    from mapdata.load import load_events

    events = load_events(DATA / "events_valid.csv").events
    return join_regions(events, small_regions, small_border)


@pytest.fixture
def events():
    """tests/data/layers_events.csv as a point GeoDataFrame: six incidents covering every type of
    marker the map layers draw (precision 1-3, a missing fatality figure, a large one)."""
    import geopandas as gpd
    import pandas as pd

    frame = pd.read_csv(DATA / "layers_events.csv")
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame.longitude, frame.latitude), crs="EPSG:4326")
