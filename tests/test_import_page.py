"""The Import page through AppTest: upload, report, explore alone or merged; session isolation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streamlit.testing.v1 import AppTest

from mapdata.formats import FORMATS

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"


def import_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    return at.switch_page("pages/5_Import.py").run()


def events_metric(at: AppTest) -> int:
    return int(at.metric[0].value.replace(",", ""))


def test_format_menu_offers_every_registered_format():
    menu = import_page().selectbox(key="import_format")
    assert menu.options == ["Detect from the header"] + [f.label for f in FORMATS.values()]


def test_upload_shows_the_report_and_explores_the_file_merged(tmp_path):
    at = import_page()
    path = DATA / "events_bad.csv"
    at.file_uploader(key="import_file").set_value((path.name, path.read_bytes(), "text/csv")).run()
    next(b for b in at.button if b.label == "Check and import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.subheader[0].value == "Report for events_bad.csv"
    values = {m.label: m.value for m in at.metric}
    assert values["Accepted"] == "3" and values["Rejected"] == "14"
    assert events_metric(at) == 224 + 3, "merged with the embedded events by default"
    method = " ".join(m.value for m in at.switch_page("pages/4_Sources_and_method.py").run().markdown)
    assert "The embedded dataset holds incidents" in method and "**Events from events_bad.csv.**" in method
    at.switch_page("pages/5_Import.py").run()
    rejected = next(d.value for d in at.dataframe if "row" in d.value.columns)
    assert set(rejected["row"]) >= {3, 4, 5}
    grouped = next(d.value for d in at.dataframe if "first_rows" in d.value.columns)
    assert grouped["rows"].sum() >= 14 and "row 3" in " ".join(grouped["first_rows"])


def test_explore_the_file_alone_then_back_to_the_embedded_events():
    at = import_page()
    path = DATA / "events_valid.csv"
    at.file_uploader(key="import_file").set_value((path.name, path.read_bytes(), "text/csv")).run()
    next(b for b in at.button if b.label == "Check and import").click().run()
    assert events_metric(at) == 224, "all nine ids already exist in the app's data: none merged twice"
    at.radio(key="data_source").set_value("upload").run()
    assert events_metric(at) == 9
    at.switch_page("pages/3_Data_and_export.py").run()
    assert events_metric(at) == 9, "every page explores the chosen data"
    at.switch_page("pages/4_Sources_and_method.py").run()
    method = " ".join(m.value for m in at.markdown)
    assert "**Events from events_valid.csv.**" in method and "embedded dataset" not in method
    at.switch_page("pages/5_Import.py").run()
    at.radio(key="data_source").set_value("embedded").run()
    assert events_metric(at) == 224


def test_an_import_is_invisible_to_another_session():
    first = import_page()
    path = DATA / "events_bad.csv"
    first.file_uploader(key="import_file").set_value((path.name, path.read_bytes(), "text/csv")).run()
    next(b for b in first.button if b.label == "Check and import").click().run()
    assert events_metric(first) == 227
    second = import_page()
    assert events_metric(second) == 224
    assert not any(s.value.startswith("Report for") for s in second.subheader)


def test_acled_file_is_detected_and_a_broken_mapping_is_a_message():
    at = import_page()
    acled = next(DATA.glob("import_acled*.csv"))
    at.file_uploader(key="import_file").set_value((acled.name, acled.read_bytes(), "text/csv")).run()
    next(b for b in at.button if b.label == "Check and import").click().run()
    assert not at.exception
    assert any("format acled" in m.value for m in at.markdown)
    at.selectbox(key="import_format").set_value("mapping").run()
    at.file_uploader(key="import_mapping").set_value(("bad.json", b"{not json", "application/json")).run()
    next(b for b in at.button if b.label == "Check and import").click().run()
    assert not at.exception
    assert any("not a valid mapping file" in e.value for e in at.error)


def test_too_large_a_file_is_refused_with_the_limit(monkeypatch):
    monkeypatch.setenv("MAPDATA_UPLOAD_LIMIT_MB", "1")  # the smallest limit the uploader takes
    at = import_page()
    path = DATA / "events_valid.csv"
    header, *rows = path.read_bytes().splitlines(keepends=True)
    big = header + b"".join(rows) * (1024 * 1024 // len(b"".join(rows)) + 1)
    assert len(big) > 1024 * 1024
    at.file_uploader(key="import_file").set_value((path.name, big, "text/csv")).run()
    next(b for b in at.button if b.label == "Check and import").click().run()
    assert any("the limit is 1 MB" in e.value for e in at.error)


BAD = DATA / "bad"


@pytest.mark.parametrize("path", sorted(p for p in BAD.iterdir() if not p.name.endswith(".expect.json")), ids=lambda p: p.name)
def test_every_broken_file_through_the_import_page(path):
    expect = json.loads((BAD / (path.name.rsplit(".", 1)[0] + ".expect.json")).read_text(encoding="utf-8"))
    name = path.name if path.suffix == ".csv" else path.stem + ".csv"  # the uploader takes .csv; content is what counts
    at = import_page()
    at.file_uploader(key="import_file").set_value((name, path.read_bytes(), "text/csv")).run()
    next(b for b in at.button if b.label == "Check and import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    if expect["outcome"] == "error":
        assert any(name in e.value and expect["message"] in e.value for e in at.error)
        return
    values = {m.label: m.value for m in at.metric}
    assert values["Accepted"] == str(expect["accepted"]) and values["Rejected"] == str(len(expect["rejected"]))


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="import_file").set_value((name, data, "application/octet-stream")).run()
    next(b for b in at.button if b.label == "Check and import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_old_acled_in_windows_1252_zipped_is_read_and_reported():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(DATA / "formats" / "acled_pre2019_cp1252.csv", "ACLED old.csv")
    at = upload(import_page(), "acled-old.zip", buffer.getvalue())
    text = " ".join(str(m.value) for m in at.markdown)
    assert "ACLED export before the 2019 taxonomy change" in text
    assert "Windows-1252" in text and "dd/mm/yyyy" in text and "zip archive, member ACLED old.csv" in text
    values = {m.label: m.value for m in at.metric}
    assert values["Accepted"] == "11" and values["Rejected"] == "1"
    grouped = next(d.value for d in at.dataframe if "first_rows" in d.value.columns)
    assert grouped["first_rows"].str.contains("Riots/Protests with inter1 3").any()


def test_an_xlsx_workbook_and_a_date_format_given_on_the_page():
    import csv

    from workbooks import xlsx_bytes

    rows = list(csv.reader((DATA / "formats" / "dates_ambiguous.csv").read_text(encoding="utf-8").splitlines()))
    at = import_page()
    at.text_input(key="import_date_format").set_value("%m/%d/%Y")
    at = upload(at, "ambiguous.xlsx", xlsx_bytes({"Events": rows}))
    assert "xlsx workbook, first sheet 'Events' of 1" in " ".join(str(m.value) for m in at.markdown)
    assert {m.label: m.value for m in at.metric}["Accepted"] == "4"


def test_ucdp_windows_are_said_on_the_headline_and_the_timeline():
    path = DATA / "formats" / "ucdp_ged19.csv"
    at = upload(import_page(), path.name, path.read_bytes())
    at.radio(key="data_source").set_value("upload").run()
    at.switch_page("pages/1_Timeline.py").run()
    assert not at.exception, [e.value for e in at.exception]
    captions = " ".join(c.value for c in at.caption)
    assert "2 events dated only to a window longer than a month" in captions
    assert "2 events are dated only to a window longer than a month: each counts as an event in every month" in captions


def test_a_gazetteer_upload_places_rows_of_another_country(tmp_path):
    at = import_page()
    events = ("event_id,event_date,event_type,location,country,source,source_url,latitude,longitude,geo_precision\n"
              "BF-T-1,2024-01-02,Battles,Koudougou,Burkina Faso,Test source,https://example.org/a,,,\n").encode()
    gazetteer = DATA / "geo" / "gazetteer_small.csv"
    at.file_uploader(key="import_file").set_value(("bf.csv", events, "text/csv")).run()
    at.file_uploader(key="import_gazetteers").set_value([(gazetteer.name, gazetteer.read_bytes(), "text/csv")]).run()
    next(b for b in at.button if b.label == "Check and import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("gazetteer_small.csv row 4, column latitude ('95')" in w.value for w in at.warning)
    values = {m.label: m.value for m in at.metric}
    assert values["Accepted"] == "1" and values["Geocoded"] == "1"


def test_the_uploader_and_the_page_text_state_one_size_limit(monkeypatch):
    """Issue 16: the page said "CSV up to 50 MB" while the uploader said "200MB per file"."""
    monkeypatch.setenv("MAPDATA_UPLOAD_LIMIT_MB", "7")
    at = import_page()
    assert at.file_uploader(key="import_file").proto.max_upload_size_mb == 7
    assert any("up to 7 MB." in c.value for c in at.caption)


# --- boundary files: the session's own geography ------------------------------------------------

COD_ARMENIA = DATA / "geo" / "arm_admbnda_adm1_small.geojson"


def build_geography_on_page(at: AppTest, *files: Path) -> AppTest:
    at.file_uploader(key="geo_files").set_value([(f.name, f.read_bytes(), "application/octet-stream") for f in files]).run()
    next(b for b in at.button if b.label == "Build and use this geography").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def boundary_credit(at: AppTest) -> str:
    return next(c.value for c in at.caption if c.value.startswith("Boundaries:"))


def test_uploaded_boundaries_become_the_sessions_geography(tmp_path):
    """A COD-AB file of Armenia's provinces: the region filter offers its 11 provinces, the headline
    counts the events the library joins to Syunik in that geography, the credits and Sources & method
    name the file with "licence unknown", the build's notes are on the page; then back to the shipped one."""
    from mapdata.dataset import load_dataset
    from mapdata.filters import FilterSpec, filter_events
    from mapdata.geo import build_geography, load_geography

    at = build_geography_on_page(import_page(), COD_ARMENIA)
    assert any("single-country geography (Armenia)" in m.value for m in at.markdown)
    assert any("no licence found" in w.value for w in at.warning)
    regions = at.multiselect(key="f_region")
    assert [o.split(" (")[0] for o in regions.options] == ["Aragatsotn", "Ararat", "Armavir", "Gegharkunik", "Kotayk", "Lori",
                                                           "Shirak", "Syunik", "Tavush", "Vayots Dzor", "Yerevan"]
    assert "HDX COD-AB ARM ADM1 (arm_admbnda_adm1_small.geojson): licence unknown" in boundary_credit(at)
    assert "geoBoundaries" not in boundary_credit(at)
    regions.set_value(["Syunik"]).run()
    build_geography([COD_ARMENIA], tmp_path / "armenia")
    data = load_dataset(ROOT / "data" / "events.csv", geography=load_geography(tmp_path / "armenia"))
    expected = filter_events(data.events, FilterSpec(regions=("Syunik",)), data.regions)
    assert 0 < events_metric(at) == len(expected) < 224
    at.switch_page("pages/4_Sources_and_method.py").run()
    assert any(c.value.startswith("No border line in this geography: single-country geography (Armenia)") for c in at.caption)
    assert any("HDX COD-AB ARM ADM1" in m.value for m in at.markdown)
    assert events_metric(at) == len(expected), "every page works on the session's geography"
    at.switch_page("pages/5_Import.py").run()
    next(b for b in at.button if b.label == "Use the shipped geography again").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.multiselect(key="f_region").options) == 90 and events_metric(at) == 224, "region filter cleared"
    assert "geoBoundaries" in boundary_credit(at)
    assert len(import_page().multiselect(key="f_region").options) == 90, "another session keeps the shipped geography"


