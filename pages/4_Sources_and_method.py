"""Sources & method: provenance, coding rules, precision legend, licences, how to cite."""

import streamlit as st

import ui
from mapdata import credits, schema
from mapdata.geo import describe_borders

ctx = ui.frame("Sources & method")
data, meta = ctx.data, ctx.geography.metadata

st.header("Sources & method")
st.markdown(credits.events_method(*ui.event_files()))
st.markdown("**Location precision.** Uncertainty is part of the data and is drawn on the map:")
st.table({"level": list(schema.GEO_PRECISION_LABELS), "meaning": list(schema.GEO_PRECISION_LABELS.values()),
          "on the map": ["solid filled circle", "lighter fill, solid outline",
                         "hollow dashed circle with a dashed uncertainty ring"]})
st.markdown(
    """
**Regions and border.** Each event is joined to the region polygon it lies in; a point in no polygon
takes the nearest region only within a small tolerance (flagged *nearest*), otherwise it is *outside*
(such events still count in numbers, timeline and table). `border_km` is the distance to the
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
