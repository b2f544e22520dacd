"""Page furniture shared by every page: page config, navigation, cached data, the sidebar
filters, the headline and the credits. Every page starts with ``ctx = ui.frame()`` and ends with
``ui.credits()``. Not a page itself (it lives beside app.py, outside pages/).

Filter widgets are bound to URL query parameters (``bind="query-params"``), so the filter
survives page switches and a copied link reproduces the view.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import streamlit as st

from mapdata import Dataset, FilterSpec, MapdataError, filter_events, load_dataset, schema, stats
from mapdata.config import get as setting
from mapdata.export import BOUNDARY_CREDIT
from mapdata.join import country_iso3

APP_TITLE = "Conflict-incident map"
FAVICON = Path(__file__).parent / "static" / "favicon.png"


@dataclass(frozen=True)
class Context:
    """What every page works on: the dataset, the filter and the events it keeps."""

    data: Dataset
    spec: FilterSpec
    selected: gpd.GeoDataFrame


PAGES = (
    ("app.py", "Map", ":material/map:"),
    ("pages/1_Timeline.py", "Timeline", ":material/bar_chart:"),
    ("pages/2_Regions.py", "Regions", ":material/grid_view:"),
    ("pages/3_Data_and_export.py", "Data & export", ":material/download:"),
    ("pages/4_Sources_and_method.py", "Sources & method", ":material/menu_book:"),
)
"""The app's pages in menu order: script, title, icon. (Streamlit's own page list is hidden in
.streamlit/config.toml so that the entry page is called "Map", not "app".)"""


def frame(title: str) -> Context:
    """Draw the shared furniture (navigation, sidebar filters, headline); return the page's context."""
    st.set_page_config(page_title=f"{title} · {APP_TITLE}", page_icon=str(FAVICON), layout="wide")
    for script, label, icon in PAGES:
        st.sidebar.page_link(script, label=label, icon=icon, query_params={k: st.query_params.get_all(k) for k in st.query_params})
    data = dataset()
    spec = sidebar_filters(data)
    selected = filtered(data, spec)
    headline(data, selected, spec)
    return Context(data, spec, selected)


@st.cache_resource(show_spinner="Loading, validating and joining events…")
def _dataset(path: str, mtime: float) -> Dataset:
    return load_dataset(Path(path))


def dataset() -> Dataset:
    """The events file chosen with MAPDATA_EVENTS (default data/events.csv), joined; cached per file version."""
    path = Path(setting("EVENTS"))
    try:
        return _dataset(str(path), path.stat().st_mtime)
    except (MapdataError, OSError) as exc:
        st.error(f"Could not load the events: {exc}")
        st.stop()


def _region_label(names_alt: dict[str, str]):
    def label(name: str) -> str:
        alt = names_alt.get(name, "")
        return f"{name} ({', '.join(alt.split('|'))})" if alt else name

    return label


def sidebar_filters(data: Dataset) -> FilterSpec:
    """Draw the filter widgets in the sidebar and return the FilterSpec they describe."""
    events = data.events
    bar = st.sidebar
    bar.header("Filters")
    spec_kwargs: dict = {}
    first, last = (events["event_date"].min().date(), events["event_date"].max().date()) if len(events) else (None, None)
    if first is not None and first == last:
        bar.caption(f"All events are dated {first}.")
    elif first is not None:
        chosen = bar.slider("Dates", min_value=first, max_value=last, value=(first, last), format="YYYY-MM-DD",
                            key="date", bind="query-params", help="Drag either end; the map's play control steps through time.")
        if tuple(chosen) != (first, last):
            spec_kwargs.update(date_from=chosen[0], date_to=chosen[1])

    regions = data.regions.sort_values(["country_iso3", "name_en"])
    alt = dict(zip(regions["name_en"], regions["names_alt"].fillna("")))
    chosen_regions = bar.multiselect("Regions", options=list(regions["name_en"]), format_func=_region_label(alt),
                                     key="region", bind="query-params",
                                     placeholder="All regions — type an English or alternative name")
    countries = sorted(c for c in country_iso3(events["country"]).unique() if c)
    names = {v: k for k, v in schema.COUNTRY_ISO3.items()}
    chosen_countries = bar.multiselect("Reported country", options=countries,
                                       format_func=lambda c: f"{names.get(c, c)} ({c})", key="country", bind="query-params")
    types = [t for t in schema.EVENT_TYPES if t in set(events["event_type"])]
    chosen_types = bar.multiselect("Event types", options=types, key="type", bind="query-params")
    actors = sorted(set(events["actor1"]) | set(events["actor2"]) - {""})
    chosen_actors = bar.multiselect("Actors (either side)", options=actors, key="actor", bind="query-params")
    levels = list(schema.GEO_PRECISION_LABELS)
    chosen_levels = bar.multiselect("Location precision", options=levels, default=levels,
                                    format_func=lambda p: f"{p} — {schema.GEO_PRECISION_LABELS[p]}",
                                    key="precision", bind="query-params")
    hide_region_only = bar.toggle("Hide region-only locations", key="exact_only", bind="query-params",
                                  help="Drop precision-3 points: they mark a district, not an incident site.")
    min_fat = bar.number_input("Minimum fatalities", min_value=0, value=0, step=1, key="fat_min", bind="query-params",
                               help="Above 0, events without an acknowledged figure are hidden.")
    border_km = bar.number_input("Max. distance to the state border (km)", min_value=0.0, value=None, step=5.0,
                                 key="border_km", bind="query-params", placeholder="any distance")

    levels_kept = tuple(p for p in chosen_levels if not (hide_region_only and p == 3))
    if not levels_kept:
        bar.warning("No precision level is chosen, so every level is shown. Pick at least one.")
        levels_kept = tuple(levels)
    spec_kwargs.update(
        regions=tuple(chosen_regions), countries=tuple(chosen_countries), event_types=tuple(chosen_types),
        actors=tuple(chosen_actors), min_fatalities=int(min_fat) or None, max_border_km=border_km,
        precisions=() if set(levels_kept) == set(levels) else levels_kept,
    )
    return FilterSpec(**spec_kwargs)


def filtered(data: Dataset, spec: FilterSpec):
    """The events the spec keeps (library call; shown as an error if the spec cannot apply)."""
    try:
        return filter_events(data.events, spec, data.regions)
    except MapdataError as exc:
        st.error(f"Filter could not be applied: {exc}")
        st.stop()


def headline(data: Dataset, selected, spec: FilterSpec) -> None:
    """Title, headline numbers and the active filters, always visible."""
    st.title(APP_TITLE)
    head = stats.headline(selected)
    cols = st.columns([0.8, 0.8, 2, 1])
    cols[0].metric("Events", f"{head.events:,}", help=f"of {len(data.events):,} in {data.name}")
    cols[1].metric("Fatalities", f"≥ {head.fatalities_at_least:,}", help=head.fatalities_text()
                   + ". Sums undercount multi-site episodes whose per-site figures are unknown.")
    span = f"{head.first:%d %b %Y} – {head.last:%d %b %Y}" if head.first else "—"
    cols[2].metric("Date span", span)
    cols[3].metric("Region-only locations", f"{head.region_only:,}", help=schema.GEO_PRECISION_LABELS[3])
    st.caption(f"**Active filters:** {spec.describe()} · fatalities {head.fatalities_text()}"
               + (f" · {len(data.rejected['row'].unique())} invalid rows skipped" if len(data.rejected) else ""))


def credits() -> None:
    """Attribution required by the boundary licences, on every page."""
    st.caption(f"{BOUNDARY_CREDIT}. Events: sourced public reporting; each record links its source. "
               "See *Sources & method*.")

