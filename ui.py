"""Page furniture shared by every page: page config, navigation, cached data, the sidebar
filters, the headline and the credits. Every page starts with ``ctx = ui.frame()`` and ends with
``ui.credits()``. Not a page itself (it lives beside app.py, outside pages/).

The filter lives in the URL in the library's FilterSpec format, so it survives page switches and a
copied link reproduces the view.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st

from mapdata import Dataset, FilterSpec, MapdataError, compare, config, layers, resolve_regions, schema, stats
from mapdata.area import area_from_geojson, area_words
from mapdata.filters import FIELDS, VIEW_KEYS, FilterField
from mapdata.dataset import merge_datasets, rejoin
from mapdata.selection import DatasetSource, EventSource, Selection, open_source
from mapdata.config import get as setting
from mapdata.credits import EVENTS, GEONAMES, boundaries
from mapdata.rejections import rejected_rows
from mapdata.geo import Geography

APP_TITLE = "Conflict-incident map"
FAVICON = Path(__file__).parent / "static" / "favicon.png"
STYLES = Path(__file__).parent / "static" / "app.css"
"""The app's page styles: compact top band, visible focus, reduced motion."""


class Key:
    """Every session-state key of the app, declared once: the pages use these names, never bare strings.

    The sidebar's filter widgets are keyed by :func:`filter_key` (``f_`` + the field's URL key).
    """

    SPEC = "_spec"  # the filter of the last run (restored after a page switch)
    PAGE = "_page"  # the page of the last run (a page switch gives every widget a new id)
    SIDEBAR = "_sidebar"  # the sidebar widgets' values of the last run, restored after a page switch
    IN_MEMORY = "_in_memory"  # the imported (or merged) dataset of the session and its event source
    UPLOAD, SOURCE, MERGED, MERGED_FROM = "_upload", "_source", "_merged", "_merged_from"
    DATES, EXACT_ONLY = "f_date", "f_exact_only"
    SHADE, BIN, COMPARE, PERIOD_B = VIEW_KEYS  # bound to the URL: view settings, not filters
    B_CHOICE, COMPARE_CSV = "b_choice", "compare_csv"
    HEAT, TILES, FIT_ALL, AGGREGATE, PLAY_STEP = "heat", "tiles", "fit_all", "aggregate", "play_step"
    ANIMATE, PLAYING, PLAY, PLAY_MODE, FRAME, TICKED, MAP = "animate", "playing", "play", "play_mode", "frame", "_ticked", "map"
    DRAWN, CLEAR_AREA = "_drawn", "clear_area"  # the map's last drawn shape (taken once), the sidebar's button
    STACK = "stack_"  # + the clicked event id: the picker of events stacked at one point
    EVENT_TABLE, EVENT_ORDER, PICKED, LAST_CLICK, CENTRE = "event_table", "_event_order", "_picked", "_last_click", "_centre"
    BRUSH, BRUSHED = "timeline_brush", "_brushed"
    REGION_TABLE, REGION_ORDER, REGION_SHADE, REGIONS_MAP = "region_table", "_region_order", "region_shade", "regions_map"
    DOWNLOAD = "download_"  # + the export format
    IMPORT_FILE, IMPORT_FORMAT, IMPORT_MAPPING, DATA_SOURCE = "import_file", "import_format", "import_mapping", "data_source"
    IMPORT_DATE_FORMAT, IMPORT_SHEET = "import_date_format", "import_sheet"
    IMPORT_GAZETTEERS, IMPORT_NOTES = "import_gazetteers", "import_notes"
    GEOGRAPHY, GEO_BUILD, GEO_FILES, REJOINED = "_geography", "_geo_build", "geo_files", "_rejoined"
    NEW_GEOGRAPHY = "_new_geography"  # set when the geography changed: the next run clears the region filter
    GEO_OPTION = "geo_option_"  # + a field of mapdata.boundaries.Options: what the boundary files do not say


