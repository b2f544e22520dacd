"""Entry page: the map of incidents over regions and the border lines, with a time player and a
details panel for the clicked incident.

Run with ``streamlit run app.py``; choose another events file with ``MAPDATA_EVENTS=...``.
"""

from functools import partial

import altair as alt
import folium
import streamlit as st
from streamlit_folium import st_folium

import ui
from mapdata import assets, layers, schema, stats
from mapdata.geo import describe_borders
from mapdata.selection import Selection

PLAY_INTERVAL = "1.5s"
BRUSH = "brush"  # name of the timeline's interval selection
TABLE_LIMIT = 5_000  # rows of the events table under the map (each rerun sends them to the browser)
PICK_ZOOM = 11  # zoom of the map centred on an incident picked in the table


def map_page(ctx: ui.Context) -> None:
    """The map: controls, the player, the folium map and the details of the clicked incident."""
    if not all(path.exists() for path in assets.asset_files()):
        st.error("The map's JavaScript files are missing. Run `python -m mapdata assets` once (it fetches Leaflet "
                 "from the npm registry into static/vendor/), then reload.")
        return
    assets.use_local_assets()
    bar = st.columns([1, 1.3, 1.1, 4], vertical_alignment="center")
    with bar[0].popover("Map view", icon=":material/tune:", help="Region shading, heat map, base map, grid cells, first view, compare mode"):
        shade = st.segmented_control("Shade regions by", ["events", "fatalities", "none"], default="events",
                                     key=ui.Key.SHADE, bind="query-params") or "none"
        heat = st.toggle("Heat map", key=ui.Key.HEAT, help="Density of the filtered events, on top of the markers.")
        tiles = st.toggle("OSM tiles", key=ui.Key.TILES, help="OpenStreetMap tiles; needs internet. Off: no base map, works offline.")
        aggregate = st.toggle("Grid cells", key=ui.Key.AGGREGATE,
                              help=f"Count the events in grid cells instead of drawing each one (always above {layers.WEBGL_LIMIT:,}).")
        whole = st.toggle("Fit all events", key=ui.Key.FIT_ALL,
                          help="The first view fits the events inside the geography; events far outside it still count.")
        compared = ui.comparison(ctx, st)
    bar[1].toggle("Time window", key=ui.Key.ANIMATE, help="Show one week or month at a time; press Play or drag the window slider.")
    step = bar[2].segmented_control("Play through time by", ["week", "month"], default="month", key=ui.Key.PLAY_STEP,
                                    label_visibility="collapsed") or "month"

    head = ctx.selected.headline()
    windows = stats.time_windows(head.first, head.last, step) if head.first else []
    mode = "window"
    if st.session_state.get(ui.Key.ANIMATE) and windows:
        player = bar[3].columns([1, 2], vertical_alignment="center")
        playing = st.session_state.get(ui.Key.PLAYING, False)
        player[0].button("⏸ Pause" if playing else "▶ Play", on_click=_toggle_play, args=(len(windows),), key=ui.Key.PLAY)
        mode = player[1].segmented_control("Each frame shows", list(stats.PLAYBACK_MODES), default="window", key=ui.Key.PLAY_MODE,
                                           help="; ".join(f"{m}: {text}" for m, text in stats.PLAYBACK_MODES.items()),
                                           label_visibility="collapsed") or "window"
    st.session_state[ui.Key.TICKED] = False
    view = dict(shade=shade, heat=heat, tiles=tiles, whole=whole, windows=windows, aggregate=aggregate, mode=mode, step=step,
                compared=compared)
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
    """The selection the map shows and the player's frame label (all filtered events and None while
    the player is off); one tick of the player first when it plays."""
    if not (st.session_state.get(ui.Key.ANIMATE) and windows):
        return ctx.selected, None
    if st.session_state.get(ui.Key.PLAYING) and st.session_state.get(ui.Key.TICKED):
        _advance(len(windows))
    st.session_state[ui.Key.TICKED] = True
    st.session_state[ui.Key.FRAME] = min(st.session_state.get(ui.Key.FRAME, 0), len(windows) - 1)
    frame = st.slider("Window", 0, len(windows) - 1, key=ui.Key.FRAME, label_visibility="collapsed")
    cumulative = mode == "cumulative"
    shown = ctx.selected.window((None if cumulative else windows[frame][0], windows[frame][1]))
    label = (f"{'Up to window' if cumulative else 'Window'} {frame + 1} of {len(windows)}: "
             f"{windows[0 if cumulative else frame][0]} → {windows[frame][1]} · {shown.count:,} of {ctx.selected.count:,} events"
             f" · fatalities {shown.headline().fatalities_text()}")
    return shown, label


