"""The real Streamlit app through streamlit.testing.v1.AppTest: every page, filters, deep links."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from field_specs import FIELD_SPECS
from streamlit.testing.v1 import AppTest

from mapdata import FilterSpec, filter_events, load_dataset
from mapdata.export import FORMATS

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["app.py", "pages/1_Timeline.py", "pages/2_Regions.py", "pages/3_Data_and_export.py",
         "pages/4_Sources_and_method.py"]


@pytest.fixture(scope="module", autouse=True)
def map_assets():
    """The map page needs Leaflet in static/vendor (fetched from the npm registry once)."""
    from mapdata.assets import AssetError, fetch_assets

    try:
        fetch_assets()
    except AssetError as exc:
        pytest.skip(f"the map's JS/CSS are not in static/vendor and the npm registry is unreachable: {exc}")


@pytest.fixture(scope="module")
def data():
    return load_dataset(ROOT / "data" / "events.csv")


def app(page: str = "app.py", **query: str) -> AppTest:
    """The app run from its entry file (as `streamlit run app.py` does), switched to ``page``."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params.update(query)
    at.run()
    return at if page == "app.py" else at.switch_page(page).run()


def events_metric(at: AppTest) -> int:
    return int(at.metric[0].value.replace(",", ""))


def kalbajar_label(at: AppTest) -> str:
    return next(o for o in at.multiselect(key="f_region").options if o.startswith("Kalbajar District"))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_without_exception(page):
    at = app(page)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == "Conflict-incident map"
    assert events_metric(at) == 224
    assert "Boundaries: geoBoundaries" in " ".join(c.value for c in at.caption), "licences are credited on every page"


def test_data_and_export_page_offers_every_export_format():
    at = app("pages/3_Data_and_export.py")
    offered = [button.proto.label for button in at.get("download_button")]
    assert offered == [export.label for export in FORMATS.values()]


def test_filters_change_the_headline_to_what_filter_events_gives(data):
    at = app()
    at.slider(key="f_date").set_value((date(2021, 1, 1), date(2023, 12, 31))).run()
    at.multiselect(key="f_type").set_value(["Battles"]).run()
    spec = FilterSpec(date_from=date(2021, 1, 1), date_to=date(2023, 12, 31), event_types=("Battles",))
    assert events_metric(at) == len(filter_events(data.events, spec, data.regions))
    at.multiselect(key="f_region").set_value([kalbajar_label(at)]).run()
    spec = FilterSpec(date_from=date(2021, 1, 1), date_to=date(2023, 12, 31), event_types=("Battles",),
                      regions=("Kalbajar",))
    expected = filter_events(data.events, spec, data.regions)
    assert events_metric(at) == len(expected) > 0
    assert "types: Battles" in at.caption[0].value and "dates 2021-01-01 to 2023-12-31" in at.caption[0].value


def test_region_labels_carry_alternative_names_for_search():
    at = app()
    label = kalbajar_label(at)
    assert "Karvachar" in label and "Kəlbəcər" in label


def test_precision_filter_and_hide_region_only(data):
    at = app()
    at.toggle(key="f_exact_only").set_value(True).run()
    assert events_metric(at) == int((data.events["geo_precision"] < 3).sum())
    assert at.metric[3].value == "0"


def test_deep_link_reproduces_a_filter(data):
    at = app("app.py", region="Karvachar", type="Battles")
    assert not at.exception
    spec = FilterSpec(regions=("Kalbajar",), event_types=("Battles",))
    assert events_metric(at) == len(filter_events(data.events, spec, data.regions)) > 0
    assert at.multiselect(key="f_region").value == ["Kalbajar District"]
    assert at.query_params["region"] in (["Kalbajar District"], "Kalbajar District"), "rewritten to the English name"


def test_the_url_carries_the_filter_in_the_library_format(data):
    at = app()
    at.slider(key="f_date").set_value((date(2021, 1, 1), date(2021, 12, 31))).run()
    at.multiselect(key="f_type").set_value(["Battles"]).run()
    spec = FilterSpec.from_query(dict(at.query_params))
    assert spec == FilterSpec(date_from=date(2021, 1, 1), date_to=date(2021, 12, 31), event_types=("Battles",))
    assert events_metric(at) == len(filter_events(data.events, spec, data.regions))


def test_a_bad_link_warns_and_shows_everything():
    at = app("app.py", region="Atlantis", fat_min="many")
    assert not at.exception
    assert any("could not be used" in w.value for w in at.warning)
    assert events_metric(at) == 224


