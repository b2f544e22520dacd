"""The map's symbology: every colour, radius and stroke style of the layers, defined once.

Python reads these values (marker radii sent with each feature, region fills, the legends) and
hands the same table to the browser as JSON (:func:`closed_over_table`), so the JavaScript that
draws markers and the legend that explains them cannot disagree.

Uncertainty is drawn, not hidden:

* colour = event type (Okabe–Ito palette, colour-blind safe);
* size = fatalities (area grows with the count); no figure known = small dot with a black ring;
* geo_precision 1 = filled dot, 2 = pale fill with a solid ring, 3 = hollow dashed ring plus a
  faint ~10 km circle, because the point is a reference point for a district, not the site.
"""

from __future__ import annotations

import json
import math

TYPE_COLOURS: dict[str, str] = {
    "Battles": "#D55E00",  # vermillion
    "Explosions/Remote violence": "#0072B2",  # blue
    "Violence against civilians": "#CC79A7",  # reddish purple
    "Protests": "#009E73",  # bluish green
    "Riots": "#E69F00",  # orange
    "Strategic developments": "#56B4E9",  # sky blue
}
"""One Okabe–Ito colour per ACLED event type (schema.EVENT_TYPES)."""

OTHER_TYPE = "Other"
OTHER_COLOUR = "#7F7F7F"
NO_FIGURE_RING = "#000000"
"""Ring of a marker whose event has no fatality figure."""

RADIUS: dict[str, float] = {"no_figure": 4.0, "base": 5.0, "per_sqrt_death": 1.4, "max": 30.0}
"""Marker radius in pixels: ``min(max, base + per_sqrt_death * sqrt(fatalities))``; ``no_figure``
when no figure is known."""

PRECISION_STYLES: dict[int, dict[str, float | str]] = {
    1: {"weight": 1.5, "opacity": 1, "fillOpacity": 0.85},
    2: {"weight": 2, "opacity": 1, "fillOpacity": 0.3},
    3: {"weight": 2, "opacity": 1, "fillOpacity": 0, "dashArray": "3 3"},
}
"""Leaflet path options of an incident marker by geo_precision (schema.GEO_PRECISION_LABELS)."""

UNCERTAINTY_RADIUS_M = 10_000
"""Radius of the faint circle around a precision-3 (region only) reference point."""
UNCERTAINTY_STYLE: dict[str, float | str] = {"weight": 1, "opacity": 0.7, "dashArray": "2 5", "fillOpacity": 0.06}

CELL_RADIUS: dict[str, float] = {"min": 3, "span": 17}
"""Grid-cell circle radius in pixels: ``min + span * sqrt(events / most events in a cell)``."""
CELL_STYLES: dict[str, dict[str, float | str | None]] = {
    "exact": {"weight": 1, "dashArray": None, "opacity": 0.9, "fillOpacity": 0.55},
    "vague": {"weight": 2, "dashArray": "3 3", "opacity": 0.9, "fillOpacity": 0.15},
}
"""Grid-cell circle style: ``vague`` when at least half of its events are region-only points."""

WEBGL_POINT: dict[str, float] = {"size": 5, "ring": 0.4, "pick_px": 6}
"""A WebGL point (many incidents, one by one): diameter in pixels, ring width as a share of the
radius (fill opacity and ring opacity by precision come from :data:`PRECISION_STYLES`), and how
near (pixels) a click must be to pick it."""