def filter_key(name: str) -> str:
    """The session-state key of the sidebar widget of filter field ``name`` (the date range's
    two fields share one slider)."""
    field = _FIELD[name]
    return Key.DATES if field.widget in ("dates", "dates_end") else f"f_{field.key}"


_FIELD = {f.name: f for f in FIELDS}


@dataclass(frozen=True)
class Context:
    """What every page works on: the events (in memory or a store), the filter, and what it keeps
    (:class:`mapdata.selection.Selection`: the headline, timeline, region table and rows)."""

    data: EventSource
    spec: FilterSpec
    selected: Selection

    @property
    def geography(self) -> Geography:
        """The geography the page works on: the session's uploaded one, else the shipped one."""
        return self.data.geography


PAGES = (
    ("app.py", "Map", ":material/map:"),
    ("pages/1_Timeline.py", "Timeline", ":material/bar_chart:"),
    ("pages/2_Regions.py", "Regions", ":material/grid_view:"),
    ("pages/3_Data_and_export.py", "Data & export", ":material/download:"),
    ("pages/4_Sources_and_method.py", "Sources & method", ":material/menu_book:"),
    ("pages/5_Import.py", "Import your data", ":material/upload_file:"),
)
"""The app's pages in menu order: script, title, icon. (Streamlit's own page list is hidden in
.streamlit/config.toml so that the entry page is called "Map", not "app".)"""


def frame(title: str) -> Context:
    """Draw the shared furniture (navigation, sidebar filters, headline); return the page's context."""
    st.set_page_config(page_title=f"{title} · {APP_TITLE}", page_icon=str(FAVICON), layout="wide")
    st.html(STYLES)
    menu = st.sidebar.container()
    data = dataset()
    _keep_widgets_across_pages(title)
    _forget_regions()
    _sync_widgets_with_url(data)
    spec = sidebar_filters(data)
    _remember_widgets()
    _write_url(spec)
    for script, label, icon in PAGES:
        menu.page_link(script, label=label, icon=icon)
    selected = filtered(data, spec)
    headline(data, selected, spec)
    return Context(data, spec, selected)


@st.cache_resource(show_spinner="Loading, validating and joining events…")
def _source(path: str, mtime: float, geography: tuple) -> EventSource:
    return open_source(Path(path))


@st.cache_resource(show_spinner=False, max_entries=4)
def _display_regions(_regions: gpd.GeoDataFrame, version: tuple) -> gpd.GeoDataFrame:
    return layers.display_regions(_regions)


def display_regions(data: EventSource) -> gpd.GeoDataFrame:
    """The dataset's regions with outlines ready for the map, computed once per geography folder
    and regions file rather than on every rerun. Read-only: shared by all sessions."""
    path = data.geography.folder / "regions.geojson"
    mtime = path.stat().st_mtime if path.exists() else 0.0
    return _display_regions(data.regions, (str(path), mtime, tuple(data.regions["region_id"])))


def geography() -> Geography:
    """The geography this browser session works on: one built from boundary files uploaded on the
    Import page, else the shipped one (the ``GEO_DIR`` setting's, that the app's events are joined to)."""
    return st.session_state.get(Key.GEOGRAPHY) or embedded().geography


def use_geography(built: Geography | None) -> None:
    """Make ``built`` this session's geography (None: the shipped one again). Every page then joins
    the session's events to it; the region filter, whose names belong to the old geography, is cleared."""
    st.session_state[Key.GEOGRAPHY] = built
    st.session_state[Key.REJOINED] = {}
    st.session_state[Key.NEW_GEOGRAPHY] = True


def _forget_regions() -> None:
    """After the session's geography changed: the region filter is cleared in the widget, the
    remembered sidebar, the session's filter and the URL (its names belong to the old geography)."""
    if not st.session_state.pop(Key.NEW_GEOGRAPHY, False):
        return
    key = filter_key("regions")
    st.session_state[key] = []
    st.session_state.get(Key.SIDEBAR, {}).pop(key, None)
    last = st.session_state.get(Key.SPEC)
    if last is not None:
        st.session_state[Key.SPEC] = replace(last, regions=())
    st.query_params.pop(_FIELD["regions"].key, None)


