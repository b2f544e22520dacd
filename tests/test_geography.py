"""Tests for building geographies from boundary files in several layouts (mapdata.boundaries,
mapdata.borders, mapdata.geo.build_geography), on small fixtures written for the project."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from mapdata import geo
from mapdata.boundaries import LICENCE_UNKNOWN, UNIT_COLUMNS, Options, read_boundaries, short_licence
from mapdata.cli import main
from mapdata.dataset import join, load_dataset, rejoin
from mapdata.errors import GeoDataError
from mapdata.filters import FilterSpec, filter_events
from mapdata.join import join_regions
from mapdata.load import load_events
from mapdata.names import with_finer_units
from mapdata.schema import DERIVED_NAMES as DERIVED

DATA = Path(__file__).parent / "data"
GEO = DATA / "geo"
ROOT = Path(__file__).resolve().parents[1]


def test_embedded_events_join_as_before(monkeypatch):
    """Regression: the shipped geography gives the 224 embedded events the joined columns they had
    before geographies could be built from any boundary files (snapshot taken from main), but for
    the border_km of the 9 events outside every region, empty since (see the next test but one)."""
    monkeypatch.setenv("MAPDATA_CACHE_DIR", "off")
    monkeypatch.setenv("MAPDATA_GEO_DIR", str(ROOT / "geo"))
    events = load_dataset(ROOT / "data" / "events.csv").events
    expected = pd.read_csv(GEO / "embedded_joined.csv", dtype=str, keep_default_na=False)
    assert len(events) == len(expected) == 224
    for column in expected.columns:
        if column == "border_km":
            known = expected[column].replace("", "nan").astype(float).to_numpy()  # empty: outside every region
            np.testing.assert_array_equal(events[column].to_numpy(dtype=float), known)
        else:
            assert events[column].astype(str).tolist() == expected[column].tolist(), column


def test_shipped_geography_metadata():
    meta = geo.load_metadata(ROOT / "geo" / "geography.json")
    assert meta["metric_crs"] == "EPSG:32638"  # UTM 38N: the zone of the geography's centre
    assert [c["iso3"] for c in meta["countries"]] == ["ARM", "AZE"]
    assert meta["regions"] == 90 and meta["levels"] == {"ARM": ["ADM1"], "AZE": ["ADM2"]}
    assert [b["name"] for b in meta["borders"]] == ["Armenia–Azerbaijan state border (derived)"]
    assert not meta["licence_unknown"]
    assert "geoBoundaries gbOpen AZE ADM2 (Wikipedia): CC BY-SA 3.0" in meta["credits"]


# --- layouts -----------------------------------------------------------------------------------


def test_geoboundaries_layout_takes_source_and_licence_from_its_metadata():
    (units,) = read_boundaries(GEO / "geoBoundaries-ARM-ADM1_small.geojson")
    frame = units.frame
    assert units.layout == "geoBoundaries" and not units.warnings
    assert list(frame.columns) == [*UNIT_COLUMNS, "geometry"] and frame.crs == "EPSG:4326"
    assert sorted(frame["name_en"]) == ["Ararat", "Gegharkunik", "Syunik", "Vayots Dzor"]
    assert set(frame["country_iso3"]) == {"ARM"} and set(frame["admin_level"]) == {"ADM1"}
    assert set(frame["source"]) == {"geoBoundaries gbOpen ARM ADM1 (OpenStreetMap)"}
    assert set(frame["licence"]) == {"ODbL 1.0"}


def test_gadm_layout_read_from_a_zipped_shapefile_keeps_every_name_column():
    (units,) = read_boundaries(GEO / "gadm41_AZE_2_small.zip")
    frame = units.frame.set_index("name_en")
    assert units.layout == "GADM" and units.label.startswith("gadm41_AZE_2_small.zip")
    assert sorted(frame.index) == ["Kalbajar", "Lachin", "Qubadli", "Zangilan"]
    assert set(frame["country_iso3"]) == {"AZE"} and set(frame["admin_level"]) == {"ADM2"}
    kalbajar = frame.loc["Kalbajar", "names_alt"].split("|")
    assert {"Karvachar", "Kəlbəcər", "Քարվաճառ"} <= set(kalbajar)  # VARNAME_2 and NL_NAME_2
    assert set(frame["source"]) == {"GADM 4.1 AZE level 2 (gadm41_AZE_2_small.zip)"}
    assert set(frame["licence"]) == {LICENCE_UNKNOWN}
    assert units.warnings == [f"{units.label}: no licence found (no metadata, no --licence); credited as '{LICENCE_UNKNOWN}'"]


def test_cod_ab_layout_uses_pcodes_iso2_country_and_other_language_names():
    (units,) = read_boundaries(GEO / "arm_admbnda_adm1_small.geojson", Options(licence="CC BY-IGO"))
    frame = units.frame.set_index("unit_id")
    assert units.layout == "COD-AB" and len(frame) == 11 and not units.warnings
    assert frame.loc["AM-SU", "name_en"] == "Syunik" and frame.loc["AM-SU", "names_alt"] == "Սյունիք"
    assert set(frame["country_iso3"]) == {"ARM"} and set(frame["licence"]) == {"CC BY-IGO"}


def test_named_columns_layout_repairs_an_invalid_ring():
    raw = gpd.read_file(GEO / "invalid_ring.geojson")
    assert not raw.is_valid.all()
    (units,) = read_boundaries(GEO / "invalid_ring.geojson", Options(name_column="NAME", id_column="CODE", country="AM", level="1"))
    frame = units.frame.set_index("unit_id")
    assert frame.is_valid.all() and set(frame.geom_type) <= {"Polygon", "MultiPolygon"}
    assert frame.loc["VD", "name_en"] == "Vayots Dzor" and frame.loc["VD", "names_alt"] == "Վայոց Ձոր"
    assert set(frame["country_iso3"]) == {"ARM"} and set(frame["admin_level"]) == {"ADM1"}
    assert "invalid_ring.geojson: repaired 1 invalid geometry (make_valid)" in units.notes


def test_unknown_layout_is_one_clear_error():
    with pytest.raises(GeoDataError, match=r"Cannot tell the layout of invalid_ring.geojson.*--name-column"):
        read_boundaries(GEO / "invalid_ring.geojson")


def test_named_columns_need_a_country():
    with pytest.raises(GeoDataError, match="give --country"):
        read_boundaries(GEO / "invalid_ring.geojson", Options(name_column="NAME"))


def test_projected_file_is_reprojected_to_wgs84(tmp_path):
    projected = gpd.read_file(GEO / "geoBoundaries-ARM-ADM1_small.geojson").to_crs("EPSG:32638")
    projected.to_file(tmp_path / "provinces.gpkg")
    (units,) = read_boundaries(tmp_path / "provinces.gpkg", Options(country="ARM", level="ADM1"))
    assert units.frame.crs == "EPSG:4326"
    assert any("reprojected from EPSG:32638" in note for note in units.notes)
    original = gpd.read_file(GEO / "geoBoundaries-ARM-ADM1_small.geojson")
    assert np.allclose(units.frame.total_bounds, original.total_bounds, atol=1e-6)


@pytest.mark.parametrize("text, short", [
    ("Open Data Commons Open Database License 1.0", "ODbL 1.0"),
    ("Creative Commons Attribution-ShareAlike 3.0 Unported", "CC BY-SA 3.0"),
    ("Creative Commons Attribution 4.0 International (CC BY 4.0)", "CC BY 4.0"),
    ("Creative Commons Attribution-NonCommercial 2.0", "CC BY-NC 2.0"),
    ("Public Domain", "Public Domain"),
])
def test_short_licence(text, short):
    assert short_licence(text) == short


def test_unknown_country_of_a_boundary_file_is_a_clear_error():
    with pytest.raises(GeoDataError, match=r"Unknown country 'Ukrain' \(did you mean Ukraine[,?]"):
        read_boundaries(GEO / "invalid_ring.geojson", Options(name_column="NAME", country="Ukrain"))


# --- building: borders, metric CRS, metadata --------------------------------------------------


@pytest.fixture(scope="module")
def two_countries(tmp_path_factory) -> geo.GeoBuild:
    return geo.build_geography([GEO / "geoBoundaries-ARM-ADM1_small.geojson", GEO / "gadm41_AZE_2_small.zip"],
                               tmp_path_factory.mktemp("two"))


def test_land_border_between_neighbours_comes_from_the_same_rule(two_countries):
    border = geo.load_border(two_countries.paths["border"])
    assert border["name"].tolist() == ["Armenia–Azerbaijan state border (derived)"]
    assert border["source"].item() == ("geoBoundaries gbOpen ARM ADM1 (OpenStreetMap) outline within 2.5 km of "
                                       "GADM 4.1 AZE level 2 (gadm41_AZE_2_small.zip)")
    shipped = geo.load_border(ROOT / "geo" / "border.geojson").geometry.item()
    line = border.geometry.item()
    assert 250 < two_countries.metadata["borders"][0]["km"] < 450  # the four districts' stretch of the border
    assert shipped.buffer(0.03).contains(line)  # within ~3 km of the shipped line (the fixtures are simplified)


def test_a_geoboundaries_metadata_file_given_with_its_boundaries_is_taken_as_metadata(tmp_path):
    build = geo.build_geography([GEO / "geoBoundaries-ARM-ADM1_small.geojson", GEO / "geoBoundaries-ARM-ADM1-metaData.json"], tmp_path)
    assert build.metadata["credits"] == ["geoBoundaries gbOpen ARM ADM1 (OpenStreetMap): ODbL 1.0"]


def test_two_country_metadata_and_credits(two_countries):
    meta = two_countries.metadata
    assert meta["metric_crs"] == "EPSG:32638" and meta["regions"] == 8
    assert meta["levels"] == {"ARM": ["ADM1"], "AZE": ["ADM2"]}
    assert meta["licence_unknown"] and meta["border_note"] == ""
    assert "GADM 4.1 AZE level 2 (gadm41_AZE_2_small.zip): licence unknown" in meta["credits"]
    assert any("gadm41_AZE_2_small.zip" in w and LICENCE_UNKNOWN in w for w in two_countries.warnings)
    countries = geo.load_countries(two_countries.paths["countries"])
    assert countries["iso3"].tolist() == ["ARM", "AZE"] and countries["name"].tolist() == ["Armenia", "Azerbaijan"]
    assert countries["source"].tolist()[1] == "GADM 4.1 AZE level 2 (gadm41_AZE_2_small.zip), ADM2 units dissolved"


def test_single_country_has_no_border_and_says_so(tmp_path):
    build = geo.build_geography([GEO / "arm_admbnda_adm1_small.geojson"], tmp_path)
    assert geo.load_border(build.paths["border"]).empty
    assert build.metadata["borders"] == []
    assert "cannot be told from coast" in build.metadata["border_note"]
    assert any("single-country geography (Armenia)" in note for note in build.notes)


def test_user_border_line_is_added(tmp_path):
    build = geo.build_geography([GEO / "arm_admbnda_adm1_small.geojson"], tmp_path, border_files=[DATA / "border_small.geojson"])
    border = geo.load_border(build.paths["border"])
    assert len(border) == 1 and np.isnan(border["tolerance_km"].item())
    assert border["licence"].item() == LICENCE_UNKNOWN
    assert "border_small.geojson (line layer given with --border): licence unknown" in build.metadata["credits"]


def test_only_outlines_is_an_error(tmp_path):
    with pytest.raises(GeoDataError, match="Only country outlines"):
        geo.build_geography([GEO / "invalid_ring.geojson"], tmp_path,
                            Options(name_column="NAME", country="ARM", level="0"))


@pytest.mark.parametrize("lon, lat, crs", [(47.0, 40.0, "EPSG:32638"), (31.0, 49.0, "EPSG:32636"),
                                           (-1.5, 12.3, "EPSG:32630"), (-58.4, -34.6, "EPSG:32721")])
def test_metric_crs_is_the_utm_zone_of_the_centre(lon, lat, crs, monkeypatch):
    monkeypatch.delenv("MAPDATA_METRIC_CRS", raising=False)
    frame = gpd.GeoDataFrame(geometry=[shapely.box(lon - 1, lat - 1, lon + 1, lat + 1)], crs="EPSG:4326")
    assert geo.metric_crs(frame) == crs


def test_metric_crs_setting_overrides(monkeypatch):
    monkeypatch.setenv("MAPDATA_METRIC_CRS", "EPSG:3857")
    frame = gpd.GeoDataFrame(geometry=[shapely.box(30, 48, 32, 50)], crs="EPSG:4326")
    assert geo.metric_crs(frame) == "EPSG:3857"


# --- a second geography end to end ----------------------------------------------------------


def test_second_geography_end_to_end(tmp_path, monkeypatch, capsys):
    """Build → join → filter → export on a geography of Armenia alone, through the command line."""
    monkeypatch.setenv("MAPDATA_CACHE_DIR", "off")
    monkeypatch.setenv("MAPDATA_GEO_DIR", str(ROOT / "geo"))  # --geo replaces it for the command
    out = tmp_path / "armenia"
    assert main(["geo", "build", str(GEO / "arm_admbnda_adm1_small.geojson"), "--licence", "CC BY-IGO", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "regions: 11 (ARM ADM1)" in printed and "border lines: 0" in printed and "single-country" in printed
    target = tmp_path / "syunik.geojson"
    assert main(["export", "--geo", str(out), "--region", "Սյունիք", "-o", str(target)]) == 0
    exported = gpd.read_file(target)
    assert len(exported) > 0 and set(exported["region_name"]) == {"Syunik"}
    assert set(exported["region_id"]) == {"AM-SU"} and exported["border_km"].isna().all()
    dataset = load_dataset(ROOT / "data" / "events.csv")  # MAPDATA_GEO_DIR now names the built folder
    assert set(dataset.regions["region_id"]) == set(geo.load_regions(out / "regions.geojson")["region_id"])
    assert dataset.events["border_km"].isna().all()
    syunik = filter_events(dataset.events, FilterSpec(regions=("Syunik",)), dataset.regions)
    assert sorted(syunik["event_id"]) == sorted(exported["event_id"])


def test_geo_option_rejects_a_folder_without_a_geography(tmp_path, capsys):
    assert main(["export", "--geo", str(tmp_path), "-o", str(tmp_path / "x.geojson")]) == 2
    assert "is not a geography folder" in capsys.readouterr().err


def test_where_levels_overlap_the_join_takes_the_finest(tmp_path):
    """Two levels of one country: the same provinces' polygons given once as ADM1 (COD-AB file) and
    once relabelled as ADM2 (written here in the geoBoundaries layout); events join to ADM2."""
    cod = gpd.read_file(GEO / "arm_admbnda_adm1_small.geojson")
    finer = gpd.GeoDataFrame({"shapeName": cod["ADM1_EN"], "shapeID": "L2-" + cod["ADM1_PCODE"], "shapeGroup": "ARM",
                              "shapeType": "ADM2"}, geometry=cod.geometry, crs=cod.crs)
    finer.to_file(tmp_path / "finer.geojson")
    build = geo.build_geography([GEO / "arm_admbnda_adm1_small.geojson", tmp_path / "finer.geojson"], tmp_path / "geo")
    regions = geo.load_regions(build.paths["regions"])
    assert regions["admin_level"].tolist() == ["ADM2"] * 11 + ["ADM1"] * 11
    assert build.metadata["levels"] == {"ARM": ["ADM1", "ADM2"]}
    events = load_events(ROOT / "data" / "events.csv").events
    joined = join_regions(events, regions, geo.load_border(build.paths["border"]))
    inside = joined[joined["region_match"] == "inside"]
    assert len(inside) and set(inside["region_level"]) == {"ADM2"}
    province = filter_events(joined, FilterSpec(regions=("AM-SU",)), regions)  # the ADM1 unit selects its ADM2 units' events
    assert len(province) and set(province["region_id"]) == {"L2-AM-SU"}
    assert with_finer_units(["AM-SU"], regions) == ("AM-SU", "L2-AM-SU")


def test_describe_borders_says_what_border_km_measures(tmp_path):
    shipped = geo.describe_borders(geo.load_metadata(ROOT / "geo" / "geography.json"))
    assert shipped == "border_km is the distance to the nearest of these border lines: Armenia–Azerbaijan state border (derived), 923.8 km."
    single = geo.build_geography([GEO / "arm_admbnda_adm1_small.geojson"], tmp_path).metadata
    assert geo.describe_borders(single).startswith("No border line in this geography: single-country geography (Armenia)")


def test_a_zip_of_several_shapefiles_is_read_layer_by_layer(tmp_path):
    """COD-AB zips hold one shapefile per level: ADM0 becomes the country outline, ADM1 the regions."""
    adm1 = gpd.read_file(GEO / "arm_admbnda_adm1_small.geojson")
    adm0 = gpd.GeoDataFrame({"ADM0_EN": ["Armenia"], "ADM0_PCODE": ["AM"]}, geometry=[adm1.union_all()], crs=adm1.crs)
    folder = tmp_path / "shp"
    folder.mkdir()
    adm1.to_file(folder / "arm_admbnda_adm1.shp", encoding="UTF-8")
    adm0.to_file(folder / "arm_admbnda_adm0.shp", encoding="UTF-8")
    archive = tmp_path / "arm_adm_shp.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for part in sorted(folder.iterdir()):
            zipped.write(part, part.name)
    build = geo.build_geography([archive], tmp_path / "geo", Options(licence="CC BY-IGO"))
    countries = geo.load_countries(build.paths["countries"])
    assert countries["source"].item() == "HDX COD-AB ARM ADM0 (arm_adm_shp.zip)"
    assert build.metadata["levels"] == {"ARM": ["ADM1"]} and build.metadata["regions"] == 11


# --- the metric CRS is the geography's own ---------------------------------------------------


def _geography_copy(tmp_path: Path, metric: str) -> geo.Geography:
    """The shipped geography in a folder of its own whose geography.json names ``metric``."""
    folder = tmp_path / "geo"
    folder.mkdir()
    for name in ("regions.geojson", "countries.geojson", "border.geojson", "geography.json"):
        (folder / name).write_bytes((ROOT / "geo" / name).read_bytes())
    meta = geo.load_metadata(folder / "geography.json")
    (folder / "geography.json").write_text(json.dumps({**meta, "metric_crs": metric}), encoding="utf-8")
    return geo.load_geography(folder)


def test_the_join_measures_in_the_crs_stored_with_the_geography(tmp_path, monkeypatch):
    """A point 2.6 km beyond the geography's outer edge is within the 3 km of NEAREST_TOLERANCE_KM in
    the stored UTM zone, and beyond it in Web Mercator (which stretches distances by 1/cos(lat),
    about 1.3 here): the join's answer follows the CRS written in geography.json."""
    monkeypatch.delenv("MAPDATA_METRIC_CRS", raising=False)
    shipped = geo.load_geography(ROOT / "geo")
    syunik = shipped.regions.set_index("name_en").geometry["Syunik"]
    x, y = shapely.get_coordinates(syunik.exterior if syunik.geom_type == "Polygon" else syunik.geoms[0].exterior).T
    south = int(np.argmin(y))
    point = shapely.Point(x[south], y[south] - 2.6 / 111.0)  # 2.6 km due south of the southernmost corner
    assert not shipped.regions.contains(point).any()
    events = gpd.GeoDataFrame({"event_id": ["X"], "country": ["Armenia"]}, geometry=[point], crs="EPSG:4326")
    assert shipped.metric_crs == "EPSG:32638"
    assert join(events, shipped)["region_match"].item() == "nearest"
    mercator = _geography_copy(tmp_path, "EPSG:3857")
    assert mercator.metric_crs == "EPSG:3857"
    assert join(events, mercator)["region_match"].item() == "outside"
    monkeypatch.setenv("MAPDATA_METRIC_CRS", "EPSG:32638")  # the setting overrides the stored CRS
    assert mercator.metric_crs == "EPSG:32638" and join(events, mercator)["region_match"].item() == "nearest"


