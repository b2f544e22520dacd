"""FilterSpec and filter_events on real events joined to real regions."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from pathlib import Path

import pytest
from field_specs import FIELD_SPECS

from mapdata.cli import main
from mapdata.errors import FilterError
from mapdata.filters import FIELDS, VIEW_KEYS, FilterSpec, filter_events, resolve_regions


def test_query_string_round_trip():
    spec = FilterSpec(
        date_from=date(2021, 1, 1), date_to=date(2022, 12, 31), regions=("Kalbajar", "Lachin District"),
        countries=("AZE",), event_types=("Battles",), actors=("Military Forces of Armenia",),
        min_fatalities=1, max_fatalities=10, precisions=(1, 2), max_border_km=5.0,
    )
    text = spec.to_query_string()
    assert "region=Kalbajar&region=Lachin+District" in text and "border_km=5" in text
    assert FilterSpec.from_query(text) == spec
    assert FilterSpec.from_query("?" + text) == spec
    assert FilterSpec.from_query(spec.to_query()) == spec


def test_empty_spec_keeps_everything(joined_events):
    assert FilterSpec().is_empty
    assert FilterSpec().to_query_string() == ""
    assert len(filter_events(joined_events, FilterSpec())) == len(joined_events)


@pytest.mark.parametrize(
    "query",
    ["from=2021-13-01", "fat_min=many", "precision=7", "type=Skirmish", "from=2022-01-01&to=2021-01-01", "border_km=-1"],
)
def test_bad_query_values_raise_filter_error(query):
    with pytest.raises(FilterError):
        FilterSpec.from_query(query)


@pytest.mark.parametrize("name", ["Kalbajar", "kalbajar district", "Karvachar", "KƏLBƏCƏR", "Kalbajar  District"])
def test_region_names_resolve_with_alternatives_and_generic_words(name, small_regions):
    kalbajar = small_regions.loc[small_regions["name_en"] == "Kalbajar District", "region_id"].iloc[0]
    assert resolve_regions([name], small_regions) == (kalbajar,)


def test_unknown_region_names_the_name_and_suggests(small_regions):
    with pytest.raises(FilterError, match="unknown region 'Kalbajr'.*did you mean"):
        resolve_regions(["Kalbajr"], small_regions)


def test_each_field_filters(joined_events, small_regions):
    by = lambda spec: sorted(filter_events(joined_events, spec, small_regions)["event_id"])  # noqa: E731
    assert by(FilterSpec(regions=("Karvachar",))) == ["AZARM-0011", "AZARM-0028"]
    assert by(FilterSpec(date_from=date(2021, 11, 16), date_to=date(2021, 11, 16))) == ["AZARM-0028", "AZARM-0029"]
    assert by(FilterSpec(countries=("BEL",))) == ["AZARM-0032"]
    assert by(FilterSpec(event_types=("Battles",), precisions=(3,))) == ["AZARM-0028", "AZARM-0029", "AZARM-0066"]
    assert by(FilterSpec(min_fatalities=100)) == ["AZARM-0066"]
    assert "AZARM-0028" not in by(FilterSpec(max_fatalities=5)), "unknown fatalities do not pass a bound"
    assert by(FilterSpec(sub_event_types=("Non-violent transfer of territory",))) == ["AZARM-0011", "AZARM-0037"]
    assert by(FilterSpec(actors=("Civilians (Armenia)",))) == ["AZARM-0074"]
    assert by(FilterSpec(actors=("Military Forces of Russia",))) == ["AZARM-0009"], "actor2 counts too"
    assert by(FilterSpec(max_border_km=2)) == ["AZARM-0074"], "Shurnukh lies on the line; Brussels is far"


def test_filter_keeps_order_and_geometry(joined_events):
    out = filter_events(joined_events, FilterSpec(countries=("ARM",)))
    assert list(out.index) == sorted(out.index)
    assert out.crs == joined_events.crs


def test_describe_reads_like_a_sentence():
    spec = FilterSpec(regions=("Kalbajar",), max_border_km=5.0, min_fatalities=1)
    assert spec.describe() == "regions: Kalbajar; at least 1 fatality; within 5 km of a border line"
    assert FilterSpec().describe() == "no filters"
    assert FilterSpec(min_fatalities=5).describe() == "at least 5 fatalities"
    assert FilterSpec(max_fatalities=1).describe() == "at most 1 fatality"
    assert FilterSpec(min_fatalities=2, max_fatalities=10).describe() == "2–10 fatalities"


def test_the_filter_table_is_filter_spec_and_every_field_round_trips_and_describes_itself():
    assert [f.name for f in FIELDS] == [f.name for f in dataclasses.fields(FilterSpec)]
    assert set(FIELD_SPECS) == {f.name for f in FIELDS}
    for field in FIELDS:
        spec = FIELD_SPECS[field.name]
        assert list(spec.to_query()) == [field.key], field.name
        assert FilterSpec.from_query(spec.to_query_string()) == spec
        assert FilterSpec.from_link(f"http://localhost:8501/?{spec.to_query_string()}") == spec
        words = spec.describe()
        assert words != "no filters" and all(text in words for text in field.texts(getattr(spec, field.name))), words


def test_cli_options_url_keys_and_describe_cover_exactly_the_filter_table(capsys):
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    section = capsys.readouterr().out.split("\nfilters:", 1)[1]
    flags = re.findall(r"^\s+(--[a-z-]+)", section, flags=re.MULTILINE)
    assert flags == ["--url"] + [f.flag for f in FIELDS]
    assert len({f.key for f in FIELDS}) == len(FIELDS) and not {f.key for f in FIELDS} & set(VIEW_KEYS)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert [f.flag for f in FIELDS if f"`{f.flag}" not in readme] == [], "every option is in the README's table"
    said_by_the_field_before = [f.name for f in FIELDS if f.words is None]
    assert said_by_the_field_before == ["date_to", "max_fatalities"], "only a range's upper end is said by its lower end"


@pytest.mark.parametrize("link, unknown", [
    ("http://localhost:8501/?region=Karvachar&colour=red", "'colour'"),
    ("?fat_min=1&regoin=Lachin&type=Battles&typo=", "'regoin', 'typo'"),
])
def test_a_link_with_unknown_keys_is_an_error_naming_them(link, unknown):
    with pytest.raises(FilterError, match=re.escape(f"the link has unknown key(s) {unknown};")):
        FilterSpec.from_link(link)


def test_a_link_accepts_the_apps_view_keys_and_both_forms():
    spec = FilterSpec(regions=("Kalbajar District",), date_from=date(2022, 1, 1))
    for link in ("http://localhost:8501/?region=Kalbajar+District&from=2022-01-01&shade=fatalities",
                 "http://localhost:8501/Timeline?bin=week&region=Kalbajar%20District&from=2022-01-01",
                 "?region=Kalbajar+District&from=2022-01-01", "region=Kalbajar+District&from=2022-01-01"):
        assert FilterSpec.from_link(link) == spec, link
    assert FilterSpec.from_link("http://localhost:8501/") == FilterSpec()


def test_a_window_is_inside_a_period_it_overlaps(data_dir):
    from mapdata.load import load_events

    events = load_events(data_dir / "formats" / "ucdp_ged19.csv", geocode=False).events
    march = filter_events(events, FilterSpec(date_from=date(2015, 3, 1), date_to=date(2015, 3, 31)))
    assert march["event_id"].tolist() == ["UCDP-GED-800004"]  # 2015-01-01..2015-12-31
    august = filter_events(events, FilterSpec(date_from=date(2015, 8, 10)))
    assert august["event_id"].tolist() == ["UCDP-GED-800004", "UCDP-GED-800005"]
    before = filter_events(events, FilterSpec(date_to=date(2014, 12, 31)))
    assert before.empty


def test_country_filter_takes_any_form_and_rejects_unknown(joined_events):
    by_code = filter_events(joined_events, FilterSpec(countries=("ARM",)))
    assert len(by_code) and set(by_code["country"]) == {"Armenia"}
    for form in ("AM", "armenia", "Armenia"):
        assert filter_events(joined_events, FilterSpec(countries=(form,)))["event_id"].tolist() == by_code["event_id"].tolist()
    assert filter_events(joined_events, FilterSpec(countries=("UKR",))).empty  # a real country without events here
    with pytest.raises(FilterError, match=r"unknown country 'Armenai' \(did you mean Armenia"):
        filter_events(joined_events, FilterSpec(countries=("Armenai",)))


def test_search_folds_case_and_accents_and_reads_alternative_region_names(joined_events, small_regions):
    by = lambda text: sorted(filter_events(joined_events, FilterSpec(search=text), small_regions)["event_id"])  # noqa: E731
    kalbajar = by("kalbajar")
    assert kalbajar and by("KALBAJAR") == by("Kälbäjär") == kalbajar
    assert by("kalbacar") and by("KƏLBƏCƏR") == by("kalbacar"), "ə folds to a"
    karvachar = small_regions.loc[small_regions["names_alt"].fillna("").str.contains("Karvachar"), "region_id"]
    in_region = set(joined_events.loc[joined_events["region_id"].isin(karvachar), "event_id"])
    assert in_region and in_region <= set(by("karvachar")), "an alternative name of the event's region matches"


def test_search_needs_every_word_somewhere_in_the_record(joined_events, small_regions):
    by = lambda text: set(filter_events(joined_events, FilterSpec(search=text), small_regions)["event_id"])  # noqa: E731
    actor = joined_events["actor1"].iloc[0]
    word = actor.split()[-1]
    place = joined_events["location"].iloc[0].split()[0]
    assert by(f"{word} {place}") == by(word) & by(place)
    assert by("zzqx-not-in-any-record") == set()


def test_search_reads_each_table_as_it_is(joined_events, small_regions):
    """Folded columns are kept per events table: a changed copy is searched as changed, in any script."""
    edited = joined_events.copy()
    edited["notes"] = ["Обстріл біля Straße Ağdam"] + [""] * (len(edited) - 1)
    by = lambda events, text: list(filter_events(events, FilterSpec(search=text), small_regions)["event_id"])  # noqa: E731
    assert by(edited, "обстріл strasse agdam") == [edited["event_id"].iloc[0]]
    assert by(joined_events, "обстріл") == [] and by(edited, "обстріл") == [edited["event_id"].iloc[0]]


def test_search_is_one_filter_table_entry_with_url_key_q_and_flag_q():
    field = next(f for f in FIELDS if f.name == "search")
    assert (field.key, field.flag, field.widget) == ("q", "--q", "text")
    spec = FilterSpec.from_query("q=%20shelling%20%20Goris%20")
    assert spec.search == "shelling Goris" and spec.to_query() == {"q": ["shelling Goris"]}
    assert spec.describe() == "search “shelling Goris”"
    assert FilterSpec.from_query({"q": ["   "]}) == FilterSpec()
    with pytest.raises(ValueError, match="empty search"):
        field.parse("  ")


def test_without_dates_keeps_every_other_field():
    spec = FilterSpec(search="Goris", date_from=date(2021, 1, 1), date_to=date(2021, 2, 1), event_types=("Battles",))
    assert spec.without_dates() == FilterSpec(search="Goris", event_types=("Battles",))