def _on_geography(data: Dataset, geo: Geography) -> Dataset:
    """``data`` joined to ``geo``: itself when it already is, else joined afresh once per session
    (kept until the session's geography changes again)."""
    if data.geography is geo:
        return data
    held = st.session_state.setdefault(Key.REJOINED, {})
    known = held.get(id(data))
    if known is None or known[0] is not data or known[1].geography is not geo:
        known = held[id(data)] = (data, rejoin(data, geo))
    return known[1]


SOURCES = {"embedded": "The app's events only", "upload": "My file only", "merged": "My file merged with the app's events"}
"""What the pages show once a file was imported on the Import page (per browser session)."""


def embedded() -> EventSource:
    """The events file or store chosen with MAPDATA_EVENTS (default data/events.csv), a file joined
    to the geography of MAPDATA_GEO_DIR; cached per version of both (shared by every session)."""
    path, regions = Path(setting("EVENTS")), setting("GEO_DIR") / "regions.geojson"
    try:
        return _source(str(path), path.stat().st_mtime, (str(regions), regions.stat().st_mtime if regions.exists() else 0.0))
    except (MapdataError, OSError) as exc:
        st.error(f"Could not load the events: {exc}")
        st.stop()


def dataset() -> EventSource:
    """The events this browser session explores: the app's events, an imported file, or both
    (merging loads a store's events into memory).

    An import lives in this session's state only: no other visitor sees it and nothing is written
    to disk. Both are joined to the session's :func:`geography`.
    """
    geo = geography()
    upload = st.session_state.get(Key.UPLOAD)
    source = st.session_state.get(Key.SOURCE, "embedded")
    if upload is None or source == "embedded":
        shipped = embedded()
        return shipped if shipped.geography is geo else _in_memory(_on_geography(shipped.dataset(), geo))
    upload = _on_geography(upload, geo)
    if source == "upload":
        return _in_memory(upload)
    if st.session_state.get(Key.MERGED_FROM) is not upload:
        st.session_state[Key.MERGED] = merge_datasets(_on_geography(embedded().dataset(), geo), upload)
        st.session_state[Key.MERGED_FROM] = upload
    return _in_memory(st.session_state[Key.MERGED])


def event_files() -> tuple[bool, list[str]]:
    """Whether the session's events include the embedded dataset, and the names of the other files among them."""
    configured = Path(setting("EVENTS"))
    shipped = configured.resolve() == config.SHIPPED_EVENTS.resolve()
    source = st.session_state.get(Key.SOURCE, "embedded") if st.session_state.get(Key.UPLOAD) is not None else "embedded"
    files = [] if shipped or source == "upload" else [configured.name]
    if source != "embedded":
        files.append(st.session_state[Key.UPLOAD].name)
    return shipped and source != "upload", files


def _in_memory(data: Dataset) -> EventSource:
    """The session's event source of an imported or merged dataset, made once per dataset (it
    keeps its filter choices)."""
    memo = st.session_state.get(Key.IN_MEMORY)
    if memo is None or memo[0] is not data:
        memo = st.session_state[Key.IN_MEMORY] = (data, DatasetSource(data))
    return memo[1]


# The filter lives in the URL in the library's own format (FilterSpec.to_query, one key per field of
# mapdata.filters.FIELDS), the same a CLI user would read. Widgets are not bound to the URL
# directly: each run reconciles the two.
_WIDGETS = tuple(dict.fromkeys(filter_key(f.name) for f in FIELDS)) + (Key.EXACT_ONLY,)
_URL_KEYS = tuple(f.key for f in FIELDS)


