"""Regions: events and fatalities per region for the current filter; picking rows filters every page."""

import folium
import streamlit as st
from streamlit_folium import st_folium

import ui
from mapdata import assets, layers

ctx = ui.frame("Regions")


def _pick_regions() -> None:
    rows = st.session_state[ui.Key.REGION_TABLE].selection.rows
    st.session_state[ui.filter_key("regions")] = list(st.session_state[ui.Key.REGION_ORDER][i] for i in rows)


table = ctx.selected.region_summary()
st.session_state[ui.Key.REGION_ORDER] = list(table["name_en"])
bar = st.columns([1, 1], vertical_alignment="bottom")
shade = bar[0].segmented_control("Shade the map by", ["events", "fatalities"], default="events", key=ui.Key.REGION_SHADE) or "events"
compared = ui.comparison(ctx, bar[1].popover("Compare two periods", icon=":material/compare_arrows:"))
if all(path.exists() for path in assets.asset_files()):
    assets.use_local_assets()
    fill = (layers.change_layer(ui.display_regions(ctx.data), compared.table, compared.periods.describe()) if compared
            else layers.region_layer(ui.display_regions(ctx.data), table.set_index("region_id")[shade], shade))
    st_folium(
        layers.base_map(ctx.data.regions.total_bounds, geo_meta=ctx.geography.metadata), key=ui.Key.REGIONS_MAP, height=580, use_container_width=True,
        feature_group_to_add=[fill, *([] if ctx.data.border.empty else [layers.border_layer(ctx.data.border)])],
        layer_control=folium.LayerControl(collapsed=True), returned_objects=[],
    )
if compared:
    ui.comparison_table(compared)
st.caption("Select rows to filter every page by those regions (the sidebar's Regions filter follows). "
           f"{ctx.selected.outside_count()} matching events lie outside every region of the geography "
           "and are not in this table.")
st.dataframe(
    table.rename(columns={"name_en": "region", "names_alt": "alternative names", "country_iso3": "country",
                          "admin_level": "level", "unknown_fatalities": "events without a figure"}),
    hide_index=True, width="stretch", key=ui.Key.REGION_TABLE, on_select=_pick_regions, selection_mode="multi-row",
    column_config={"region_id": None, "fatalities": st.column_config.NumberColumn("fatalities (at least)")},
)
ui.credits()
