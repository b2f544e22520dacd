"""Serve the app with its libraries loaded before the first visitor: ``streamlit run serve.py``.

``streamlit run app.py`` serves the same pages (app.py is the entry page, the rest are in
pages/), but Streamlit runs nothing before a browser connects, so the first visitor after a
start waits while Python imports pandas, geopandas, folium and mapdata and reads the boundary
layers (about 1.5 s here). ``st.App`` runs the start-up step below before the server accepts
connections.

streamlit_folium is left to the first page: the map component it declares is registered with
the running app only when it is imported from a page.
"""

import logging
from contextlib import asynccontextmanager

import streamlit as st


@asynccontextmanager
async def _load_libraries(_app):
    try:
        import folium.plugins  # noqa: F401
        import mapdata
        from mapdata import layers, stats  # noqa: F401

        mapdata.load_regions(), mapdata.load_border()
    except Exception as exc:  # noqa: BLE001 - only a head start; the pages report any problem themselves
        logging.getLogger("mapdata").warning("start-up preload skipped: %s", exc)
    yield


app = st.App("app.py", lifespan=_load_libraries)