def test_a_dataset_rejoined_to_another_geography_equals_a_load_joined_to_it(tmp_path, monkeypatch):
    """What the app does for a session with uploaded boundaries: the embedded events (joined to the
    shipped geography) joined again to an uploaded one give the derived columns a fresh load joined
    to it gives; every source column, coordinate and precision stays as loaded."""
    monkeypatch.setenv("MAPDATA_CACHE_DIR", "off")
    shipped = load_dataset(ROOT / "data" / "events.csv")
    uploaded, build = geo.build_uploaded([(p.name, p.read_bytes()) for p in (GEO / "arm_admbnda_adm1_small.geojson",)],
                                         Options(licence="CC BY-IGO"))
    assert build.warnings == [] and "single-country geography (Armenia)" in build.notes[0]
    again = rejoin(shipped, uploaded)
    fresh = load_dataset(ROOT / "data" / "events.csv", geography=uploaded)
    assert again.geography is uploaded and again.regions is uploaded.regions
    derived = [c for c in fresh.events.columns if c in DERIVED]
    pd.testing.assert_frame_equal(pd.DataFrame(again.events[derived]), pd.DataFrame(fresh.events[derived]))
    kept = [c for c in shipped.events.columns if c not in DERIVED]
    pd.testing.assert_frame_equal(pd.DataFrame(again.events[kept]), pd.DataFrame(shipped.events[kept]))
    assert set(again.events["region_country"]) == {"ARM", ""} and again.events["border_km"].isna().all()
    assert (again.events["region_id"] != shipped.events["region_id"]).any()


