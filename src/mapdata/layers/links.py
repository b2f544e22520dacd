"""The attribution text and the link rule of the map, one definition each."""

from __future__ import annotations

from urllib.parse import urlsplit

BOUNDARY_ATTRIBUTION = (
    'Boundaries: <a href="https://www.geoboundaries.org" target="_blank" rel="noopener noreferrer">'
    "geoBoundaries</a> (Armenia: OpenStreetMap, ODbL 1.0; Azerbaijan: Wikipedia, CC BY-SA 3.0)"
)
"""Credit line for the boundary layers, always shown in the map's attribution control."""


def is_web_url(url: str) -> bool:
    """True for an absolute http(s) URL without spaces or control characters: the only links the
    map and the incident record turn into ``<a href>``."""
    if not url or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return False
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)