def test_choosing_rows_on_the_regions_page_filters_every_page():
    at = app("pages/2_Regions.py")
    table = at.dataframe[0].value
    row = list(table["region"]).index("Lachin District")
    at.session_state["f_region"] = ["Lachin District"]
    at.run()
    assert events_metric(at) == int(table.iloc[row]["events"])


def test_a_broken_events_file_gives_a_message_not_a_traceback(tmp_path, monkeypatch):
    bad = tmp_path / "broken.csv"
    bad.write_text("event_id,location\nX,Somewhere\n", encoding="utf-8")
    monkeypatch.setenv("MAPDATA_EVENTS", str(bad))
    at = app()
    assert not at.exception
    assert "required column(s) missing" in at.error[0].value and "broken.csv" in at.error[0].value


def test_rejected_rows_are_reported_and_good_rows_kept(tmp_path, monkeypatch):
    source = (ROOT / "tests" / "data" / "events_bad.csv").read_bytes()
    (tmp_path / "mixed.csv").write_bytes(source)
    monkeypatch.setenv("MAPDATA_EVENTS", str(tmp_path / "mixed.csv"))
    at = app("pages/3_Data_and_export.py")
    assert not at.exception
    assert events_metric(at) == 3
    assert "14 invalid rows skipped" in at.caption[0].value
    assert any("rows of mixed.csv were rejected" in e.label for e in at.expander)


def test_map_page_explains_missing_assets(tmp_path, monkeypatch):
    monkeypatch.setenv("MAPDATA_ASSETS_DIR", str(tmp_path / "nothing-here"))
    at = app()
    assert not at.exception
    assert "python -m mapdata assets" in at.error[0].value


def test_time_window_shows_one_month_at_a_time(data):
    at = app()
    at.toggle(key="animate").set_value(True).run()
    at.slider(key="frame").set_value(2).run()
    caption = next(c.value for c in at.caption if c.value.startswith("Window 3 of"))
    first = data.events["event_date"].min()
    month = data.events[(data.events["event_date"].dt.year == first.year) & (data.events["event_date"].dt.month == first.month + 2)]
    assert f"· {len(month)} of 224 events" in caption


@pytest.mark.parametrize("field", list(FIELD_SPECS))
def test_a_links_headline_equals_what_mapdata_export_writes_for_it(field, tmp_path):
    from mapdata.cli import main

    spec = FIELD_SPECS[field]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params.update(spec.to_query())
    at.run()
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    target = tmp_path / "linked.geojson"
    assert main(["export", "--url", f"http://localhost:8501/?{spec.to_query_string()}", "-o", str(target)]) == 0
    assert events_metric(at) == json.loads(target.read_text(encoding="utf-8"))["metadata"]["count"]


SIDEBAR_VALUES = {  # a non-default value for every sidebar widget
    "f_date": (date(2020, 11, 1), date(2023, 12, 31)), "f_region": ["Lachin District"], "f_country": ["AZE"],
    "f_type": ["Battles", "Explosions/Remote violence"], "f_subtype": ["Armed clash"],
    "f_actor": ["Military Forces of Azerbaijan"], "f_precision": [1, 3], "f_exact_only": True, "f_fat_min": 1,
    "f_fat_max": 50, "f_border_km": 40.0,
}


def test_every_sidebar_widget_keeps_its_value_on_every_page():
    """Issue 16: a widget on another page is a new widget to Streamlit; its value must come along
    (the Location precision filter used to empty itself after the Map page)."""
    from mapdata.filters import FIELDS, VIEW_KEYS

    at = app()
    widgets = {w.key: w for w in at.sidebar if getattr(w, "key", None) in SIDEBAR_VALUES}
    assert set(widgets) == set(SIDEBAR_VALUES), "every sidebar widget is covered"
    for key, value in SIDEBAR_VALUES.items():
        next(w for w in at.sidebar if getattr(w, "key", None) == key).set_value(value).run()
    shown = events_metric(at)
    for page in [*PAGES[1:], "pages/5_Import.py", "app.py", "pages/1_Timeline.py"]:
        at.switch_page(page).run()
        assert not at.exception, page
        kept = {w.key: w.value for w in at.sidebar if getattr(w, "key", None) in SIDEBAR_VALUES}
        assert {k: (list(v) if isinstance(v, list) else v) for k, v in kept.items()} == SIDEBAR_VALUES, page
        assert not any("No precision level" in w.value for w in at.warning), page
        assert events_metric(at) == shown, page
        assert set(at.query_params) <= {f.key for f in FIELDS} | set(VIEW_KEYS), page