def test_an_uploaded_geography_is_deleted_with_its_last_user():
    import gc

    uploaded, _ = geo.build_uploaded([(p.name, p.read_bytes()) for p in (GEO / "arm_admbnda_adm1_small.geojson",)])
    folder = uploaded.folder
    assert (folder / "regions.geojson").is_file() and not (folder.parent / "sources").exists()
    del uploaded
    gc.collect()
    assert not folder.parent.exists()


# --- border_km outside the geography ----------------------------------------------------------

_OLD_OUTSIDE_KM = {"AZARM-0010": 1695.347, "AZARM-0013": 1695.347, "AZARM-0031": 503.255, "AZARM-0032": 3271.239,
                   "AZARM-0083": 3271.239, "AZARM-0084": 1695.347, "AZARM-0086": 3271.239, "AZARM-0090": 2553.509,
                   "AZARM-0126": 9365.308}
"""border_km of the embedded events outside every region before it was emptied for them (the
regression snapshot embedded_joined.csv had these until the change)."""


def test_border_km_is_empty_outside_the_geography_and_unchanged_inside():
    """Before: the embedded events joined to the shipped border with one region covering the whole
    world (so no event is outside and every one gets the distance the join gave every event before).
    After: the shipped geography. Outside rows lose their distance; every other row keeps it exactly."""
    shipped = geo.load_geography(ROOT / "geo")
    events = load_events(ROOT / "data" / "events.csv").events
    world = gpd.GeoDataFrame({"region_id": ["WORLD"], "name_en": ["World"], "country_iso3": [""], "admin_level": ["ADM0"]},
                             geometry=[shapely.box(-180, -90, 180, 90)], crs="EPSG:4326")
    before = join_regions(events, world, shipped.border, metric_crs=shipped.metric_crs)
    after = join(events, shipped)
    assert before["region_match"].eq("inside").all() and before["border_km"].notna().all()
    outside = after["region_match"].eq("outside").to_numpy()
    assert dict(zip(before.loc[outside, "event_id"], before.loc[outside, "border_km"])) == _OLD_OUTSIDE_KM
    assert after.loc[outside, "border_km"].isna().all()
    np.testing.assert_array_equal(after.loc[~outside, "border_km"].to_numpy(), before.loc[~outside, "border_km"].to_numpy())
    assert after.loc[~outside, "border_km"].notna().all()
