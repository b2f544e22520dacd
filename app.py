"""The map (entry page): incidents over regions and the state border, with a time player.

Run with ``streamlit run app.py``; choose another events file with ``MAPDATA_EVENTS=...``.
"""

import folium
import streamlit as st
from streamlit_folium import st_folium

import ui
from mapdata import assets, layers, stats

ui.page_setup("Map")
assets.use_local_assets()
data = ui.dataset()
spec = ui.sidebar_filters(data)
selected = ui.filtered(data, spec)
ui.headline(data, selected, spec)

if not all(path.exists() for path in assets.asset_files()):
    st.error("The map's JavaScript files are missing. Run `python -m mapdata assets` once (it fetches Leaflet "
             "from the npm registry into static/vendor/), then reload.")
    st.stop()

controls = st.columns([1.2, 1, 1, 1.4])
shade = controls[0].segmented_control("Shade regions by", ["events", "fatalities", "none"], default="events",
                                      key="shade", bind="query-params") or "none"
tiles = controls[1].toggle("OpenStreetMap tiles", key="tiles", help="Needs internet. Off: no base map, works offline.")
whole = controls[2].toggle("Fit all events", key="fit_all",
                           help="The initial view fits the border region; far-away events (meetings abroad) still count.")
step = controls[3].segmented_control("Play through time by", ["week", "month"], default="month", key="play_step") or "month"

head = stats.headline(selected)
windows = stats.time_windows(head.first, head.last, step) if head.first else []


def _toggle_play() -> None:
    st.session_state["playing"] = not st.session_state.get("playing", False)
    if st.session_state["playing"] and st.session_state.get("frame", 0) >= len(windows) - 1:
        st.session_state["frame"] = 0


def _advance() -> None:
    """One tick of the player: next window, and stop (full rerun) at the last one."""
    frame = st.session_state.get("frame", 0)
    if frame + 1 < len(windows):
        st.session_state["frame"] = frame + 1
    else:
        st.session_state["playing"] = False
        st.rerun(scope="app")


def _draw_map() -> None:
    shown, caption = selected, f"All {len(selected):,} filtered events."
    if st.session_state.get("animate") and windows:
        if st.session_state.get("playing") and st.session_state.get("_ticked"):
            _advance()
        st.session_state["_ticked"] = True
        st.session_state["frame"] = min(st.session_state.get("frame", 0), len(windows) - 1)
        frame = st.slider("Window", 0, len(windows) - 1, key="frame", format="%d", label_visibility="collapsed")
        start, end = windows[frame]
        shown = selected[(selected["event_date"].dt.date >= start) & (selected["event_date"].dt.date <= end)]
        caption = f"Window {frame + 1} of {len(windows)}: {start} → {end} · {len(shown)} of {len(selected):,} events"
    st.caption(caption)
    bounds = stats.all_bounds(data.events) if whole else stats.view_bounds(data.events, data.regions)
    (south, west), (north, east) = bounds
    counts = None if shade == "none" else stats.region_summary(shown, data.regions).set_index("region_id")[shade]
    groups = [
        layers.region_layer(data.regions, counts, shade if shade != "none" else "events"),
        layers.border_layer(data.border),
        layers.incident_layer(shown),
        layers.heat_layer(shown),
    ]
    result = st_folium(
        layers.base_map((west, south, east, north), tiles=tiles), feature_group_to_add=groups,
        layer_control=folium.LayerControl(collapsed=False), returned_objects=["last_object_clicked_tooltip"],
        key="map", height=620, use_container_width=True,
    )
    event_id = layers.event_id_from_tooltip((result or {}).get("last_object_clicked_tooltip"))
    _details(event_id)


def _details(event_id: str | None) -> None:
    record = stats.event_details(data.events, event_id) if event_id else None
    st.subheader("Incident details")
    if record is None:
        st.caption("Click an incident on the map to see its full record and source here.")
        return
    url = record["Source URL"]
    st.dataframe({"field": list(record), "value": list(record.values())}, hide_index=True, width="stretch")
    if url.lower().startswith(("http://", "https://")):
        st.link_button("Open the source", url)


player = st.columns([1, 1, 4])
player[0].toggle("Time window", key="animate", help="Show one week or month at a time; press Play or drag the window slider.")
if st.session_state.get("animate") and windows:
    player[1].button("⏸ Pause" if st.session_state.get("playing") else "▶ Play", on_click=_toggle_play, key="play")
st.session_state["_ticked"] = False
st.fragment(_draw_map, run_every="1.5s" if st.session_state.get("playing") else None)()
ui.credits()
