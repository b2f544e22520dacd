"""Entry page: the map of incidents over regions and the border lines, with a time player and a
details panel for the clicked incident.

Run with ``streamlit run app.py``; choose another events file with ``MAPDATA_EVENTS=...``.
"""

import folium
import streamlit as st
from streamlit_folium import st_folium

import ui
from mapdata import assets, layers, load_countries, schema, stats
from mapdata.geo import describe_borders

PLAY_INTERVAL = "1.5s"


def map_page(ctx: ui.Context) -> None:
    """The map: controls, the player, the folium map and the details of the clicked incident."""
    if not all(path.exists() for path in assets.asset_files()):
        st.error("The map's JavaScript files are missing. Run `python -m mapdata assets` once (it fetches Leaflet "
                 "from the npm registry into static/vendor/), then reload.")
        return
    assets.use_local_assets()
    controls = st.columns([1.6, 0.9, 0.9, 1, 1.3])
    shade = controls[0].segmented_control("Shade regions by", ["events", "fatalities", "none"], default="events",
                                          key=ui.Key.SHADE, bind="query-params") or "none"
    heat = controls[1].toggle("Heat map", key=ui.Key.HEAT, help="Density of the filtered events, on top of the markers.")
    tiles = controls[2].toggle("OSM tiles", key=ui.Key.TILES, help="OpenStreetMap tiles; needs internet. Off: no base map, works offline.")
    whole = controls[3].toggle("Fit all events", key=ui.Key.FIT_ALL,
                               help="The first view fits the events inside the geography; far-away events (meetings abroad) still count.")
    step = controls[4].segmented_control("Play through time by", ["week", "month"], default="month", key=ui.Key.PLAY_STEP) or "month"

    head = stats.headline(ctx.selected)
    windows = stats.time_windows(head.first, head.last, step) if head.first else []
    player = st.columns([1, 1, 2, 2])
    player[0].toggle("Time window", key=ui.Key.ANIMATE, help="Show one week or month at a time; press Play or drag the window slider.")
    mode = "window"
    if st.session_state.get(ui.Key.ANIMATE) and windows:
        playing = st.session_state.get(ui.Key.PLAYING, False)
        player[1].button("⏸ Pause" if playing else "▶ Play", on_click=_toggle_play, args=(len(windows),), key=ui.Key.PLAY)
        mode = player[2].segmented_control("Each frame shows", list(stats.PLAYBACK_MODES), default="window", key=ui.Key.PLAY_MODE,
                                           help="; ".join(f"{m}: {text}" for m, text in stats.PLAYBACK_MODES.items())) or "window"
    aggregate = player[3].toggle("Grid cells", key=ui.Key.AGGREGATE,
                                 help=f"Count the events in grid cells instead of drawing each one (always above {layers.WEBGL_LIMIT:,}).")
    st.session_state[ui.Key.TICKED] = False
    view = dict(shade=shade, heat=heat, tiles=tiles, whole=whole, windows=windows, aggregate=aggregate, mode=mode)
    st.fragment(_draw_map, run_every=PLAY_INTERVAL if st.session_state.get(ui.Key.PLAYING) else None)(ctx, view)


def _toggle_play(frames: int) -> None:
    st.session_state[ui.Key.PLAYING] = not st.session_state.get(ui.Key.PLAYING, False)
    if st.session_state[ui.Key.PLAYING] and st.session_state.get(ui.Key.FRAME, 0) >= frames - 1:
        st.session_state[ui.Key.FRAME] = 0


def _advance(frames: int) -> None:
    """One tick of the player: the next window; at the last one, stop (full rerun ends the timer)."""
    frame = st.session_state.get(ui.Key.FRAME, 0)
    if frame + 1 < frames:
        st.session_state[ui.Key.FRAME] = frame + 1
    else:
        st.session_state[ui.Key.PLAYING] = False
        st.rerun(scope="app")