def _keep_widgets_across_pages(page: str) -> None:
    """Give every sidebar widget, on the page being opened, the value it had on the last page.

    A page switch starts a run without the old page's widget values (Streamlit gives a widget on
    another page a new id and the browser sends none for it), so a widget came back at its
    default: an empty "Location precision", a switched-off "Hide region-only locations". The
    values are copied under :attr:`Key.SIDEBAR` at the end of every run and restored here.
    """
    if st.session_state.get(Key.PAGE) != page:
        for key, value in st.session_state.get(Key.SIDEBAR, {}).items():
            st.session_state[key] = value
    st.session_state[Key.PAGE] = page


def _remember_widgets() -> None:
    st.session_state[Key.SIDEBAR] = {key: st.session_state[key] for key in _WIDGETS if key in st.session_state}


def _spec_from_url() -> FilterSpec:
    query = {key: st.query_params.get_all(key) for key in _URL_KEYS if key in st.query_params}
    try:
        return FilterSpec.from_query(query)
    except MapdataError as exc:
        st.sidebar.warning(f"The link's filter could not be used: {exc}")
        return FilterSpec()


def _sync_widgets_with_url(data: EventSource) -> None:
    """Give the widgets the filter they should show before they are drawn.

    A page switch (Streamlit drops the query string on it): the widgets got their values back
    (:func:`_keep_widgets_across_pages`); lost widgets get the session's filter back. The URL
    changed since the last run (a pasted link, back/forward): the URL wins. Otherwise the widgets
    hold the user's latest choice and are left alone. "Reset filters" clears.
    """
    url_spec, last = _spec_from_url(), st.session_state.get(Key.SPEC)
    url_has_filter = any(key in st.query_params for key in _URL_KEYS)
    lost = any(key not in st.session_state for key in _WIDGETS)
    if last is not None and not last.is_empty and not url_has_filter:
        if lost:
            _set_widgets(last, data)
    elif last is None or url_spec != last:
        _set_widgets(url_spec, data)
    elif lost:
        _set_widgets(last, data)


def _set_widgets(spec: FilterSpec, data: EventSource) -> None:
    """Give every sidebar widget the value that shows ``spec`` (choices the data lacks are left out)."""
    choice = data.options
    for field in FIELDS:
        value, key = getattr(spec, field.name), filter_key(field.name)
        if field.widget == "dates":
            if choice.first is not None and choice.first != choice.last:
                first, last = choice.first, choice.last
                start = min(max(spec.date_from or first, first), last)
                end = max(min(spec.date_to or last, last), first)
                st.session_state[key] = (start, max(start, end))
        elif field.name == "regions":
            st.session_state[key] = _region_names(value, data)
        elif field.widget == "choices":
            offered = choice.choices[field.name]
            st.session_state[key] = [v for v in value if v in offered] or list(field.blank or ())
        elif field.widget == "number":
            st.session_state[key] = field.blank if value is None else value
        elif field.widget == "area":
            st.session_state[key] = value
        elif field.widget == "text":
            st.session_state[key] = value or ""
    st.session_state[Key.EXACT_ONLY] = False


def _write_url(spec: FilterSpec) -> None:
    """Put the filter into the URL (and remember it), so a copied link reproduces the view."""
    st.session_state[Key.SPEC] = spec
    query = spec.to_query()
    for key in _URL_KEYS:
        if key in query:
            if st.query_params.get_all(key) != query[key]:
                st.query_params[key] = query[key]
        elif key in st.query_params:
            del st.query_params[key]


def _region_names(names: tuple[str, ...], data: EventSource) -> list[str]:
    """English region names for names given in a link (English or alternative names, or ids)."""
    by_id = dict(zip(data.regions["region_id"], data.regions["name_en"]))
    chosen: list[str] = []
    for name in names:
        try:
            chosen += [by_id[rid] for rid in resolve_regions([name], data.regions)]
        except MapdataError as exc:
            st.sidebar.warning(f"Region filter from the link: {exc}")
    return list(dict.fromkeys(chosen))