def _draw_map(ctx: ui.Context, view: dict) -> None:
    if st.session_state.pop(ui.Key.BRUSHED, False):
        st.rerun(scope="app")  # a drag on the timeline changed the date range: sidebar, URL, headline follow
    shown, frame_label = _frame(ctx, view["windows"], view["mode"])
    caption = ""
    data = ctx.data
    (south, west), (north, east) = data.bounds(view["whole"])
    many = view["aggregate"] or shown.count > shown.marker_limit  # grid cells; single incidents again once the visible area holds few enough
    drawn = shown.in_view((st.session_state.get(ui.Key.MAP) or {}).get("bounds")) if many else shown.rows()
    if many and drawn is not None:
        caption += f" Drawn one by one: the {len(drawn):,} in the visible area."
    elif many:
        why = "as chosen" if view["aggregate"] else f"more than {shown.marker_limit:,}"
        caption += f" Grouped in grid cells ({why}): zoom in or filter to see single incidents."
    if data.border.empty:  # a single-country geography cannot tell land borders from coast: say so
        caption += f" {describe_borders(ctx.geography.metadata)}"
    shade = view["shade"]
    counts = None if shade == "none" else shown.region_summary().set_index("region_id")[shade]
    compared = view["compared"]
    groups = [
        layers.change_layer(ui.display_regions(data), compared.table, compared.periods.describe()) if compared else
        layers.region_layer(ui.display_regions(data), counts, shade if shade != "none" else "events"),
        *([] if data.border.empty else [layers.border_layer(data.border)]),  # no empty "Border lines" toggle
        *([layers.area_layer(ctx.spec.area)] if ctx.spec.area else []),
        layers.incident_layer(drawn) if drawn is not None else layers.grid_layer(shown.grid_cells()),
    ]
    heat = shown.heat_rows() if view["heat"] else None
    if heat is not None:
        groups.append(layers.heat_layer(heat))
    elif view["heat"]:
        caption += f" The heat map needs single incidents: filter to {shown.marker_limit:,} or fewer."
    groups.append(layers.snapshot_layer(ui.APP_TITLE, ctx.spec.describe() + (f"; {frame_label}" if frame_label else ""), shown.count,
                                        geo_meta=ctx.geography.metadata))
    centre = st.session_state.get(ui.Key.CENTRE)
    result = st_folium(
        layers.add_draw_control(layers.base_map((west, south, east, north), tiles=view["tiles"], countries=ctx.geography.countries,
                                              geo_meta=ctx.geography.metadata)), feature_group_to_add=groups,
        layer_control=folium.LayerControl(collapsed=False),
        returned_objects=["last_object_clicked_tooltip", "last_active_drawing"] + (["bounds"] if many else []),
        key=ui.Key.MAP, height=620, use_container_width=True, center=centre, zoom=PICK_ZOOM if centre else None,
    )
    if frame_label:
        st.caption(frame_label)
    st.caption(" ".join(filter(None, [shown.map_summary(), caption.strip(), "Every incident is also in the table below the map."])))
    ui.take_drawn_area((result or {}).get("last_active_drawing"))
    _timeline(ctx, view["step"])
    if compared:
        ui.comparison_table(compared)
    _note_map_click(layers.event_id_from_tooltip((result or {}).get("last_object_clicked_tooltip"), drawn))
    _details(ctx, st.session_state.get(ui.Key.PICKED))
    _event_table(shown)


def _note_map_click(event_id: str | None) -> None:
    """A new click on a marker opens that incident (the map stays where the reader left it)."""
    if event_id and event_id != st.session_state.get(ui.Key.LAST_CLICK):
        st.session_state[ui.Key.PICKED] = event_id
        st.session_state[ui.Key.CENTRE] = None
    st.session_state[ui.Key.LAST_CLICK] = event_id


def _event_table(shown: Selection) -> None:
    """Every incident on the map as a table row: the keyboard and screen-reader path to each record.
    Selecting a row (arrow keys, then Shift+Space, or a click on its checkbox) opens the same record
    as a click on its marker and centres the map on it."""
    st.subheader("Incidents on the map")
    st.caption("Select a row to open its record above and centre the map on it. Keyboard: Tab into the table, "
               "arrow keys to a row, Shift+Space to select it.")
    table = shown.newest(TABLE_LIMIT)
    if len(table) < shown.count:
        st.caption(f"The newest {len(table):,} of {shown.count:,}: filter to reach the others.")
    st.session_state[ui.Key.EVENT_ORDER] = list(table["event"])
    st.dataframe(table, hide_index=True, width="stretch", height=280, key=ui.Key.EVENT_TABLE,
                 on_select=_pick_from_table, selection_mode="single-row")