def _frame(ctx: ui.Context, windows: list, mode: str) -> tuple:
    """The events the map shows and the player's frame label (all filtered events and None while
    the player is off); one tick of the player first when it plays."""
    if not (st.session_state.get(ui.Key.ANIMATE) and windows):
        return ctx.selected, None
    if st.session_state.get(ui.Key.PLAYING) and st.session_state.get(ui.Key.TICKED):
        _advance(len(windows))
    st.session_state[ui.Key.TICKED] = True
    st.session_state[ui.Key.FRAME] = min(st.session_state.get(ui.Key.FRAME, 0), len(windows) - 1)
    frame = st.slider("Window", 0, len(windows) - 1, key=ui.Key.FRAME, label_visibility="collapsed")
    shown = stats.frame_events(ctx.selected, windows[frame], mode)
    cumulative = mode == "cumulative"
    label = (f"{'Up to window' if cumulative else 'Window'} {frame + 1} of {len(windows)}: "
             f"{windows[0 if cumulative else frame][0]} → {windows[frame][1]} · {len(shown):,} of {len(ctx.selected):,} events"
             f" · fatalities {stats.headline(shown).fatalities_text()}")
    return shown, label


def _draw_map(ctx: ui.Context, view: dict) -> None:
    shown, frame_label = _frame(ctx, view["windows"], view["mode"])
    caption = "" if frame_label else f"All {len(ctx.selected):,} filtered events."
    data = ctx.data
    (south, west), (north, east) = stats.all_bounds(data.events) if view["whole"] else stats.view_bounds(data.events, data.regions)
    many = view["aggregate"] or len(shown) > layers.WEBGL_LIMIT  # grid cells; single incidents again once the visible area holds few enough
    drawn = layers.in_view(shown, (st.session_state.get(ui.Key.MAP) or {}).get("bounds")) if many else shown
    if len(drawn) < len(shown):
        caption += f" Drawn one by one: the {len(drawn):,} in the visible area."
    elif many:
        why = "as chosen" if view["aggregate"] else f"more than {layers.WEBGL_LIMIT:,}"
        caption += f" Grouped in grid cells ({why}): zoom in or filter to see single incidents."
    if data.border.empty:  # a single-country geography cannot tell land borders from coast: say so
        caption += f" {describe_borders()}"
    if caption:
        st.caption(caption.strip())
    shade = view["shade"]
    counts = None if shade == "none" else stats.region_summary(shown, data.regions).set_index("region_id")[shade]
    groups = [
        layers.region_layer(ui.display_regions(data), counts, shade if shade != "none" else "events"),
        layers.border_layer(data.border),
        *([layers.area_layer(ctx.spec.area)] if ctx.spec.area else []),
        layers.incident_layer(drawn, aggregate=many and len(drawn) == len(shown)),
    ]
    if view["heat"]:
        groups.append(layers.heat_layer(shown))
    groups.append(layers.snapshot_layer(ui.APP_TITLE, ctx.spec.describe() + (f"; {frame_label}" if frame_label else ""), len(shown)))
    result = st_folium(
        layers.add_draw_control(layers.base_map((west, south, east, north), tiles=view["tiles"], countries=load_countries())), feature_group_to_add=groups,
        layer_control=folium.LayerControl(collapsed=False),
        returned_objects=["last_object_clicked_tooltip", "last_active_drawing"] + (["bounds"] if many else []),
        key=ui.Key.MAP, height=620, use_container_width=True,
    )
    if frame_label:
        st.caption(frame_label)
    ui.take_drawn_area((result or {}).get("last_active_drawing"))
    _details(ctx, layers.event_id_from_tooltip((result or {}).get("last_object_clicked_tooltip"), drawn))


def _details(ctx: ui.Context, event_id: str | None) -> None:
    st.subheader("Incident details")
    here = stats.colocated(ctx.selected, event_id) if event_id else ctx.selected.iloc[0:0]
    if len(here) > 1:
        labels = stats.event_labels(here)
        event_id = st.selectbox(f"{len(here)} filtered events share this point (their markers lie on top of each other)",
                                list(labels), format_func=labels.get, key=f"{ui.Key.STACK}{event_id}")
    record = stats.event_details(ctx.data.events, event_id) if event_id else None
    if record is None:
        st.caption("Click an incident on the map to see its full record and source here.")
        return
    st.html(layers.details_html(record))
    url = record["Source URL"]
    if schema.is_web_url(url):
        st.link_button("Open the source", url)


map_page(ui.frame("Map"))
ui.credits()
