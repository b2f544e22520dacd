"""The command line, run as a user runs it: a subprocess, real files, exit codes, GDAL on the output."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys

import pytest
from field_specs import FIELD_SPECS


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mapdata", *args], capture_output=True, text=True, cwd=cwd)


def test_validate_accepts_the_embedded_dataset(repo_root):
    out = run("validate", str(repo_root / "data" / "events.csv"))
    assert out.returncode == 0
    assert "224 rows accepted, 0 rejected" in out.stdout
    assert "23 accepted events lie in a region of another country than the one reported" in out.stdout
    assert "AZARM-0116: reported Armenia; point in Qazakh District (AZE)" in out.stdout


def test_validate_lists_rejected_rows(data_dir):
    out = run("validate", str(data_dir / "events_bad.csv"))
    assert out.returncode == 0
    assert "3 rows accepted, 14 rejected" in out.stdout
    assert "row 7, column fatalities ('many'): not a number" in out.stdout


@pytest.mark.parametrize("name", ["empty.csv", "events_missing_columns.csv", "nope.csv"])
def test_unreadable_files_give_one_line_and_nonzero_exit(data_dir, name):
    out = run("validate", str(data_dir / name))
    assert out.returncode != 0
    assert out.stderr.startswith("mapdata: error:") and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("region", ["Kalbajar", "Kalbajar District", "Karvachar", "kalbajar"])
def test_export_region_geojson_has_only_kalbajar_events(region, tmp_path, repo_root, plotted_across_the_line):
    target = tmp_path / "k.geojson"
    out = run("export", "--region", region, "--format", "geojson", "-o", str(target), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    doc = json.loads(target.read_text(encoding="utf-8"))
    names = {f["properties"]["region_name"] for f in doc["features"]}
    assert names == {"Kalbajar District"}
    with open(repo_root / "data" / "events.csv", encoding="utf-8", newline="") as fh:
        kalbajar = {r["event_id"] for r in csv.DictReader(fh) if r["admin1"] == "Kalbajar District"}
    expected = kalbajar - plotted_across_the_line
    assert {f["id"] for f in doc["features"]} == expected, \
        "the sources' own district column agrees with the join, but for the rows plotted across the line"
    assert doc["metadata"]["count"] == len(expected) == 15 and len(kalbajar) == 26


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="GDAL's ogrinfo is not installed (Debian gdal-bin)")
def test_ogrinfo_reads_the_export(tmp_path):
    target = tmp_path / "k.geojson"
    assert run("export", "--region", "Kalbajar", "-o", str(target)).returncode == 0
    info = subprocess.run(["ogrinfo", "-so", "-al", str(target)], capture_output=True, text=True)
    assert info.returncode == 0
    expected = len(json.loads(target.read_text(encoding="utf-8"))["features"])
    assert f"Feature Count: {expected}" in info.stdout
    assert "Point" in info.stdout


@pytest.mark.parametrize("fmt", ["csv", "gpkg"])
def test_export_other_formats(fmt, tmp_path):
    target = tmp_path / f"out.{fmt}"
    out = run("export", "--from", "2022-09-13", "--to", "2022-09-14", "--format", fmt, "-o", str(target))
    assert out.returncode == 0, out.stderr
    assert target.stat().st_size > 0
    assert "wrote 15 of 224 events" in out.stderr


def test_export_errors_are_one_line(tmp_path):
    out = run("export", "--region", "Atlantis", "-o", str(tmp_path / "x.geojson"))
    assert out.returncode != 0 and "unknown region 'Atlantis'" in out.stderr and "Traceback" not in out.stderr
    out = run("export", "--from", "yesterday", "-o", str(tmp_path / "x.geojson"))
    assert out.returncode != 0 and "not a date" in out.stderr


def test_import_writes_the_schema_and_prints_the_report(data_dir, tmp_path):
    out_file = tmp_path / "acled.csv"
    out = run("import", str(data_dir / "import_acled.csv"), "-o", str(out_file))
    assert out.returncode == 0, out.stderr
    assert "format acled (detected: ACLED export" in out.stdout
    assert "4 rows read: 3 accepted, 1 rejected" in out.stdout
    assert "row 5, column event_date ('31 Septembar 2022')" in out.stdout
    rows = list(csv.DictReader(out_file.open(encoding="utf-8")))
    assert [r["event_id"] for r in rows] == ["TEST-ACLED-1", "TEST-ACLED-2", "TEST-ACLED-3"]
    assert rows[1]["date_precision"] == "week" and rows[1]["acled_iso"] == "51"


def test_import_reports_unresolved_place_names(data_dir, tmp_path):
    out = run("import", str(data_dir / "import_placenames.csv"), "-o", str(tmp_path / "p.csv"))
    assert out.returncode == 0, out.stderr
    assert "7 given coordinates by the offline geocoder" in out.stdout
    assert "row 5, location 'Agdam': ambiguous" in out.stdout and "GAZ-0056" in out.stdout
    assert "row 7, location 'Nowhere Test Village': unmatched" in out.stdout


def test_validate_and_export_take_a_mapping_file(data_dir, tmp_path):
    mapping = str(data_dir / "import_custom_mapping.toml")
    out = run("validate", str(data_dir / "import_custom.csv"), "--format", mapping)
    assert out.returncode == 0 and "2 rows accepted, 1 rejected" in out.stdout
    target = tmp_path / "c.geojson"
    out = run("export", "--events", str(data_dir / "import_custom.csv"), "--events-format", mapping, "-o", str(target))
    assert out.returncode == 0 and len(json.loads(target.read_text())["features"]) == 2


def test_import_errors_are_one_line(data_dir, tmp_path):
    out = run("import", str(data_dir / "import_custom.csv"), "--format", str(data_dir / "import_mapping_bad.json"),
              "-o", str(tmp_path / "x.csv"))
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "lattitude" in out.stderr


def test_export_leaves_a_complete_cache_entry_behind(data_dir, tmp_path):
    """The entry is written in the background while the command exports; it is complete when the
    command has exited (the command waits for it before it ends the process)."""
    events = tmp_path / "events.csv"
    shutil.copy(data_dir / "events_valid.csv", events)
    folder = tmp_path / "cache"
    out = subprocess.run([sys.executable, "-m", "mapdata", "export", "--events", str(events), "--format", "geojson",
                          "-o", str(tmp_path / "out.geojson")], capture_output=True, text=True,
                         env={**os.environ, "MAPDATA_CACHE_DIR": str(folder)})
    assert out.returncode == 0, out.stderr
    assert len(json.loads((tmp_path / "out.geojson").read_text())["features"]) == 9
    entries = list(folder.glob("*.events.arrow"))
    assert len(entries) == 1 and entries[0].name.startswith(f"{events.stat().st_size}-")
    second = subprocess.run([sys.executable, "-c", "import mapdata, sys; d = mapdata.load_dataset(sys.argv[1]); "
                             "print(d.report is None, len(d.events))", str(events)], capture_output=True, text=True,
                            env={**os.environ, "MAPDATA_CACHE_DIR": str(folder)})
    assert second.stdout.split() == ["True", "9"], second.stderr


@pytest.fixture(scope="module")
def embedded(repo_root):
    from mapdata import load_dataset

    return load_dataset(repo_root / "data" / "events.csv")


@pytest.mark.parametrize("field", list(FIELD_SPECS))
def test_export_url_exports_what_the_filter_keeps_for_every_field(field, embedded, tmp_path):
    from mapdata import filter_events

    spec = FIELD_SPECS[field]
    expected = len(filter_events(embedded.events, spec, embedded.regions))
    assert 0 < expected < len(embedded.events), f"the {field} spec should select some events, not all"
    link = f"http://localhost:8501/?{spec.to_query_string()}"
    target = tmp_path / "linked.geojson"
    out = run("export", "--url", link, "-o", str(target))
    assert out.returncode == 0, out.stderr
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert len(doc["features"]) == doc["metadata"]["count"] == expected
    assert doc["metadata"]["filters"] == spec.to_query() and doc["metadata"]["filters_text"] == spec.describe()


def test_export_url_takes_a_bare_query_and_the_apps_view_keys(embedded, tmp_path):
    from mapdata import FilterSpec, filter_events

    spec = FilterSpec(sub_event_types=("Armed clash",), max_fatalities=2, precisions=(1, 2))
    expected = len(filter_events(embedded.events, spec, embedded.regions))
    target = tmp_path / "q.csv"
    out = run("export", "--url", f"?{spec.to_query_string()}&shade=fatalities&bin=week", "--format", "csv", "-o", str(target))
    assert out.returncode == 0, out.stderr
    assert f"wrote {expected} of {len(embedded.events)} events" in out.stderr
    flags = run("export", "--subtype", "Armed clash", "--fat-max", "2", "--precision", "1", "--precision", "2",
                "--format", "csv", "-o", str(tmp_path / "f.csv"))
    assert flags.returncode == 0 and f"wrote {expected} of" in flags.stderr, flags.stderr


@pytest.mark.parametrize("args, message", [
    (["--url", "http://localhost:8501/?region=Karvachar&colour=red"], "unknown key(s) 'colour'"),
    (["--url", "?region=Karvachar", "--type", "Battles"], "--url already holds the filter; drop --type"),
    (["--url", "?fat_min=many"], "bad value for 'fat_min': 'many' (not a whole number)"),
    (["--fat-max", "lots"], "argument --fat-max: not a whole number: 'lots'"),
])
def test_export_filter_errors_are_one_line_with_exit_status_2(args, message, tmp_path):
    out = run("export", *args, "-o", str(tmp_path / "x.geojson"))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert message in out.stderr and not (tmp_path / "x.geojson").exists()
    if args[0] == "--url":
        assert out.stderr.count("\n") == 1 and out.stderr.startswith("mapdata: error:")


@pytest.mark.parametrize("area", ["area_lachin_box.geojson", "POLYGON ((45.5 39.5, 46.5 39.5, 46.5 40.3, 45.5 40.3, 45.5 39.5))"])
def test_export_area_from_a_geojson_file_or_wkt(area, data_dir, embedded, tmp_path):
    from mapdata import filter_events

    spec = FIELD_SPECS["area"]
    expected = len(filter_events(embedded.events, spec, embedded.regions))
    target = tmp_path / "area.geojson"
    argument = str(data_dir / area) if area.endswith(".geojson") else area
    out = run("export", "--area", argument, "-o", str(target))
    assert out.returncode == 0, out.stderr
    meta = json.loads(target.read_text(encoding="utf-8"))["metadata"]
    assert meta["count"] == expected and meta["filters"] == {"area": ["45.5_39.5_46.5_39.5_46.5_40.3_45.5_40.3"]}
    assert meta["area"] == {"type": "Polygon", "coordinates": [[[45.5, 39.5], [46.5, 39.5], [46.5, 40.3], [45.5, 40.3], [45.5, 39.5]]]}
    assert "inside an area of 4 corners" in meta["filters_text"]


def test_export_area_that_is_not_a_polygon_is_one_line(data_dir, tmp_path):
    out = run("export", "--area", str(data_dir / "border_small.geojson"), "-o", str(tmp_path / "x.geojson"))
    assert out.returncode != 0 and "Traceback" not in out.stderr and "--area" in out.stderr, out.stderr


def test_export_q_searches_like_the_library(embedded, tmp_path):
    from mapdata import FilterSpec, filter_events

    expected = len(filter_events(embedded.events, FilterSpec(search="kəlbəcər"), embedded.regions))
    assert 0 < expected < len(embedded.events)
    out = run("export", "--q", "KALBACAR", "--format", "csv", "-o", str(tmp_path / "q.csv"))
    assert out.returncode == 0 and f"wrote {expected} of {len(embedded.events)} events" in out.stderr, out.stderr
