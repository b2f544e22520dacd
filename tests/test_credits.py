"""The attribution texts (mapdata.credits): what the licences require, in every form, from the geography's metadata."""

from __future__ import annotations

from pathlib import Path

from mapdata import credits
from mapdata.geo import build_geography, load_metadata

GEO = Path(__file__).parent / "data" / "geo"


def test_attribution_credits_both_sources_of_the_shipped_geography():
    text = credits.boundaries()
    assert text.startswith("Boundaries: geoBoundaries (William & Mary geoLab), https://www.geoboundaries.org — ")
    assert "geoBoundaries gbOpen AZE ADM2 (Wikipedia): CC BY-SA 3.0" in text
    assert "geoBoundaries gbOpen ARM ADM1 (© OpenStreetMap contributors): ODbL 1.0" in text


def test_the_map_credit_names_the_same_sources_and_links_the_provider():
    meta = load_metadata()
    html_text = credits.boundaries_html(meta)
    assert 'href="https://www.geoboundaries.org"' in html_text
    assert html_text.endswith(": geoBoundaries gbOpen ARM ADM0, ADM1 (© OpenStreetMap contributors): ODbL 1.0; "
                              "geoBoundaries gbOpen AZE ADM2 (Wikipedia): CC BY-SA 3.0")  # one origin and licence said once
    for line in meta["credits"]:
        source, licence = line.rsplit(": ", 1)
        assert licence in html_text and source.split(" (")[0].rsplit(" ", 1)[1] in html_text


def test_a_built_geography_credits_its_own_sources_and_says_licence_unknown(tmp_path):
    build = build_geography([GEO / "gadm41_AZE_2_small.zip", GEO / "geoBoundaries-ARM-ADM1_small.geojson"], tmp_path)
    text = credits.boundaries(build.metadata)
    assert "GADM, https://gadm.org" in text and "geoBoundaries (William & Mary geoLab)" in text
    assert "GADM 4.1 AZE level 2 (gadm41_AZE_2_small.zip): licence unknown" in text
    assert "Armenia from OpenStreetMap" not in text
