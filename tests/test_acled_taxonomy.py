"""mapdata.acled_taxonomy: pre-2019 ACLED event types mapped to the current ones by a table."""

from __future__ import annotations

import pandas as pd

from mapdata import schema
from mapdata.acled_taxonomy import OLD_TYPES, is_old_taxonomy, to_current


def test_every_target_is_in_the_current_taxonomy():
    for event_type, sub_type in OLD_TYPES.values():
        assert event_type in schema.EVENT_TYPES
        assert sub_type == "" or sub_type in schema.EVENT_TYPES[event_type]


def test_old_types_and_riots_protests_by_actor_type():
    rows = pd.DataFrame([
        ("Battle-No change of territory", "", "1", "2"),
        ("battle-government regains territory", "", "1", "2"),
        ("Remote violence", "", "2", "1"),
        ("Riots/Protests", "", "5", "1"),
        ("Riots/Protests", "", "6", "0"),
        ("Riots/Protests", "", "1", "6"),
        ("Riots/Protests", "", "3", "0"),
        ("Strategic development", "", "1", "0"),
        ("Headquarters or base established", "", "2", "0"),
        ("Protests", "Peaceful protest", "6", "0"),
    ], columns=["event_type", "sub_event_type", "inter1", "inter2"])
    types, subs = to_current(rows["event_type"], rows["sub_event_type"], rows["inter1"], rows["inter2"])
    assert list(zip(types, subs)) == [
        ("Battles", "Armed clash"),
        ("Battles", "Government regains territory"),
        ("Explosions/Remote violence", ""),
        ("Riots", ""),
        ("Protests", ""),
        ("Protests", ""),
        ("Riots/Protests with inter1 3 and inter2 0: neither actor is rioters (5) or protesters (6)", ""),
        ("Strategic developments", ""),
        ("Strategic developments", "Headquarters or base established"),
        ("Protests", "Peaceful protest"),
    ]


def test_old_taxonomy_is_recognised_by_its_names():
    assert is_old_taxonomy(pd.Series(["Riots/Protests", "Violence against civilians"]))
    assert is_old_taxonomy(pd.Series(["Remote violence"]))
    assert not is_old_taxonomy(pd.Series(["Violence against civilians", "Battles"]))
