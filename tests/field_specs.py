"""One FilterSpec per filter field, each exercising only that field on the embedded events
(data/events.csv): test_filters checks they cover the filter table, test_cli and test_app export
and show each one's link. Not a test module: the tests import it (tests/ is on sys.path)."""

from __future__ import annotations

from datetime import date

from mapdata import FilterSpec

FIELD_SPECS: dict[str, FilterSpec] = {
    "search": FilterSpec(search="Goris"),
    "date_from": FilterSpec(date_from=date(2022, 1, 1)),
    "date_to": FilterSpec(date_to=date(2021, 12, 31)),
    "regions": FilterSpec(regions=("Karvachar",)),
    "countries": FilterSpec(countries=("ARM",)),
    "event_types": FilterSpec(event_types=("Battles",)),
    "sub_event_types": FilterSpec(sub_event_types=("Armed clash",)),
    "actors": FilterSpec(actors=("Government of Armenia",)),
    "min_fatalities": FilterSpec(min_fatalities=1),
    "max_fatalities": FilterSpec(max_fatalities=2),
    "precisions": FilterSpec(precisions=(3,)),
    "max_border_km": FilterSpec(max_border_km=5.0),
    "area": FilterSpec(area=((45.5, 39.5), (46.5, 39.5), (46.5, 40.3), (45.5, 40.3))),
}
"""Filter field name → a spec that sets only that field."""
