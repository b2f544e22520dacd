"""Comparing two periods: the change-band rules, the default previous period, the region table."""

from __future__ import annotations

import json
from datetime import date

import pytest

from mapdata import compare
from mapdata.errors import FilterError


@pytest.mark.parametrize("before, after, band", [
    (0, 0, None), (0, 3, "new"), (4, 0, "gone"),
    (4, 6, "> +25 %"), (4, 5, "+10 to +25 %"), (20, 25, "+10 to +25 %"), (10, 11, "+10 to +25 %"),
    (100, 126, "> +25 %"), (100, 125, "+10 to +25 %"), (100, 109, "−25 to +10 %"), (4, 4, "−25 to +10 %"),
    (4, 3, "−25 to +10 %"), (100, 75, "−25 to +10 %"), (100, 74, "< −25 %"), (4, 1, "< −25 %"),
])
def test_change_bands(before, after, band):
    assert compare.change_band(before, after) == band


def test_the_default_b_is_the_previous_period_of_equal_length():
    assert compare.previous_period(date(2022, 1, 1), date(2022, 12, 31)) == (date(2021, 1, 1), date(2021, 12, 31))
    assert compare.previous_period(date(2021, 1, 1), date(2021, 12, 31)) == (date(2020, 1, 2), date(2020, 12, 31)), "365 days"
    assert compare.previous_period(date(2024, 3, 1), date(2024, 3, 1)) == (date(2024, 2, 29), date(2024, 2, 29))


def test_a_period_must_not_end_before_it_starts():
    with pytest.raises(FilterError, match="period B starts"):
        compare.Periods((date(2021, 1, 1), date(2021, 2, 1)), (date(2020, 3, 1), date(2020, 2, 1)))


def test_compare_regions_counts_each_period_and_bands_every_region(joined_events, small_regions):
    periods = compare.Periods(a=(date(2021, 1, 1), date(2021, 12, 31)), b=(date(2020, 1, 1), date(2020, 12, 31)))
    table = compare.compare_regions(joined_events, small_regions, periods)
    dates = joined_events["event_date"]
    for name, (first, last) in (("events_a", periods.a), ("events_b", periods.b)):
        inside = joined_events[(dates >= str(first)) & (dates <= str(last)) & joined_events["region_id"].isin(table["region_id"])]
        assert table[name].sum() == len(inside), name
    assert ((table["events_a"] > 0) | (table["events_b"] > 0)).all()
    for row in table.itertuples():
        assert row.band == compare.change_band(row.events_b, row.events_a)
    assert list(table["band"].map(compare.BANDS.index)) == sorted(table["band"].map(compare.BANDS.index))
    text = compare.comparison_csv(table, periods).decode()
    assert text.splitlines()[0] == ("region_id,region,events 2021-01-01 to 2021-12-31 (A),events 2020-01-01 to 2020-12-31 (B),"
                                    "change A vs B (%),band")


def test_the_change_map_colours_each_band_from_the_symbology_table(joined_events, small_regions):
    from mapdata import layers
    from mapdata.layers import symbology

    assert set(symbology.CHANGE_COLOURS) == set(compare.BANDS)
    periods = compare.Periods(a=(date(2021, 1, 1), date(2021, 12, 31)), b=(date(2020, 1, 1), date(2020, 12, 31)))
    table = compare.compare_regions(joined_events, small_regions, periods)
    html = layers.base_map(small_regions.total_bounds).add_child(
        layers.change_layer(small_regions, table, periods.describe())).get_root().render()
    for band in set(table["band"]):
        assert f'"fillColor": "{symbology.CHANGE_COLOURS[band]}"' in html or f'"fillColor":"{symbology.CHANGE_COLOURS[band]}"' in html
        assert json.dumps(f"change: {band}")[1:-1] in html
    assert periods.describe() in html