def _pick_from_table() -> None:
    rows = st.session_state[ui.Key.EVENT_TABLE].selection.rows
    if rows:
        event_id = st.session_state[ui.Key.EVENT_ORDER][rows[0]]
        st.session_state[ui.Key.PICKED] = event_id
        st.session_state[ui.Key.CENTRE] = _event_point(event_id)


def _event_point(event_id: str) -> tuple[float, float] | None:
    row = ui.dataset().event(event_id)
    return None if row.empty else (float(row.iloc[0]["latitude"]), float(row.iloc[0]["longitude"]))


def _timeline(ctx: ui.Context, step: str) -> None:
    """Events per week or month of the current filter at every date, stacked by type; the selected
    period is drawn solid, the rest faded. Dragging across it sets the date range (sidebar and URL
    follow). The numbers are one click away as a table (a text alternative to the chart)."""
    series = ctx.selected.timeline(step, all_dates=True)
    if series.empty:
        return
    inside = stats.timeline_in_period(series, ctx.spec.date_from, ctx.spec.date_to)
    types = [t for t in layers.TYPE_COLOURS if t in set(series["event_type"])]
    brush = alt.selection_interval(encodings=["x"], name=BRUSH)
    chart = (
        alt.Chart(series.assign(selected=inside.map({True: "selected period", False: "outside"})))
        .mark_bar()
        .transform_filter(alt.datum.events > 0)
        .encode(
            x=alt.X("period:T", title=None), x2="end:T", y=alt.Y("events:Q", title=f"per {step}", stack="zero"),
            color=alt.Color("event_type:N", title="Event type", scale=alt.Scale(domain=types, range=[layers.TYPE_COLOURS[t] for t in types]),
                            legend=alt.Legend(orient="right")),
            opacity=alt.condition(alt.datum.selected == "selected period", alt.value(1.0), alt.value(0.3)),
            tooltip=[alt.Tooltip("period:T", title="from"), alt.Tooltip("end:T", title="to"), "event_type:N", "events:Q"],
        )
        .add_params(brush)
        # drawn on a canvas: an SVG chart's marks and brush would be unlabelled images to a screen
        # reader; the table below is the chart's text alternative
        .properties(height=180, usermeta={"embedOptions": {"renderer": "canvas"}})
    )
    st.altair_chart(chart, on_select=partial(_brushed, step), selection_mode=BRUSH, key=ui.Key.BRUSH, width="stretch")
    with st.expander(f"The timeline's numbers as a table (events per {step} and type)"):
        st.dataframe(stats.timeline_table(series), hide_index=True, width="stretch")


def _brushed(step: str) -> None:
    """A drag across the timeline: the bins it touches become the date range; the map's fragment
    then reruns the whole page, so the sidebar and the URL follow."""
    span = (st.session_state[ui.Key.BRUSH].selection.get(BRUSH) or {}).get("period")
    choice = ui.dataset().options
    if not span or choice.first is None or choice.first == choice.last:
        return
    start, end = stats.bin_span(*span, step)
    start, end = max(start, choice.first), min(end, choice.last)
    st.session_state[ui.Key.DATES] = (min(start, end), max(start, end))
    st.session_state[ui.Key.BRUSHED] = True


def _details(ctx: ui.Context, event_id: str | None) -> None:
    st.subheader("Incident details")
    here = ctx.selected.colocated(event_id) if event_id else ()
    if len(here) > 1:
        labels = stats.event_labels(here)
        event_id = st.selectbox(f"{len(here)} filtered events share this point (their markers lie on top of each other)",
                                list(labels), format_func=labels.get, key=f"{ui.Key.STACK}{event_id}")
    record = stats.event_details(ctx.data.event(event_id), event_id) if event_id else None
    if record is None:
        st.caption("Click an incident on the map, or select it in the table below, to see its full record and source here.")
        return
    st.html(layers.details_html(record))
    url = record["Source URL"]
    if schema.is_web_url(url):
        st.link_button("Open the source", url)


map_page(ui.frame("Map"))
ui.credits()