def test_an_imported_file_is_joined_to_the_uploaded_geography():
    """Events imported before the boundary files are joined to them too (merged and alone)."""
    at = import_page()
    path = DATA / "events_bad.csv"
    at.file_uploader(key="import_file").set_value((path.name, path.read_bytes(), "text/csv")).run()
    next(b for b in at.button if b.label == "Check and import").click().run()
    build_geography_on_page(at, COD_ARMENIA)
    assert events_metric(at) == 227
    at.radio(key="data_source").set_value("upload").run()
    at.switch_page("pages/3_Data_and_export.py").run()
    table = next(d.value for d in at.dataframe if "region_name" in d.value.columns)
    assert len(table) == 3 and set(table["region_country"]) <= {"ARM", ""} and table["border_km"].isna().all()


@pytest.mark.parametrize("name, content, message", [
    ("broken.geojson", b"not a boundary file", "Cannot read boundary file broken.geojson"),
    ("points.geojson", b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":1},'
                       b'"geometry":{"type":"Point","coordinates":[45,40]}}]}', "Cannot tell the layout of points.geojson"),
])
def test_a_bad_boundary_file_is_one_error_naming_it(name, content, message):
    at = import_page()
    at.file_uploader(key="geo_files").set_value([(name, content, "application/geo+json")]).run()
    next(b for b in at.button if b.label == "Build and use this geography").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(e.value.startswith(message) for e in at.error)
    assert len(at.multiselect(key="f_region").options) == 90, "the shipped geography stays"


def test_too_large_a_boundary_file_is_refused_with_the_limit(monkeypatch):
    monkeypatch.setenv("MAPDATA_UPLOAD_LIMIT_MB", "1")
    at = import_page()
    assert at.file_uploader(key="geo_files").proto.max_upload_size_mb == 1
    big = COD_ARMENIA.read_bytes() + b" " * (1024 * 1024)
    at.file_uploader(key="geo_files").set_value([(COD_ARMENIA.name, big, "application/geo+json")]).run()
    next(b for b in at.button if b.label == "Build and use this geography").click().run()
    assert any(e.value.startswith(f"{COD_ARMENIA.name} is 1.") and "the limit is 1 MB" in e.value for e in at.error)
