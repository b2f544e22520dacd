"""Data & export: the filtered events as a table and as GeoJSON, CSV or GeoPackage downloads."""

import streamlit as st

import ui
from mapdata import schema
from mapdata.export import FORMATS, export_bytes
from mapdata.rejections import rejected_rows

TABLE_ROWS = 50_000
"""Rows of a store's selection shown in the table (a download holds all of them)."""

ctx = ui.frame("Data & export")
data, spec, selected = ctx.data, ctx.spec, ctx.selected


st.subheader("Download exactly what is filtered")
cols = st.columns(len(FORMATS))
for col, fmt in zip(cols, FORMATS.values()):
    col.download_button(
        fmt.label, data=lambda name=fmt.name: export_bytes(selected.rows(), name, spec, source_name=data.name,
                                                           geo_meta=ctx.geography.metadata),
        file_name=f"incidents{fmt.suffix}", mime=fmt.mime, key=f"{ui.Key.DOWNLOAD}{fmt.name}", on_click="ignore", width="stretch",
    )
st.caption("The same filter with `mapdata export` writes the same content (only the generation time differs). "
           "Every feature keeps `geo_precision`; fatality figures say who claimed them.")

st.subheader(f"{selected.count:,} events")
rows = selected.preview(TABLE_ROWS)
if len(rows) < selected.count:
    st.caption(f"The first {len(rows):,} of {selected.count:,} in the table; the downloads hold them all.")
shown = [c for c in schema.COLUMN_NAMES if c in rows.columns]
st.dataframe(
    rows[shown], hide_index=True, width="stretch",
    column_config={
        "event_date": st.column_config.DateColumn("event_date", format="YYYY-MM-DD"),
        "event_date_end": st.column_config.DateColumn("event_date_end", format="YYYY-MM-DD"),
        "source_url": st.column_config.LinkColumn("source_url"),
        "country_mismatch": st.column_config.CheckboxColumn("country_mismatch"),
    },
)
if len(data.rejected):
    with st.expander(f"{rejected_rows(data.rejected):,} rows of {data.name} were rejected"):
        st.dataframe(data.rejected, hide_index=True, width="stretch")
ui.credits()
