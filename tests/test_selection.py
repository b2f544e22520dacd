"""The events source seam: a store's DuckDB answers equal the in-memory pandas answers, and the app
on a store shows what it shows on the files the store was built from."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal
from streamlit.testing.v1 import AppTest

from mapdata import compare, layers
from mapdata.dataset import load_dataset, merge_datasets
from mapdata.filters import FilterSpec
from mapdata.selection import DatasetSource, StoreSource, open_source
from mapdata.store import build_store

from conftest import DATA, ROOT

pytest.importorskip("distributed")
pytest.importorskip("duckdb")

EVENTS = ROOT / "data" / "events.csv"
SOURCES = [EVENTS, DATA / "import_ucdp_ged.csv", DATA / "import_acled.csv"]  # the UCDP file has an event dated to a window
CHUNK_MB = 2500 / (1 << 20)  # a few records per chunk: every file is cut in several parts
SPECS = [
    FilterSpec(),
    FilterSpec(regions=("Kalbajar",)),
    FilterSpec(countries=("ARM",), precisions=(1, 2)),
    FilterSpec(event_types=("Battles",), min_fatalities=1),
    FilterSpec(date_from=date(2021, 1, 1), date_to=date(2022, 12, 31)),
    FilterSpec(date_from=date(2020, 11, 1), date_to=date(2020, 12, 31), max_border_km=20.0),
    FilterSpec(max_fatalities=0),
    FilterSpec(date_from=date(2031, 1, 1)),  # no part of the store: every answer empty
    FilterSpec(search="kalbajar"),  # finished in pandas on a store
    FilterSpec(area=((45.8, 39.9), (46.5, 39.9), (46.0, 40.4), (45.8, 39.9))),
]
PERIODS = compare.Periods(a=(date(2021, 1, 1), date(2021, 12, 31)), b=(date(2020, 1, 1), date(2020, 12, 31)))


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None) as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def sources(cluster, tmp_path_factory):
    """The same events in memory (the files loaded and merged) and in a store built from them."""
    store = tmp_path_factory.mktemp("selection") / "store"
    build_store(SOURCES, store, scheduler=cluster, chunk_mb=CHUNK_MB)
    merged = load_dataset(SOURCES[0])
    for extra in SOURCES[1:]:
        merged = merge_datasets(merged, load_dataset(extra))
    return DatasetSource(merged), open_source(store)


@pytest.fixture(scope="module")
def app_store(cluster, tmp_path_factory) -> Path:
    """A store of the app's own events file."""
    store = tmp_path_factory.mktemp("app") / "store"
    build_store([EVENTS], store, scheduler=cluster, chunk_mb=CHUNK_MB)
    return store


def _frames_equal(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(left.reset_index(drop=True), right.reset_index(drop=True), check_dtype=False)


def _rows_equal(left, right) -> None:
    """The same events in the same order (a store numbers its rows afresh)."""
    assert_geodataframe_equal(left.reset_index(drop=True), right.reset_index(drop=True))


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.describe())
def test_a_stores_answers_equal_the_in_memory_answers(sources, spec):
    memory, store = (source.select(spec) for source in sources)
    assert isinstance(sources[1], StoreSource)
    assert store.count == memory.count
    assert store.headline() == memory.headline()
    for step in ("week", "month"):
        for all_dates in (False, True):
            _frames_equal(store.timeline(step, all_dates), memory.timeline(step, all_dates))
    _frames_equal(store.region_summary(), memory.region_summary())
    assert store.outside_count() == memory.outside_count()
    assert store.map_summary() == memory.map_summary()
    _frames_equal(store.grid_cells(), memory.grid_cells())
    _frames_equal(store.newest(20), memory.newest(20))
    _frames_equal(store.compare(PERIODS), memory.compare(PERIODS))
    _rows_equal(store.rows(), memory.rows())
    _rows_equal(store.heat_rows(), memory.heat_rows())


def test_a_stores_first_answers_are_counts_not_rows(sources):
    store = sources[1].select(FilterSpec(event_types=("Battles",)))
    assert store.headline().events > 0 and store.region_summary()["events"].sum() > 0
    assert "rows" not in {key[0] for key in store._answers}, "no row was read for the headline and the region table"
    assert sources[1].select(FilterSpec(event_types=("Battles",))) is store, "kept per filter: asked once"


