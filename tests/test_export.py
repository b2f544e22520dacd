"""Exports: RFC 7946 GeoJSON, injection-safe CSV and GeoPackage, read back with GDAL."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from mapdata import schema
from mapdata.export import FORMATS, _plain_columns, export_bytes, export_columns, metadata, neutralise_formulas, to_csv, to_geojson, to_gpkg
from mapdata.filters import FilterSpec
from mapdata.load import load_events

FIXED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def test_geojson_is_rfc7946_with_metadata(joined_events):
    spec = FilterSpec(countries=("AZE",))
    doc = json.loads(to_geojson(joined_events, spec, generated=FIXED, source_name="events_valid.csv"))
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    assert doc["metadata"]["count"] == len(doc["features"]) == len(joined_events)
    assert doc["metadata"]["filters"] == {"country": ["AZE"]}
    assert doc["metadata"]["generated"] == "2026-01-02T03:04:05+00:00"
    assert "ODbL" in " ".join(doc["metadata"]["licences"]) and "CC BY-SA" in " ".join(doc["metadata"]["licences"])
    feature = next(f for f in doc["features"] if f["id"] == "AZARM-0011")
    assert feature["geometry"] == {"type": "Point", "coordinates": [46.0383, 40.1067]}
    props = feature["properties"]
    assert set(schema.COLUMN_NAMES) <= set(props)
    assert props["event_date"] == "2020-11-25" and props["geo_precision"] == 3
    assert props["region_name"] == "Kalbajar District" and props["region_match"] == "inside"
    unknown = next(f for f in doc["features"] if f["id"] == "AZARM-0028")["properties"]["fatalities"]
    assert unknown is None


def test_geojson_text_is_json_dumps_of_the_feature_dicts(joined_events):
    """The column-by-column writer gives the very text json.dumps gives the collection as dicts."""
    odd = joined_events.copy()
    odd.loc[odd.index[0], "notes"] = 'quote " backslash \\ tab \t newline \n NUL-free control \x1f, ünïcödé 🙂'
    odd.loc[odd.index[1], ["actor2", "fatalities", "border_km", "event_date_end"]] = [None, pd.NA, float("nan"), pd.NaT]
    odd["100% share"] = [0.1 * i for i in range(len(odd))]
    odd["mixed extra"] = pd.Series([{"a": [1, None]}, 7, None, "x", 2.5] * len(odd), dtype=object)[:len(odd)].to_numpy()
    columns = export_columns(odd)
    props = _plain_columns(odd, columns)
    features = [{"type": "Feature", "id": props["event_id"][i],
                 "geometry": {"type": "Point", "coordinates": [round(odd["longitude"].iloc[i], 6), round(odd["latitude"].iloc[i], 6)]},
                 "properties": {c: props[c][i] for c in columns}} for i in range(len(odd))]
    spec = FilterSpec(countries=("AZE",))
    expected = {"type": "FeatureCollection", "metadata": metadata(odd, spec, FIXED, "x.csv"), "features": features}
    assert to_geojson(odd, spec, FIXED, "x.csv") == json.dumps(expected, ensure_ascii=False, allow_nan=False)
    assert to_geojson(odd.iloc[:0], spec, FIXED, "x.csv") == json.dumps({**expected, "features": [], "metadata": metadata(
        odd.iloc[:0], spec, FIXED, "x.csv")}, ensure_ascii=False, allow_nan=False)
    odd.loc[odd.index[2], "border_km"] = float("inf")
    with pytest.raises(ValueError):
        to_geojson(odd)


def test_geojson_coordinates_have_at_most_six_decimals(joined_events):
    moved = joined_events.copy()
    moved["longitude"] = moved["longitude"] + 1e-9
    doc = json.loads(to_geojson(moved))
    lon = doc["features"][0]["geometry"]["coordinates"][0]
    assert len(repr(lon).split(".")[1]) <= 6


def test_geojson_round_trips_through_gdal(joined_events, tmp_path):
    path = tmp_path / "out.geojson"
    path.write_bytes(export_bytes(joined_events, "geojson"))
    back = gpd.read_file(path)
    assert len(back) == len(joined_events)
    assert back.crs.to_epsg() == 4326
    assert sorted(back["event_id"]) == sorted(joined_events["event_id"])
    merged = back.set_index("event_id").loc[joined_events["event_id"]]
    assert (merged["geo_precision"].to_numpy() == joined_events["geo_precision"].to_numpy()).all()
    assert (merged["source_url"].to_numpy() == joined_events["source_url"].to_numpy()).all()


def test_csv_neutralises_formulas_and_round_trips(data_dir):
    events = load_events(data_dir / "events_bad.csv").events
    text = to_csv(events)
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    row = back.set_index("event_id").loc["TEST-16"]
    assert row["location"] == "'=1+1"
    assert row["notes"].startswith("<script>"), "only leading formula characters are touched"
    assert back["latitude"].iloc[0] == "40.1067"
    loaded = load_events(text.encode(), name="roundtrip.csv")
    reloaded, rejected = loaded.events, loaded.rejected
    assert rejected.empty and len(reloaded) == len(events)


@pytest.mark.parametrize("value", ["=1+1", "+49", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_neutralise_formulas_prefixes_each_dangerous_start(value):
    assert neutralise_formulas(pd.Series([value, "safe"])).tolist() == ["'" + value, "safe"]


def test_gpkg_round_trip_keeps_rows_and_values(joined_events, tmp_path):
    path = to_gpkg(joined_events, tmp_path / "out.gpkg", FilterSpec())
    back = gpd.read_file(path, layer="events")
    assert len(back) == len(joined_events) and back.crs.to_epsg() == 4326
    back = back.set_index("event_id").loc[joined_events["event_id"]]
    assert back["event_date"].tolist() == joined_events["event_date"].dt.strftime("%Y-%m-%d").tolist()
    assert back["fatalities_note"].tolist() == joined_events["fatalities_note"].tolist()
    assert back.geometry.x.round(6).tolist() == joined_events.geometry.x.round(6).tolist()
    np.testing.assert_array_equal(back["border_km"].round(3).to_numpy(dtype=float),  # NaN (outside) stays NaN
                                  joined_events["border_km"].round(3).to_numpy(dtype=float))


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_registered_format_writes_a_file_gdal_reads_back(joined_events, tmp_path, fmt):
    export = FORMATS[fmt]
    assert export.suffix.startswith(".") and "/" in export.mime and export.label
    path = tmp_path / f"out{export.suffix}"
    path.write_bytes(export_bytes(joined_events, fmt, FilterSpec(), generated=FIXED, source_name="events_valid.csv"))
    back = gpd.read_file(path, engine="pyogrio")
    assert len(back) == len(joined_events)
    assert sorted(back["event_id"]) == sorted(joined_events["event_id"])


def test_export_bytes_rejects_unknown_format(joined_events):
    with pytest.raises(ValueError, match="unknown export format"):
        export_bytes(joined_events, "kml")


def test_rejected_rows_download_is_neutralised(data_dir):
    from mapdata.export import rejected_csv

    rejected = load_events(data_dir / "events_bad.csv").rejected
    rejected = rejected.assign(value=rejected["value"].where(rejected["row"] != 6, "=cmd()"))
    back = pd.read_csv(io.BytesIO(rejected_csv(rejected)), dtype=str, keep_default_na=False)
    assert back.loc[back["row"] == "6", "value"].tolist() == ["'=cmd()"]
    assert len(back) == len(rejected)
