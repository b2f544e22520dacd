"""Map layers: folium pieces built from the event table and the boundary layers.

Each public function takes plain data and returns one folium object, so a page can pass the
layers to ``streamlit_folium.st_folium(base_map(...), feature_group_to_add=[...])`` and tests can
render them with ``m.get_root().render()``. One module per layer kind:

* :mod:`~mapdata.layers.basemap` — the empty, zoomable map with the boundary attribution;
* :mod:`~mapdata.layers.regions` — outlines and the grey choropleth; :mod:`~mapdata.layers.border`;
* :mod:`~mapdata.layers.incidents` — the incident layer, which picks single markers with popups,
  canvas points or grid cells (:mod:`~mapdata.layers.canvas`), or WebGL points
  (:mod:`~mapdata.layers.webgl`) by the number of events;
* :mod:`~mapdata.layers.area` — the toolbar that draws the area filter and the active area's outline;
* :mod:`~mapdata.layers.snapshot` — the "Download map image" button (a PNG made in the browser);
* :mod:`~mapdata.layers.heat`; :mod:`~mapdata.layers.legend`; :mod:`~mapdata.layers.popups`.

Every colour, radius and stroke style is in :mod:`~mapdata.layers.symbology`, which the legends
read and the browser gets as JSON. :mod:`~mapdata.layers.elements` holds our folium elements and
the two documented subclasses of folium classes.
"""

from mapdata.layers.area import add_draw_control, area_layer, is_drawn_area
from mapdata.layers.basemap import base_map
from mapdata.layers.border import border_layer, border_tooltip
from mapdata.layers.canvas import GRID_TARGET_CELLS, cell_size, grid_cells, grid_layer
from mapdata.layers.heat import heat_layer
from mapdata.layers.incidents import DETAIL_LIMIT, POINT_LIMIT, WEBGL_LIMIT, event_id_from_tooltip, in_view, incident_layer
from mapdata.layers.legend import legend_html
from mapdata.layers.popups import details_html
from mapdata.layers.regions import DISPLAY_GEOMETRY, DISPLAY_TOLERANCE_DEG, change_layer, display_regions, region_layer
from mapdata.layers.snapshot import snapshot_layer
from mapdata.layers.symbology import (
    BACKGROUND,
    CHOROPLETH_COLOURS,
    NO_FIGURE_RING,
    OTHER_COLOUR,
    TYPE_COLOURS,
    UNCERTAINTY_RADIUS_M,
)

__all__ = [
    "BACKGROUND", "CHOROPLETH_COLOURS", "DETAIL_LIMIT", "DISPLAY_GEOMETRY",
    "DISPLAY_TOLERANCE_DEG", "GRID_TARGET_CELLS", "NO_FIGURE_RING", "OTHER_COLOUR", "POINT_LIMIT", "TYPE_COLOURS", "WEBGL_LIMIT",
    "UNCERTAINTY_RADIUS_M", "add_draw_control", "area_layer", "base_map", "border_layer", "border_tooltip", "change_layer", "details_html",
    "cell_size", "display_regions", "event_id_from_tooltip", "grid_cells", "grid_layer", "heat_layer", "in_view", "incident_layer", "is_drawn_area",
    "legend_html", "region_layer", "snapshot_layer",
]