def test_player_frames_of_a_store_equal_the_in_memory_frames(sources):
    spec = FilterSpec(date_from=date(2020, 10, 15), date_to=date(2023, 6, 30))
    memory, store = (source.select(spec) for source in sources)
    for window in [(date(2020, 10, 1), date(2020, 10, 31)), (date(2022, 2, 1), date(2022, 2, 28)), (None, date(2021, 12, 31))]:
        assert store.window(window).headline() == memory.window(window).headline()
        _frames_equal(store.window(window).region_summary(), memory.window(window).region_summary())
        _rows_equal(store.window(window).rows(), memory.window(window).rows())


def test_the_visible_area_of_a_store_gives_the_in_memory_rows(sources, monkeypatch):
    """Above POINT_LIMIT selected events, the map draws the visible area's events when few enough."""
    monkeypatch.setattr(layers.incidents, "POINT_LIMIT", 50)
    monkeypatch.setattr("mapdata.selection.POINT_LIMIT", 50)
    bounds = {"_southWest": {"lat": 39.9, "lng": 45.9}, "_northEast": {"lat": 40.2, "lng": 46.3}}
    memory, store = (source.select(FilterSpec()) for source in sources)
    drawn = memory.in_view(bounds)
    assert drawn is not None and 0 < len(drawn) <= 50
    _rows_equal(store.in_view(bounds), drawn)
    everywhere = {"_southWest": {"lat": -80, "lng": -170}, "_northEast": {"lat": 80, "lng": 170}}
    assert memory.in_view(everywhere) is None and store.in_view(everywhere) is None


def test_a_stores_options_bounds_and_records_equal_the_in_memory_ones(sources):
    memory, store = sources
    assert store.options == memory.options
    assert store.total == memory.total
    for everything in (False, True):
        assert [float(v) for corner in store.bounds(everything) for v in corner] == \
            pytest.approx([float(v) for corner in memory.bounds(everything) for v in corner])
    stacked = memory.select(FilterSpec()).rows()
    point = stacked.groupby(["latitude", "longitude"])["event_id"].transform("size") > 1
    event_id = stacked.loc[point, "event_id"].iloc[0]
    _rows_equal(store.event(event_id), memory.event(event_id))
    _frames_equal(store.select(FilterSpec()).colocated(event_id), memory.select(FilterSpec()).colocated(event_id))
    assert len(store.select(FilterSpec()).colocated(event_id)) > 1
    assert store.event("no-such-id").empty


def _app(events: Path, monkeypatch, page: str = "app.py", **query: str) -> AppTest:
    monkeypatch.setenv("MAPDATA_EVENTS", str(events))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params.update(query)
    at.run()
    at = at if page == "app.py" else at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _shown(at: AppTest) -> dict:
    """What a page shows: its metrics, captions and tables."""
    return {"metrics": [(m.label, m.value) for m in at.metric], "captions": [c.value for c in at.caption],
            "tables": [frame.value.reset_index(drop=True) for frame in at.dataframe]}


@pytest.mark.parametrize("page", ["app.py", "pages/1_Timeline.py", "pages/2_Regions.py", "pages/3_Data_and_export.py"])
@pytest.mark.parametrize("query", [{}, {"type": "Battles", "from": "2021-01-01"}], ids=["all", "filtered"])
def test_the_app_on_a_store_shows_what_it_shows_on_the_file(app_store, monkeypatch, page, query):
    from_file, from_store = (_shown(_app(events, monkeypatch, page, **query)) for events in (EVENTS, app_store))
    assert from_store["metrics"] == from_file["metrics"]
    assert from_store["captions"] == from_file["captions"]
    assert len(from_store["tables"]) == len(from_file["tables"]) > 0
    for ours, theirs in zip(from_store["tables"], from_file["tables"]):
        pd.testing.assert_frame_equal(ours, theirs, check_dtype=False)


def test_the_app_on_a_store_counts_in_grid_cells_above_its_marker_limit(app_store, monkeypatch):
    monkeypatch.setattr(StoreSource, "marker_limit", 100)
    at = _app(app_store, monkeypatch)
    caption = " ".join(c.value for c in at.caption)
    assert "Grouped in grid cells (more than 100)" in caption
    assert "224 incidents" in caption
    at.toggle(key="heat").set_value(True).run()
    assert "The heat map needs single incidents: filter to 100 or fewer." in " ".join(c.value for c in at.caption)
    assert len(at.dataframe[-1].value) == 224, "the table under the map still lists every incident"
