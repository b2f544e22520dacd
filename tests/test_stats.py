"""Headline numbers, timeline, per-region summary and view bounds on real events."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from mapdata import stats


def test_headline_counts_known_fatalities_as_at_least(joined_events):
    head = stats.headline(joined_events)
    assert head.events == 9
    assert head.unknown_fatalities == 2, "AZARM-0028 and 0029 have no per-site figure"
    assert head.fatalities_at_least == int(joined_events["fatalities"].sum(skipna=True))
    assert head.fatalities_text().startswith("at least ") and "2 events without a figure" in head.fatalities_text()
    assert (head.first, head.last) == (date(2020, 11, 9), date(2023, 9, 19))


def test_headline_of_nothing():
    import pandas as pd

    empty = pd.DataFrame({"event_date": pd.Series(dtype="datetime64[s]"), "fatalities": pd.Series(dtype="Int64"),
                          "geo_precision": pd.Series(dtype="int64")})
    head = stats.headline(empty)
    assert head.events == 0 and head.first is None and head.fatalities_text() == "at least 0"


def test_timeline_fills_empty_periods_and_sums_per_type(joined_events):
    months = stats.timeline(joined_events, "month")
    assert months["events"].sum() == len(joined_events)
    assert months["period"].min().date() == date(2020, 11, 1)
    assert months["period"].nunique() == (2023 - 2020) * 12 + (9 - 11) + 1
    nov21 = months[(months["period"] == "2021-11-01") & (months["event_type"] == "Battles")]
    assert nov21["events"].iloc[0] == 2
    weeks = stats.timeline(joined_events, "week")
    assert (weeks["period"].dt.day_of_week == 0).all(), "weeks start on Monday"
    assert (weeks["end"] - weeks["period"]).eq(pd.Timedelta(days=6)).all() and (months["end"].dt.is_month_end).all()
    assert weeks["events"].sum() == len(joined_events)


def test_region_summary_includes_regions_without_events(joined_events, small_regions):
    table = stats.region_summary(joined_events, small_regions)
    assert len(table) == len(small_regions)
    kalbajar = table.set_index("name_en").loc["Kalbajar District"]
    assert kalbajar["events"] == 2 and kalbajar["unknown_fatalities"] == 1
    assert table["events"].sum() == (joined_events["region_match"] != "outside").sum()


def test_view_bounds_fit_the_events_inside_the_geography(joined_events, small_regions):
    (south, west), (north, east) = stats.view_bounds(joined_events, small_regions)
    assert 38 < south < north < 42 and 43 < west < east < 48, "Brussels must not pull the view"
    local = joined_events[joined_events["region_match"] != "outside"]
    lw, ls, le, ln = local.total_bounds
    assert [[south, west], [north, east]] == [[ls - 0.25, lw - 0.25], [ln + 0.25, le + 0.25]], "the view fits the local events"
    rw, rs, re_, rn = small_regions.total_bounds
    assert stats.view_bounds(joined_events.iloc[0:0], small_regions) == [[rs - 0.25, rw - 0.25], [rn + 0.25, re_ + 0.25]]
    (_, west_all), _ = stats.all_bounds(joined_events)
    assert west_all < 5
    assert stats.outside_count(joined_events) >= 1


def test_time_windows_cover_the_span():
    months = stats.time_windows(date(2020, 7, 12), date(2020, 9, 3), "month")
    assert months == [(date(2020, 7, 1), date(2020, 7, 31)), (date(2020, 8, 1), date(2020, 8, 31)),
                      (date(2020, 9, 1), date(2020, 9, 30))]
    weeks = stats.time_windows(date(2020, 7, 12), date(2020, 7, 20), "week")
    assert weeks[0] == (date(2020, 7, 6), date(2020, 7, 12)) and weeks[-1][1] >= date(2020, 7, 20)


def test_filter_options_offer_every_choice_once_with_alternative_names(joined_events, small_regions):
    choice = stats.filter_options(joined_events, small_regions)
    assert (choice.first, choice.last) == (date(2020, 11, 9), date(2023, 9, 19))
    assert set(choice.choices["countries"]) == {"ARM", "AZE", "BEL"}
    assert "Civilians (Armenia)" in choice.choices["actors"] and "" not in choice.choices["actors"]
    assert len(choice.choices["regions"]) == len(small_regions)
    assert "Karvachar" in choice.choices["regions"]["Kalbajar District"]


def test_colocated_lists_the_events_stacked_at_one_point_itself_first():
    import geopandas as gpd
    import pandas as pd

    frame = pd.DataFrame({
        "event_id": ["A", "B", "C", "D"],
        "event_date": pd.to_datetime(["2021-05-01", "2020-01-01", "2022-01-01", "2020-06-01"]),
        "latitude": [40.1, 40.1, 40.1, 39.0], "longitude": [46.0, 46.0, 46.0, 45.0],
    })
    events = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["longitude"], frame["latitude"]), crs="EPSG:4326")
    assert list(stats.colocated(events, "C")["event_id"]) == ["C", "B", "A"]
    assert list(stats.colocated(events, "D")["event_id"]) == ["D"]
    assert stats.colocated(events, "missing").empty


def test_event_labels_name_id_date_type_and_shortened_place():
    import pandas as pd

    events = pd.DataFrame({"event_id": ["A"], "event_date": pd.to_datetime(["2021-05-01"]),
                           "event_type": ["Battles"], "location": ["Kalbajar / Karvachar " * 5]})
    label = stats.event_labels(events, place_chars=20)["A"]
    assert label.startswith("A · 2021-05-01 · Battles · Kalbajar / Karvac") and label.endswith("…")
    assert len(label.split(" · ")[3]) == 20


def test_windows_count_in_every_period_they_overlap_and_fatalities_once(data_dir):
    from mapdata.load import load_events

    events = load_events(data_dir / "formats" / "ucdp_ged19.csv", geocode=False).events
    head = stats.headline(events)
    assert head.windows == 2 and str(head.last) == "2015-12-31"
    months = stats.timeline(events, "month")
    per_month = months.groupby("period")["events"].sum()
    assert per_month.loc["2015-03-01"] == 1  # only the year-long window (2015-01-01..2015-12-31) is in March
    assert per_month.loc["2015-08-01"] == 2  # the year and the 2015-07-01..08-15 window
    assert months["fatalities"].sum() == events["fatalities"].sum()
    assert stats.event_details(events, "UCDP-GED-800004")["Date"] == "2015-01-01 – 2015-12-31 (precision: range)"
    assert stats.event_details(events, "UCDP-GED-800001")["Date"] == "2015-05-11 (precision: day)"


def test_a_frame_shows_its_window_or_everything_up_to_its_end(joined_events):
    dates = joined_events["event_date"]
    window = (dates.min().date(), (dates.min() + (dates.max() - dates.min()) / 2).date())
    later = (window[1], dates.max().date())
    moving = stats.frame_events(joined_events, later)
    cumulative = stats.frame_events(joined_events, later, "cumulative")
    assert len(moving) == int(dates.between(pd.Timestamp(later[0]), pd.Timestamp(later[1])).sum())
    assert len(cumulative) == len(joined_events) > len(moving)
    assert len(stats.frame_events(joined_events, window, "cumulative")) == int((dates <= pd.Timestamp(window[1])).sum())
    with pytest.raises(ValueError, match="unknown playback mode 'loop'"):
        stats.frame_events(joined_events, window, "loop")


def test_an_event_dated_to_a_window_shows_in_every_frame_its_window_overlaps(data_dir):
    from mapdata.load import load_events

    events = load_events(data_dir / "formats" / "ucdp_ged19.csv", geocode=False).events
    months = stats.time_windows(date(2015, 1, 1), date(2015, 12, 31), "month")
    shown = {f"{start:%m}": set(stats.frame_events(events, (start, end))["event_id"]) for start, end in months}
    assert all("UCDP-GED-800004" in ids for ids in shown.values()), "2015-01-01..12-31: every month of 2015"
    assert [m for m, ids in shown.items() if "UCDP-GED-800005" in ids] == ["07", "08"], "2015-07-01..08-15"
    assert [m for m, ids in shown.items() if "UCDP-GED-800001" in ids] == ["05"]
    cumulative = stats.frame_events(events, months[5], "cumulative")  # up to June
    assert set(cumulative["event_id"]) == {"UCDP-GED-800001", "UCDP-GED-800002", "UCDP-GED-800003", "UCDP-GED-800004"}


def test_event_table_says_type_precision_and_fatalities_in_words(joined_events):
    table = stats.event_table(joined_events)
    assert len(table) == len(joined_events) and set(table["event"]) == set(joined_events["event_id"])
    assert list(table["date"]) == sorted(table["date"], reverse=True)
    row = joined_events.iloc[0]
    mine = table[table["event"] == row["event_id"]].iloc[0]
    assert mine["type"] == row["event_type"]
    assert mine["location precision"].startswith(f"{int(row['geo_precision'])} — ")
    assert mine["fatalities"] == ("no figure" if pd.isna(row["fatalities"]) else str(int(row["fatalities"])))


def test_map_summary_follows_the_events(joined_events):
    text = stats.map_summary(joined_events)
    top = joined_events["region_name"][joined_events["region_name"].fillna("") != ""].value_counts()
    assert text.startswith(f"{len(joined_events):,} incidents, ")
    assert f"most in {top.index[0]} ({top.iloc[0]})" in text
    assert stats.map_summary(joined_events.iloc[0:0]) == "No incidents match the filters."


def test_bin_span_snaps_a_drag_to_whole_bins():
    assert stats.bin_span("2021-03-17", "2021-01-05", "month") == (date(2021, 1, 1), date(2021, 3, 31))
    assert stats.bin_span("2024-02-14T13:00", "2024-02-14", "week") == (date(2024, 2, 12), date(2024, 2, 18))
    assert stats.bin_span(1_613_000_000_000, 1_609_459_200_000.0) == (date(2021, 1, 1), date(2021, 2, 28)), "epoch ms"


def test_timeline_period_marks_and_table(joined_events):
    months = stats.timeline(joined_events, "month")
    inside = stats.timeline_in_period(months, date(2021, 11, 16), date(2022, 1, 31))
    assert set(months.loc[inside, "period"].dt.strftime("%Y-%m")) == {"2021-11", "2021-12", "2022-01"}
    assert stats.timeline_in_period(months, None, None).all()
    table = stats.timeline_table(months)
    assert list(table.columns[:1]) == ["from"] and table.iloc[:, 1:].to_numpy().sum() == len(joined_events)
    assert table.loc[table["from"] == "2021-11-01", "Battles"].iloc[0] == 2
