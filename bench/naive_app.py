"""The naive map, for the browser benchmark only: pandas reads the CSV, one folium CircleMarker
(with popup and tooltip) per event, the whole map sent again on every filter change.

    MAPDATA_EVENTS=bench/out/events_10000.csv streamlit run bench/naive_app.py
"""

import os

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from mapdata import assets

COLOURS = {"Battles": "#D55E00", "Explosions/Remote violence": "#0072B2", "Violence against civilians": "#CC79A7",
           "Protests": "#009E73", "Riots": "#E69F00", "Strategic developments": "#56B4E9"}


@st.cache_data
def events(path: str) -> pd.DataFrame:
    return pd.read_csv(path)


assets.use_local_assets()  # the same offline Leaflet files as the app (no CDN here)
frame = events(os.environ["MAPDATA_EVENTS"])
minimum = st.sidebar.number_input("Minimum fatalities", min_value=0, value=0, step=1)
shown = frame[frame["fatalities"].fillna(0) >= minimum] if minimum else frame
m = folium.Map(location=[40.0, 46.0], zoom_start=7, tiles=None)
for row in shown.itertuples(index=False):
    folium.CircleMarker([row.latitude, row.longitude], radius=5, color=COLOURS.get(row.event_type, "#777"), fill=True,
                        popup=f"{row.event_id}<br>{row.event_type}<br>{row.location}", tooltip=row.event_id).add_to(m)
st.caption(f"{len(shown):,} events")
st_folium(m, key="map", height=620, use_container_width=True, returned_objects=["last_object_clicked_tooltip"])
st.caption("each record links its source")
