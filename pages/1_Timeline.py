"""Timeline: events and known fatalities per week or month by event type, following the filters."""

import streamlit as st

import ui
from mapdata import stats
from mapdata.layers import TYPE_COLOURS

selected = ui.frame("Timeline").selected

step = st.segmented_control("Bin", options=["week", "month"], default="month", key=ui.Key.BIN, bind="query-params") or "month"
series = selected.timeline(step)
if series.empty:
    st.info("No events match the filters.")
else:
    types = list(dict.fromkeys(series["event_type"]))
    colours = [TYPE_COLOURS[t] for t in types]
    for measure, title in (("events", f"Events per {step}"), ("fatalities", f"Fatalities per {step} (known figures only)")):
        st.subheader(title)
        wide = series.pivot(index="period", columns="event_type", values=measure)[types].reset_index()
        st.bar_chart(wide, x="period", y=types, color=colours, stack=True, x_label=step, y_label=measure)
        with st.expander(f"The numbers as a table ({measure} per {step} and type)"):
            st.dataframe(stats.timeline_table(series, measure), hide_index=True, width="stretch")
    windows = selected.headline().windows
    if windows:
        st.caption(f"{windows:,} events are dated only to a window longer than a month: each counts as an event in "
                   f"every {step} its window overlaps, and its fatalities once, in the {step} the window starts.")
    st.warning(
        "Summed fatalities undercount: for multi-site episodes the sources give totals only, so per-site "
        "cells are empty and the totals are in each record's fatality note. Figures are those a side "
        "acknowledged for its own forces, or a neutral source."
    )
ui.credits()
