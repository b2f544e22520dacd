"""Tests for mapdata.geo: built from the real geoBoundaries sources, checked against the shipped files."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from mapdata import config, geo
from mapdata.errors import GeoDataError

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
LAYERS = ("regions", "countries", "border")
BUILT = (*LAYERS, "geography")
SMALL_REGIONS = {"Kalbajar District", "Lachin District", "Qubadli District", "Syunik", "Vayots Dzor"}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    if not Path(config.get("SOURCE_BOUNDARIES")).is_dir():
        pytest.skip("geoBoundaries sources not available (set MAPDATA_SOURCE_BOUNDARIES)")
    return geo.build_geo(out_dir=tmp_path_factory.mktemp("geo"))


@pytest.fixture(scope="module")
def regions(built):
    return geo.load_regions(built["regions"])


def _alt(regions, name: str) -> list[str]:
    return regions.loc[regions["name_en"] == name, "names_alt"].item().split("|")


def test_build_writes_the_three_layers_and_metadata(built):
    assert set(built) == set(BUILT)
    for layer in LAYERS:
        path = built[layer]
        assert path.name == f"{layer}.geojson" and path.is_file()
        assert path.stat().st_size < 450_000
    assert built["geography"].name == "geography.json"


def test_regions_columns_counts_and_crs(regions):
    assert list(regions.columns) == [
        "region_id", "name_en", "names_alt", "country_iso3", "admin_level", "source", "licence", "geometry",
    ]
    assert regions.crs == "EPSG:4326"
    assert regions["country_iso3"].value_counts().to_dict() == {"AZE": 79, "ARM": 11}
    assert set(regions.loc[regions["country_iso3"] == "AZE", "admin_level"]) == {"ADM2"}
    assert set(regions.loc[regions["country_iso3"] == "ARM", "admin_level"]) == {"ADM1"}
    assert regions["region_id"].is_unique
    assert set(regions.geom_type) <= {"Polygon", "MultiPolygon"}
    assert regions.is_valid.all()


@pytest.mark.parametrize(
    ("region", "alt"),
    [
        ("Kalbajar District", "Karvachar"),
        ("Kalbajar District", "Kəlbəcər"),
        ("Lachin District", "Berdzor"),
        ("Khankendi City", "Stepanakert"),
        ("Shusha District", "Shushi"),
        ("Shusha City", "Shushi"),
        ("Qubadli District", "Gubadli"),
        ("Qazakh District", "Qazax"),
        ("Syunik", "Syunik Province"),
    ],
)
def test_alternative_names(regions, region, alt):
    assert alt in _alt(regions, region)


def test_former_names_of_towns_are_not_region_names(regions):
    assert "Nor Shahumyan" not in _alt(regions, "Kalbajar District")
    assert "Novaya Akstafa" not in _alt(regions, "Qazakh District")
    assert regions.loc[regions["name_en"] == "Syunik", "names_alt"].item() == "Syunik Province"  # not Kapan


def test_mislabelled_lankaran_unit_is_renamed(regions):
    assert (regions["name_en"] == "Lankaran District").sum() == 1
    unit = regions.loc[regions["region_id"].str.endswith("B26341487")].iloc[0]
    assert "Lankaran" in unit["name_en"] and unit["name_en"] != "Lankaran District"
    assert unit["names_alt"] == ""


def test_countries_layer(built):
    countries = geo.load_countries(built["countries"])
    assert list(countries.columns) == ["iso3", "name", "source", "licence", "geometry"]
    assert countries["iso3"].tolist() == ["ARM", "AZE"]
    azerbaijan = countries.loc[countries["iso3"] == "AZE", "geometry"].item()
    assert azerbaijan.geom_type == "MultiPolygon"
    assert azerbaijan.contains(shapely.Point(45.41, 39.21))  # Nakhchivan
    assert azerbaijan.contains(shapely.Point(49.87, 40.41))  # Baku
    assert countries.loc[countries["iso3"] == "ARM", "geometry"].item().contains(shapely.Point(44.51, 40.18))


def test_border_layer(built, regions):
    border = geo.load_border(built["border"])
    assert list(border.columns) == ["name", "tolerance_km", "source", "licence", "geometry"]
    assert len(border) == 1 and border.crs == "EPSG:4326"
    assert border.geom_type.item() in {"LineString", "MultiLineString"}
    assert border["tolerance_km"].item() == config.get("BORDER_TOLERANCE_KM")
    km = border.to_crs(geo.metric_crs(regions)).length.item() / 1000
    assert 850 < km < 1050  # real border incl. Nakhchivan is ~1,000 km; the simplified outline is shorter


def test_build_is_deterministic(built, tmp_path):
    again = geo.build_geo(out_dir=tmp_path)
    for layer in BUILT:
        assert again[layer].read_bytes() == built[layer].read_bytes(), layer


@pytest.mark.parametrize("layer", BUILT)
def test_committed_layers_match_their_recipe(built, layer):
    committed = ROOT / "geo" / built[layer].name
    assert committed.read_bytes() == built[layer].read_bytes(), f"geo/{layer}.geojson is stale: run `mapdata build-geo`"


def test_small_fixtures_are_real_subsets(built, regions):
    small = geo.load_regions(DATA / "regions_small.geojson")
    assert set(small["name_en"]) == SMALL_REGIONS
    expected = regions[regions["name_en"].isin(SMALL_REGIONS)].reset_index(drop=True)
    assert_geodataframe_equal(small, expected, check_like=True)
    small_border = geo.load_border(DATA / "border_small.geojson")
    box = shapely.box(*small.total_bounds).buffer(1e-5)
    assert box.contains(small_border.geometry.item())
    assert small_border.intersects(small.union_all().boundary).item()


def test_missing_source_raises(tmp_path):
    with pytest.raises(GeoDataError, match="missing"):
        geo.build_geo(source_dir=tmp_path, out_dir=tmp_path / "out")


@pytest.mark.parametrize("loader", [geo.load_regions, geo.load_countries, geo.load_border])
def test_load_missing_file_raises(tmp_path, loader):
    with pytest.raises(GeoDataError, match="mapdata build-geo"):
        loader(tmp_path / "nope.geojson")


def test_load_unreadable_file_raises(tmp_path):
    bad = tmp_path / "regions.geojson"
    bad.write_text("not json", encoding="utf-8")
    with pytest.raises(GeoDataError, match="mapdata build-geo"):
        geo.load_regions(bad)
