"""The attribution texts (mapdata.credits): what the licences require, in every form."""

from __future__ import annotations

from mapdata import credits


def test_attribution_credits_both_sources():
    assert "geoBoundaries" in credits.BOUNDARIES
    assert "ODbL 1.0" in credits.BOUNDARIES and "CC BY-SA 3.0" in credits.BOUNDARIES


def test_the_map_credit_names_the_same_sources_and_links_geoboundaries():
    for country, source, licence in credits._BOUNDARY_SOURCES:
        assert country in credits.BOUNDARIES and country in credits.BOUNDARIES_HTML
        assert f"{source} ({licence})" in credits.BOUNDARIES and f"{source}, {licence}" in credits.BOUNDARIES_HTML
    assert f'href="{credits.GEOBOUNDARIES_URL}"' in credits.BOUNDARIES_HTML
