"""Sources & method: provenance, coding rules, precision legend, licences, how to cite."""

import streamlit as st

import ui
from mapdata import credits, schema
from mapdata.geo import describe_borders

ctx = ui.frame("Sources & method")
data, meta = ctx.data, ctx.geography.metadata

st.header("Sources & method")
st.markdown(
    """
**Events.** The embedded dataset holds incidents compiled from public reporting: news agencies,
defence-ministry statements as reported by media, Crisis Group CrisisWatch and Wikipedia. Every
record names its source and links it; casualty figures say who claimed them. Nothing is invented:
where a detail is inferred from context (a year, a day of the week, a province), the record's notes say
so, and an empty fatality cell means no acknowledged figure, not zero. The passages supporting each
record, quoted verbatim with their URLs, and the origin of each coordinate are in `data/sources/`
(see `data/README.md`). Actor order does not say who started an incident; most incidents are blamed
by each side on the other, and many rest on one side's account. Landmine and unexploded-ordnance
explosions name an "Unidentified (…)" actor, because who laid a mine is one side's attribution.

**Coding.** Event types and sub-types follow ACLED's taxonomy. Fatalities count the deaths a side
acknowledged for its own forces (or a neutral source). For multi-site episodes the sources give totals
only: per-site cells are empty and the totals are in the fatality note, so **sums undercount**.

**Location precision.** Uncertainty is part of the data and is drawn on the map:
"""
)
st.table({"level": list(schema.GEO_PRECISION_LABELS), "meaning": list(schema.GEO_PRECISION_LABELS.values()),
          "on the map": ["solid filled circle", "lighter fill, solid outline",
                         "hollow dashed circle with a dashed uncertainty ring"]})
st.markdown(
    """
**Regions and border.** Each event is joined to the region polygon it lies in; a point in no polygon
takes the nearest region only within a small tolerance (flagged *nearest*), otherwise it is *outside*
(meetings abroad still count in numbers, timeline and table). `border_km` is the distance to the
nearest border line of the geography, measured on the WGS84 ellipsoid; the lines are derived from the
boundary layers where two countries meet (see `geo/README.md`). An event *outside* every region has
no `border_km`: the geography cannot know the borders near it, so a distance to its own lines would
not be an honest figure.
"""
)
st.caption(describe_borders(meta))
st.subheader("Spatial consistency check")
flagged = data.country_mismatches()
st.caption("Events whose point lies in a region of another country than the one the sources report. "
           "They are flagged, not moved: reference points across the line and overlapping boundary sources.")
st.dataframe(flagged, hide_index=True, width="stretch")

st.subheader("Licences and attribution")
gazetteer = "a sourced border gazetteer (see geo/README.md) and " if ctx.geography.gazetteer.is_file() else ""
st.markdown(f"{credits.boundaries(meta)}. {credits.SHARE_ALIKE} Imports are geocoded offline with {gazetteer}{credits.GEONAMES}.")
st.subheader("Data dictionary")
st.dataframe(schema.data_dictionary(), hide_index=True, width="stretch")
st.subheader("How to cite")
st.markdown("Cite the original source of each event (its `source` and `source_url`), and this tool with the "
            "date of access and the filter in use (the page URL reproduces it).")
ui.credits()