CHOROPLETH_COLOURS: tuple[str, ...] = ("#D9D9D9", "#BDBDBD", "#969696", "#636363")
"""Grey ramp for region fills: no hue, so it never competes with the event-type colours."""
CHOROPLETH_FILL_OPACITY = 0.55
CHANGE_COLOURS: dict[str, str] = {
    "> +25 %": "#B2182B", "+10 to +25 %": "#EF8A62", "−25 to +10 %": "#F7F7F7", "< −25 %": "#2166AC",
    "new": "#67001F", "gone": "#053061",
}
"""Fill of each change band of the compare mode (mapdata.compare.BANDS): a diverging red–blue
ramp (ColorBrewer RdBu), rises red, falls blue, "new" and "gone" the darkest ends."""
CHANGE_FILL_OPACITY = 0.7
REGION_OUTLINE: dict[str, float | str] = {"color": "#6B6B6B", "weight": 1, "opacity": 0.8, "fillOpacity": 0}
BORDER_STYLE: dict[str, float | str] = {"color": "#1A1A1A", "weight": 2.5, "opacity": 0.9, "dashArray": "10 4 2 4"}
COUNTRY_STYLE: dict[str, float | str | bool] = {"color": "#4D4D4D", "weight": 1.8, "opacity": 0.8, "fill": False}
"""Country outlines of the geography: drawn on the base map under every layer, not clickable."""
COUNTRY_SIMPLIFY_DEG = 0.002
"""Outlines are simplified to about 200 m for drawing (the join uses the full regions)."""
AREA_STYLE: dict[str, float | str | bool] = {"color": "#1A1A1A", "weight": 2, "opacity": 0.9, "dashArray": "6 4",
                                             "fillColor": "#1A1A1A", "fillOpacity": 0.04}
"""Outline of the area filter, while it is drawn and once it filters."""
BACKGROUND = "#F4F2EC"
FOCUS_OUTLINE = "#1A5FB4"
"""Outline of the map while it has keyboard focus (the page's own focus ring has the same colour)."""
CREDIT_MAX_WIDTH = "58%"
"""The boundary credit wraps in the map's bottom-right corner, leaving the scale bar and the legends of the left one visible."""
LEGEND_GREY = "#555555"
"""Colour of the legend's symbols that explain size and precision rather than type."""


def radius(deaths: float | None) -> float:
    """Marker radius (pixels) for a fatality count; None = no figure known. The browser computes
    the same value from :data:`RADIUS` (``markerRadius`` in :data:`MARKER_OPTIONS_JS`)."""
    if deaths is None:
        return RADIUS["no_figure"]
    return min(RADIUS["max"], RADIUS["base"] + RADIUS["per_sqrt_death"] * math.sqrt(max(deaths, 0)))


def table() -> dict:
    """The symbology as one JSON-ready dict: what the browser gets."""
    return {
        "type_colours": TYPE_COLOURS, "other_type": OTHER_TYPE, "other_colour": OTHER_COLOUR,
        "no_figure_ring": NO_FIGURE_RING, "radius": RADIUS, "precision": PRECISION_STYLES,
        "uncertainty_radius_m": UNCERTAINTY_RADIUS_M, "uncertainty": UNCERTAINTY_STYLE,
        "cell_radius": CELL_RADIUS, "cells": CELL_STYLES, "webgl": WEBGL_POINT,
    }


def table_json() -> str:
    """:func:`table` as compact JSON (the exact text written into the map's scripts)."""
    return json.dumps(table(), separators=(",", ":"))


MARKER_OPTIONS_JS = """function markerRadius(f) {
        return f < 0 ? S.radius.no_figure : Math.min(S.radius.max, S.radius.base + S.radius.per_sqrt_death * Math.sqrt(f));
    }
    function markerOptions(options, p) { return Object.assign(options, S.precision[p]); }"""
"""JavaScript helpers every incident renderer uses, reading the table ``S``: the radius for a
fatality count (negative = no figure known) and the precision style added to a marker's options."""


def closed_over_table(function_js: str) -> str:
    """A JavaScript function expression that sees the symbology table as ``S`` (and the helpers of
    :data:`MARKER_OPTIONS_JS`): ``(function(S) { helpers; return <function_js>; })(<table JSON>)``."""
    return f"(function(S) {{\n    {MARKER_OPTIONS_JS}\n    return {function_js};\n}})({table_json()})"