def sidebar_filters(data: EventSource) -> FilterSpec:
    """Draw one widget per filter field in the sidebar and return the FilterSpec they describe."""
    bar = st.sidebar
    bar.header("Filters")
    choice = data.options
    values: dict = {}
    for field in FIELDS:
        if field.widget == "dates":
            values.update(_date_range(bar, field, choice))
        elif field.widget == "choices":
            offered = choice.choices[field.name]
            chosen = bar.multiselect(field.label, options=list(offered), format_func=lambda v, o=offered: o.get(v, v),
                                     key=filter_key(field.name), placeholder=field.placeholder, help=field.tip)
            values[field.name] = _precisions(bar, field, chosen) if field.name == "precisions" else tuple(chosen)
        elif field.widget == "text":
            text = bar.text_input(field.label, key=filter_key(field.name), placeholder=field.placeholder, help=field.tip)
            values[field.name] = " ".join(text.split()) or None
        elif field.widget == "number":
            whole = isinstance(field.step, int)
            number = bar.number_input(field.label, min_value=0 if whole else 0.0, step=field.step, key=filter_key(field.name),
                                      help=field.tip, placeholder=field.placeholder)
            values[field.name] = None if number is None or number == field.blank else (int(number) if whole else float(number))
        elif field.widget == "area":
            values[field.name] = _area(bar, field)
    bar.button("Reset filters", width="stretch", on_click=_set_widgets, args=(FilterSpec(), data))
    return FilterSpec(**values)


def _date_range(bar, field: FilterField, choice: stats.FilterOptions) -> dict:
    """The date slider (both ends of the range); nothing when the data has one day or none."""
    first, last = choice.first, choice.last
    if first is not None and first == last:
        bar.caption(f"All events are dated {first}.")
    elif first is not None:
        chosen = bar.slider(field.label, min_value=first, max_value=last, format="YYYY-MM-DD", key=Key.DATES, help=field.tip)
        if tuple(chosen) != (first, last):
            return {"date_from": chosen[0], "date_to": chosen[1]}
    return {}


def _area(bar, field: FilterField):
    """The area drawn on the map (kept in session state, not a widget): said, with a button that clears it."""
    area = st.session_state.get(filter_key(field.name))
    if area:
        bar.caption(f"**{field.label}:** {area_words(area, corners=False)}")
        bar.button("Clear area", key=Key.CLEAR_AREA, on_click=_clear_area, args=(field,))
    else:
        bar.caption(f"**{field.label}:** {field.tip}")
    return area


def _clear_area(field: FilterField) -> None:
    st.session_state[filter_key(field.name)] = None


def take_drawn_area(drawing: dict | None) -> None:
    """Make a shape just drawn on the map the area filter (then rerun the whole app with it).

    streamlit-folium returns the last drawing on every later run too, so a drawing is taken once:
    after "Clear area" the same shape does not come back. It also reports a clicked marker or
    region as a drawing; those are not areas.
    """
    if not layers.is_drawn_area(drawing) or drawing == st.session_state.get(Key.DRAWN):
        return
    st.session_state[Key.DRAWN] = drawing
    try:
        area = area_from_geojson(drawing)
    except ValueError as exc:
        st.warning(f"The drawn shape cannot filter: {exc}")
        return
    st.session_state[filter_key("area")] = area
    st.rerun(scope="app")


def _precisions(bar, field: FilterField, chosen: list[int]) -> tuple[int, ...]:
    """The levels kept: the chosen ones, less region-only points when the toggle hides them."""
    hide_region_only = bar.toggle("Hide region-only locations", key=Key.EXACT_ONLY,
                                  help="Drop precision-3 points: they mark a district, not an incident site.")
    levels = list(field.blank)
    kept = tuple(p for p in chosen if not (hide_region_only and p == 3))
    if not kept:
        bar.warning("No precision level is chosen, so every level is shown. Pick at least one.")
        kept = tuple(levels)
    return () if set(kept) == set(levels) else tuple(sorted(kept))


