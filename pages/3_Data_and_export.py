"""Data & export: the filtered events as a table and as GeoJSON, CSV or GeoPackage downloads."""

import streamlit as st

import ui
from mapdata import schema
from mapdata.export import FORMATS, export_bytes

ui.page_setup("Data & export")
data = ui.dataset()
spec = ui.sidebar_filters(data)
selected = ui.filtered(data, spec)
ui.headline(data, selected, spec)


@st.cache_data(show_spinner="Preparing the export…", max_entries=12)
def _export(fmt: str, query: str, _events, version: str) -> bytes:
    return export_bytes(_events, fmt, spec, source_name=data.name)


st.subheader("Download exactly what is filtered")
cols = st.columns(len(FORMATS))
labels = {"geojson": "GeoJSON (RFC 7946)", "csv": "CSV (safe for spreadsheets)", "gpkg": "GeoPackage"}
for col, (fmt, (suffix, mime)) in zip(cols, FORMATS.items()):
    col.download_button(
        labels[fmt], data=lambda fmt=fmt: _export(fmt, spec.to_query_string(), selected, f"{data.name}:{len(data.events)}"),
        file_name=f"incidents{suffix}", mime=mime, key=f"download_{fmt}", on_click="ignore", width="stretch",
    )
st.caption("The same filter with `mapdata export` writes the same content (only the generation time differs). "
           "Every feature keeps `geo_precision`; fatality figures say who claimed them.")

st.subheader(f"{len(selected):,} events")
shown = [c for c in schema.COLUMN_NAMES if c in selected.columns]
st.dataframe(
    selected[shown], hide_index=True, width="stretch",
    column_config={
        "event_date": st.column_config.DateColumn("event_date", format="YYYY-MM-DD"),
        "source_url": st.column_config.LinkColumn("source_url"),
        "country_mismatch": st.column_config.CheckboxColumn("country_mismatch"),
    },
)
if len(data.rejected):
    with st.expander(f"{data.rejected['row'].nunique()} rows of {data.name} were rejected"):
        st.dataframe(data.rejected, hide_index=True, width="stretch")
ui.credits()
