"""ACLED's event types before March 2019, mapped to the current taxonomy by an explicit table.

In March 2019 ACLED replaced its event types with six new ones (Battles, Explosions/Remote
violence, Violence against civilians, Protests, Riots, Strategic developments) and added a
sub-event type nested in each ("ACLED introduces new event types and sub-event types", ACLED,
14 March 2019). The old types are those of the ACLED Codebook (Raleigh and Dowd, 2015; version 8,
2017): three kinds of battle, Headquarters or base established, Strategic development (called
"non-violent activity by a conflict actor" in the 2015 codebook), Riots/Protests, Violence against
civilians, Non-violent transfer of territory and Remote violence. The current codebook keeps the
two battle outcomes and the two territory/base events as sub-event types with the same names,
and codes rioters as actor type ('inter' code) 5 and protesters as 6, which is how a single
"Riots/Protests" row is told apart.

Where the old type says nothing about the sub-type (Remote violence could be a shelling, an air
strike or a mine; Strategic development any of eight), the sub-type is left empty rather than
guessed. The original value is kept in ``acled_event_type_original`` by the converter.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

OLD_TYPES: dict[str, tuple[str, str]] = {
    "Battle-No change of territory": ("Battles", "Armed clash"),
    "Battle-Government regains territory": ("Battles", "Government regains territory"),
    "Battle-Non-state actor overtakes territory": ("Battles", "Non-state actor overtakes territory"),
    "Remote violence": ("Explosions/Remote violence", ""),
    "Violence against civilians": ("Violence against civilians", ""),
    "Headquarters or base established": ("Strategic developments", "Headquarters or base established"),
    "Non-violent transfer of territory": ("Strategic developments", "Non-violent transfer of territory"),
    "Strategic development": ("Strategic developments", ""),
}
"""Old event type → (current event type, sub-event type; empty where the old type does not say)."""

RIOTS_PROTESTS = "Riots/Protests"
DEMONSTRATORS: dict[str, str] = {"5": "Riots", "6": "Protests"}
"""ACLED 'inter' code of a demonstrating actor → the current event type for a Riots/Protests row."""

_BY_KEY = {name.lower(): target for name, target in OLD_TYPES.items()}


def is_old_taxonomy(event_types: pd.Series) -> bool:
    """Whether a column of event types uses pre-2019 names (any value of :data:`OLD_TYPES` other
    than the unchanged "Violence against civilians", or "Riots/Protests")."""
    keys = set(pd.unique(event_types.str.strip().str.lower()))
    old_only = {k for k in _BY_KEY if _BY_KEY[k][0].lower() != k} | {RIOTS_PROTESTS.lower()}
    return bool(keys & old_only)


def to_current(event_type: pd.Series, sub_event_type: pd.Series, inter1: pd.Series,
               inter2: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Current (event_type, sub_event_type) for old-taxonomy rows.

    "Riots/Protests" becomes Riots when inter1 is 5 (rioters) and Protests when it is 6
    (protesters); otherwise inter2 decides the same way (state forces acting against rioters or
    protesters). A row where neither actor is a demonstrator keeps a text naming both codes, which
    the validator rejects as an unknown event type. Rows whose type is not in the table keep their
    type and sub-type.
    """
    key = event_type.str.strip().str.lower()
    mapped_type = key.map({k: v[0] for k, v in _BY_KEY.items()})
    mapped_sub = key.map({k: v[1] for k, v in _BY_KEY.items()})
    demo = inter1.str.strip().map(DEMONSTRATORS).fillna(inter2.str.strip().map(DEMONSTRATORS))
    is_demo = key.eq(RIOTS_PROTESTS.lower())
    unresolved = ("Riots/Protests with inter1 " + inter1.replace("", "empty") + " and inter2 "
                  + inter2.replace("", "empty") + ": neither actor is rioters (5) or protesters (6)")
    types = pd.Series(np.where(is_demo, demo.fillna(unresolved), mapped_type.fillna(event_type)), index=event_type.index)
    subs = pd.Series(np.where(is_demo | mapped_sub.notna(), mapped_sub.fillna(""), sub_event_type), index=event_type.index)
    return types, subs