def filtered(data: EventSource, spec: FilterSpec) -> Selection:
    """What the spec keeps (library call; shown as an error if the spec cannot apply)."""
    try:
        selected = data.select(spec)
        selected.headline()  # a store runs its first query here
        return selected
    except MapdataError as exc:
        st.error(f"Filter could not be applied: {exc}")
        st.stop()


def headline(data: EventSource, selected: Selection, spec: FilterSpec) -> None:
    """Title, headline numbers and the active filters, always visible, in one compact band (so
    the Map page's map starts near the top of a 900 px window)."""
    cols = st.columns([1.8, 0.5, 0.6, 1.5, 1.1], vertical_alignment="bottom")
    cols[0].title(APP_TITLE)
    head = selected.headline()
    cols[1].metric("Events", f"{head.events:,}", help=f"of {data.total:,} in {data.name}")
    cols[2].metric("Fatalities", f"≥ {head.fatalities_at_least:,}", help=head.fatalities_text()
                   + ". Sums undercount multi-site episodes whose per-site figures are unknown.")
    span = f"{head.first:%d %b %Y} – {head.last:%d %b %Y}" if head.first else "—"
    cols[3].metric("Date span", span)
    cols[4].metric("Region-only locations", f"{head.region_only:,}", help=schema.GEO_PRECISION_LABELS[3])
    st.caption(f"**Active filters:** {spec.describe()}. **Fatalities:** {head.fatalities_text()}"
               + (f" · {head.windows:,} events dated only to a window longer than a month (inside a period when "
                  "their window overlaps it)" if head.windows else "")
               + (f" · {rejected_rows(data.rejected):,} invalid rows skipped" if len(data.rejected) else ""))


@dataclass(frozen=True)
class Comparison:
    """The compare mode's result: the two periods and the per-region table (mapdata.compare)."""

    periods: compare.Periods
    table: pd.DataFrame


def comparison(ctx: Context, bar) -> Comparison | None:
    """The compare mode's controls, drawn in ``bar`` (a container): off, or period A (the selected
    date range) against period B (the previous period of equal length, or dates the reader picks).
    Both settings live in the URL."""
    if not bar.toggle("Compare two periods", key=Key.COMPARE, bind="query-params",
                      help="Period A is the selected date range; period B the one before it of equal length, "
                           "or dates you choose. Regions are coloured by the change in events."):
        return None
    choice = ctx.data.options
    if choice.first is None:
        return None
    a = (ctx.spec.date_from or choice.first, ctx.spec.date_to or choice.last)
    b = compare.previous_period(*a)
    if bar.toggle("Choose period B", key=Key.B_CHOICE, help=f"Off: B is {b[0]} to {b[1]}, the period before A."):
        picked = bar.date_input("Period B", value=b, key=Key.PERIOD_B, bind="query-params", format="YYYY-MM-DD")
        if len(picked) == 2:
            b = tuple(picked)
    try:
        periods = compare.Periods(a=a, b=b)
    except MapdataError as exc:
        bar.warning(str(exc))
        return None
    return Comparison(periods, ctx.selected.compare(periods))


def comparison_table(result: Comparison) -> None:
    """The compare mode's regions with both counts, the change and its band; CSV download."""
    st.subheader("Change per region")
    st.caption(f"{result.periods.describe()}. Bands: " + ", ".join(compare.BANDS) + ". Regions without events in "
               "either period are left out.")
    st.dataframe(result.table.rename(columns={"events_a": "events in A", "events_b": "events in B", "change_pct": "change (%)"}),
                 hide_index=True, width="stretch", column_config={"region_id": None})
    st.download_button("Download the comparison (CSV)", compare.comparison_csv(result.table, result.periods),
                       file_name="comparison.csv", mime="text/csv", on_click="ignore", key=Key.COMPARE_CSV)


def credits() -> None:
    """Attribution required by the licences of the session's geography, on every page."""
    st.caption(f"{boundaries(geography().metadata)}. Place names for geocoding imports: {GEONAMES}. "
               f"{EVENTS} See *Sources & method*.")