def test_the_app_opens_on_another_geography(tmp_path, monkeypatch):
    """A geography of Armenia alone, built from the COD-AB-like fixture: every page runs on it, the
    map says why border_km is empty, and the credits name its own source and licence."""
    from mapdata.geo import build_geography

    build_geography([ROOT / "tests" / "data" / "geo" / "arm_admbnda_adm1_small.geojson"], tmp_path / "armenia")
    monkeypatch.setenv("MAPDATA_GEO_DIR", str(tmp_path / "armenia"))
    monkeypatch.setenv("MAPDATA_CACHE_DIR", "off")
    for page in PAGES:
        at = app(page)
        assert not at.exception, (page, at.exception)
        captions = " ".join(c.value for c in at.caption)
        assert "HDX COD-AB ARM ADM1 (arm_admbnda_adm1_small.geojson): licence unknown" in captions, page
        assert "Armenia from OpenStreetMap" not in captions and "Azerbaijan" not in captions.split("Boundaries:")[1], page
    assert "No border line in this geography: single-country geography (Armenia)" in " ".join(c.value for c in app().caption)


def test_cumulative_playback_shows_everything_up_to_each_frame(data):
    at = app()
    at.toggle(key="animate").set_value(True).run()
    at.segmented_control(key="play_mode").set_value("cumulative").run()
    first = data.events["event_date"].min()
    for frame in (0, 2, 5):
        at.slider(key="frame").set_value(frame).run()
        caption = next(c.value for c in at.caption if c.value.startswith(f"Up to window {frame + 1} of"))
        end = (first.to_period("M") + frame).end_time.normalize()
        upto = data.events[data.events["event_date"] <= end]
        assert f"{first:%Y-%m-01} → {end:%Y-%m-%d} · {len(upto)} of 224 events" in caption, caption
    at.segmented_control(key="play_mode").set_value("window").run()
    assert any(c.value.startswith("Window 6 of") for c in at.caption)


def test_grid_cells_on_request_count_every_event():
    at = app()
    at.toggle(key="aggregate").set_value(True).run()
    assert not at.exception
    assert any("Grouped in grid cells (as chosen)" in c.value for c in at.caption)


def test_the_search_box_filters_and_goes_into_the_url(data):
    at = app()
    at.text_input(key="f_q").set_value("  GORİS ").run()
    expected = filter_events(data.events, FilterSpec(search="goris"), data.regions)
    assert events_metric(at) == len(expected) > 0
    assert at.query_params["q"] in (["GORİS"], "GORİS")
    assert "search “GORİS”" in at.caption[0].value
    linked = app("pages/1_Timeline.py", q="goris")
    assert events_metric(linked) == len(expected) and linked.text_input(key="f_q").value == "goris"


@pytest.mark.parametrize("page", ["app.py", "pages/2_Regions.py"])
def test_compare_mode_shows_the_librarys_bands_and_lives_in_the_url(page, data):
    from mapdata import compare

    at = app(page, **{"from": "2022-01-01", "to": "2022-12-31", "compare": "true"})  # a link with compare mode on
    if page != "app.py":  # AppTest's page switch drops the link's view keys (a browser keeps them: test_workbench_browser)
        at.toggle(key="compare").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.toggle(key="compare").value is True
    periods = compare.Periods(a=(date(2022, 1, 1), date(2022, 12, 31)), b=(date(2021, 1, 1), date(2021, 12, 31)))
    expected = compare.compare_regions(data.events, data.regions, periods)
    shown = next(df.value for df in at.dataframe if "events in A" in df.value.columns)
    assert list(shown["events in A"]) == list(expected["events_a"]) and list(shown["band"]) == list(expected["band"])
    assert any(periods.describe() in c.value for c in at.caption)
    csv = next(b for b in at.get("download_button") if b.proto.label == "Download the comparison (CSV)")
    assert csv.proto.label and not at.error
    at.toggle(key="compare").set_value(False).run()
    assert not any("events in A" in df.value.columns for df in at.dataframe)


def test_sources_and_method_describes_the_events_shown(tmp_path, monkeypatch):
    """The embedded dataset's provenance is told only when its events are shown; a user's file gets its own paragraph."""
    shipped = " ".join(m.value for m in app("pages/4_Sources_and_method.py").markdown)
    assert "The embedded dataset holds incidents" in shipped and "Events from" not in shipped
    (tmp_path / "ged.csv").write_bytes((ROOT / "tests" / "data" / "import_ucdp_ged.csv").read_bytes())
    monkeypatch.setenv("MAPDATA_EVENTS", str(tmp_path / "ged.csv"))
    at = app("pages/4_Sources_and_method.py")
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "**Events from ged.csv.**" in text and "embedded dataset" not in text and "meetings abroad" not in text
