"""The area filter's polygon: read from a drawing, a GeoJSON file, WKT or a link, and applied.

An area is the outer ring of one polygon as a tuple of (lon, lat) corners in EPSG:4326, without
the closing corner, every coordinate rounded to :data:`AREA_DECIMALS` decimals. The rounding
keeps links short (``area=44.5_40.1_45.2_40.1_45.2_40.9``) and makes every way in give the same
value; the price is that an event within about 10 m of the drawn edge may fall on the other side
of it. Events on the edge itself are kept.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import shapely
from shapely.geometry import Polygon, shape

Area = tuple[tuple[float, float], ...]

AREA_DECIMALS = 4
"""Decimals kept of each corner's coordinates (1e-4° ≈ 11 m north–south)."""
_SEPARATORS = re.compile(r"[_,;\s]+")


def parse_area(text: str) -> Area:
    """An area from the link's ``lon_lat_lon_lat…`` list (commas or spaces also separate) or from
    WKT (``POLYGON ((lon lat, …))``). Raises ValueError saying what is wrong."""
    text = text.strip()
    if text.upper().startswith(("POLYGON", "MULTIPOLYGON")):
        try:
            geometry = shapely.from_wkt(text)
        except shapely.errors.ShapelyError as exc:
            raise ValueError(f"not valid WKT ({exc})") from None
        return _from_geometry(geometry)
    try:
        numbers = [float(part) for part in _SEPARATORS.split(text) if part]
    except ValueError:
        raise ValueError("not a list of numbers lon_lat_lon_lat… nor a WKT POLYGON") from None
    if len(numbers) % 2:
        raise ValueError(f"{len(numbers)} numbers: corners need a longitude and a latitude each")
    return _checked(list(zip(numbers[0::2], numbers[1::2])))


def read_area(text: str) -> Area:
    """An area from the command line: a GeoJSON file (one Polygon: a geometry, a Feature or a
    FeatureCollection of one feature), or anything :func:`parse_area` reads."""
    path = Path(text)
    if path.suffix.lower() in (".geojson", ".json"):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is not JSON ({exc})") from None
        try:
            return area_from_geojson(document)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
    return parse_area(text)


def area_from_geojson(document: dict[str, Any]) -> Area:
    """An area from a GeoJSON Polygon geometry, a Feature holding one, or a FeatureCollection of
    exactly one such Feature (what the map's drawing tool returns)."""
    if not isinstance(document, dict):
        raise ValueError("GeoJSON must be an object")
    if document.get("type") == "FeatureCollection":
        features = document.get("features") or []
        if len(features) != 1:
            raise ValueError(f"the FeatureCollection holds {len(features)} features; the area is one polygon")
        document = features[0]
    if document.get("type") == "Feature":
        document = document.get("geometry") or {}
    try:
        geometry = shape(document)
    except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.ShapelyError) as exc:
        raise ValueError(f"not a GeoJSON geometry ({exc})") from None
    return _from_geometry(geometry)


def area_text(area: Area) -> str:
    """The area as the link writes it: ``lon_lat_lon_lat…`` (``_`` is never escaped in a URL)."""
    return "_".join(_number(v) for corner in area for v in corner)


def area_words(area: Area, corners: bool = True) -> str:
    """The area in words, for the active-filters line and the exports' metadata: its extent and
    (with ``corners``) its corners as the link writes them, so the words reproduce it."""
    lons, lats = [c[0] for c in area], [c[1] for c in area]
    extent = (f"inside an area of {len(area)} corners, lon {_number(min(lons))} to {_number(max(lons))}, "
              f"lat {_number(min(lats))} to {_number(max(lats))}")
    return f"{extent} (lon_lat corners {area_text(area)})" if corners else extent


def area_geojson(area: Area) -> dict[str, Any]:
    """The area as a closed GeoJSON Polygon geometry."""
    ring = [list(corner) for corner in area]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


def inside_area(events: pd.DataFrame, area: Area) -> pd.Series:
    """True for the events whose point lies inside the area or on its edge."""
    lon = pd.to_numeric(events["longitude"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(events["latitude"], errors="coerce").to_numpy(dtype=float)
    polygon = Polygon(area)
    shapely.prepare(polygon)
    return pd.Series(shapely.intersects_xy(polygon, lon, lat), index=events.index)


def _from_geometry(geometry) -> Area:
    if geometry.geom_type == "MultiPolygon" and len(geometry.geoms) == 1:
        geometry = geometry.geoms[0]
    if geometry.geom_type != "Polygon":
        raise ValueError(f"a {geometry.geom_type} is not one polygon")
    if len(geometry.interiors):
        raise ValueError("polygons with holes are not supported")
    return _checked(list(geometry.exterior.coords))


def _checked(corners: list[tuple[float, float]]) -> Area:
    rounded = [(round(float(x), AREA_DECIMALS), round(float(y), AREA_DECIMALS)) for x, y in corners]
    if len(rounded) > 1 and rounded[0] == rounded[-1]:
        rounded.pop()
    bad = [c for c in rounded if not (-180 <= c[0] <= 180 and -90 <= c[1] <= 90)]
    if bad:
        raise ValueError(f"corner {bad[0]} is not a longitude, latitude pair in degrees")
    if len(set(rounded)) < 3:
        raise ValueError(f"an area needs at least 3 different corners, got {len(set(rounded))}")
    polygon = Polygon(rounded)
    if not polygon.is_valid or polygon.area == 0:
        raise ValueError(f"the polygon is not valid ({shapely.is_valid_reason(polygon)})")
    return tuple(rounded)


def _number(value: float) -> str:
    return f"{value:.{AREA_DECIMALS}f}".rstrip("0").rstrip(".")
