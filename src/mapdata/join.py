"""Spatial join: which region each event lies in, how it was matched, and its distance to the
nearest border line of the geography.

A point inside a region polygon is matched ``inside``. A point in no polygon (gaps between two
countries' boundary sources, or a meeting far away) gets the nearest region only if it lies
within ``NEAREST_TOLERANCE_KM``, flagged ``nearest``; otherwise it is ``outside``. Where two
sources' polygons overlap, the region of the reported country is preferred. Distances are
computed in the geography's metric CRS (chosen when it was built, the UTM zone of its centre, and
stored in its geography.json; the ``METRIC_CRS`` setting overrides it) and, for accuracy far from that projection's zone,
measured on the ellipsoid between the point and its nearest border point. A geography without
border lines gives an empty (NaN) ``border_km``, never a made-up distance; so does an event
outside every region: the geography knows no border near it (a Myanmar event is not 5,044 km from
the Armenia–Azerbaijan line in any useful sense).

Speed: every step runs once per distinct coordinate (real data repeats reference points
massively), found by hashing the coordinates. Point-in-polygon tests run on prepared polygons
for the points inside each polygon's bounding box; the nearest border point comes from
:mod:`mapdata.nearest` (exact, vectorised); projections use pyproj on plain arrays. The border
distances are computed in a second thread while the regions are matched (pyproj and numpy release
the GIL). The result columns are built by indexing small per-coordinate tables, so a million
events (a quarter of a million distinct points) join in about a second.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod, Transformer

from . import config, schema
from .errors import GeoDataError
from .geo import metric_crs as choose_metric_crs
from .names import country_iso3
from .nearest import Segments, nearest_points
from .points import first_positions, number_pairs

_REGION_COLUMNS = {
    "region_id": "region_id",
    "name_en": "region_name",
    "country_iso3": "region_country",
    "admin_level": "region_level",
}
_INSIDE, _NEAREST, _OUTSIDE = range(len(schema.REGION_MATCHES))
_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class _Points:
    """The distinct coordinates of some events: ``x[of[i]], y[of[i]]`` is event i's point."""

    x: np.ndarray
    y: np.ndarray
    of: np.ndarray


@dataclass(frozen=True)
class _Matches:
    """Per distinct point and reported country (columns: the distinct reported ISO3 codes): the
    chosen region's row (-1: none) and the country-mismatch flag; per point: how it matched."""

    region: np.ndarray
    mismatch: np.ndarray
    match: np.ndarray


def join_regions(
    events: gpd.GeoDataFrame,
    regions: gpd.GeoDataFrame,
    border: gpd.GeoDataFrame | None = None,
    tolerance_km: float | None = None,
    metric_crs: str | None = None,
) -> gpd.GeoDataFrame:
    """Return ``events`` with the derived region columns, ``border_km`` and ``country_mismatch``.

    Row order and every source column are kept; existing derived columns are replaced. Distances
    are measured in ``metric_crs``: a geography's stored one (:attr:`mapdata.geo.Geography.metric_crs`,
    which :func:`mapdata.dataset.join` passes); for bare layers, the CRS a build would choose for them.
    """
    _check_inputs(events, regions, border)
    tolerance = config.get("NEAREST_TOLERANCE_KM") if tolerance_km is None else tolerance_km
    joined = events.drop(columns=[c for c in schema.DERIVED_NAMES if c in events.columns])
    points = _distinct_points(joined)
    reported, reported_of = _reported_countries(joined)
    slim = regions[list(_REGION_COLUMNS) + ["geometry"]].reset_index(drop=True)
    metric = metric_crs or choose_metric_crs(regions)
    with ThreadPoolExecutor(max_workers=1) as pool:  # pyproj and numpy release the GIL: overlaps the matching
        border_km = pool.submit(_border_km, points, joined.crs, border, metric)
        matches = _match_regions(points, slim, reported, tolerance, metric)
        pick = points.of * len(reported) + reported_of
        region = matches.region.ravel()[pick]
        for source, target in _REGION_COLUMNS.items():
            joined[target] = _strings_by_row(slim[source], region)
        joined["region_match"] = pd.array(schema.REGION_MATCHES, dtype="str").take(matches.match[points.of])
        joined["border_km"] = np.where(matches.match == _OUTSIDE, np.nan, border_km.result())[points.of]
    joined["country_mismatch"] = matches.mismatch.ravel()[pick]
    return joined


MISMATCH_COLUMNS = ("event_id", "country", "location", "region_name", "region_country", "region_match")
"""The columns :func:`country_mismatches` lists (and a store's query for the same rows)."""


def country_mismatches(events: gpd.GeoDataFrame) -> pd.DataFrame:
    """Events whose point lies in a region of another country than the one the sources gave."""
    return pd.DataFrame(events.loc[events["country_mismatch"].astype(bool), list(MISMATCH_COLUMNS)]).reset_index(drop=True)


def _check_inputs(events: gpd.GeoDataFrame, regions: gpd.GeoDataFrame, border: gpd.GeoDataFrame | None) -> None:
    missing = [c for c in _REGION_COLUMNS if c not in regions.columns]
    if missing:
        raise GeoDataError(f"regions layer lacks column(s) {', '.join(missing)}; rebuild it with `mapdata build-geo`")
    for label, frame in (("regions", regions), ("border", border)):
        if frame is None:
            continue
        if frame.crs is None or events.crs is None:
            raise GeoDataError(f"events or {label} have no CRS; set it, e.g. frame.set_crs('{schema.CRS}')")
        if not frame.crs.equals(events.crs):
            raise GeoDataError(
                f"CRS mismatch: events are in {events.crs.to_string()}, {label} in {frame.crs.to_string()}; "
                f"convert one with .to_crs('{schema.CRS}') before joining"
            )


def _distinct_points(events: gpd.GeoDataFrame) -> _Points:
    """The distinct point coordinates of ``events``, numbered by first appearance."""
    geometry = np.asarray(events.geometry.array)
    if not np.isin(shapely.get_type_id(geometry), (-1, 0)).all():
        raise GeoDataError("events must have point geometries (one longitude/latitude per event) to be joined")
    x, y = shapely.get_x(geometry), shapely.get_y(geometry)
    of = number_pairs(x, y)
    first = first_positions(of)
    return _Points(x[first], y[first], of)


def _reported_countries(events: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ISO3 codes of the reported countries ("" unknown) and each event's position among them."""
    if "country" not in events.columns:
        return np.array([""], dtype=object), np.zeros(len(events), dtype=np.int64)
    name_of, names = pd.factorize(events["country"], use_na_sentinel=False)
    iso_of_name, codes = pd.factorize(country_iso3(pd.Series(names, dtype=object)).to_numpy(dtype=object))
    codes = np.asarray(codes, dtype=object) if len(codes) else np.array([""], dtype=object)
    return codes, iso_of_name[name_of] if len(name_of) else np.zeros(0, dtype=np.int64)


def _match_regions(points: _Points, regions: gpd.GeoDataFrame, reported: np.ndarray, tolerance_km: float,
                   metric: str) -> _Matches:
    """Region, match kind and mismatch flag of every distinct point, for every reported country."""
    country = regions["country_iso3"].to_numpy(dtype=object)
    point, row = _inside(points.x, points.y, regions.geometry.to_numpy())
    region, elsewhere = _prefer_reported(point, row, country, reported, len(points.x))
    match = np.full(len(points.x), _OUTSIDE, dtype=np.int64)
    match[point] = _INSIDE
    rest = np.flatnonzero(match == _OUTSIDE)
    if len(rest) and tolerance_km > 0:
        near_point, near_row = _nearest(points.x[rest], points.y[rest], regions, tolerance_km, metric)
        region[rest[near_point]] = near_row[:, None]
        match[rest[near_point]] = _NEAREST
    return _Matches(region, _differs(region, country, reported) | elsewhere, match)


def _prefer_reported(point: np.ndarray, row: np.ndarray, country: np.ndarray, reported: np.ndarray,
                     n_points: int) -> tuple[np.ndarray, np.ndarray]:
    """From the (point, region row) pairs sorted by point then row: per point and reported country,
    the first region of the reported country (else the first region; -1: none), and whether the
    point also lies in a region of another country than the reported one."""
    region = np.full((n_points, len(reported)), -1, dtype=np.int64)
    elsewhere = np.zeros(region.shape, dtype=bool)
    if len(point) == 0:
        return region, elsewhere
    runs = np.flatnonzero(np.concatenate([[True], point[1:] != point[:-1]]))
    for column, iso in enumerate(reported):
        other = ((country != iso) & (iso != ""))[row]
        region[point[runs], column] = np.minimum.reduceat(other * len(country) + row, runs) % len(country)
        elsewhere[point[runs], column] = np.logical_or.reduceat(other, runs)
    return region, elsewhere


def _differs(region: np.ndarray, country: np.ndarray, reported: np.ndarray) -> np.ndarray:
    """Whether the chosen region (-1: none) lies in a known country other than the reported one."""
    located = pd.Series(country, dtype=object).fillna("").to_numpy(dtype=object)
    differs = np.zeros(region.shape, dtype=bool)
    for column, iso in enumerate(reported):
        by_row = np.append((located != "") & (iso != "") & (located != iso), False)
        differs[:, column] = by_row[region[:, column]]
    return differs


def _inside(x: np.ndarray, y: np.ndarray, polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (point, polygon) with the point strictly inside the polygon, sorted by point then polygon.

    Each polygon is tested (prepared, on a private copy) against the points in its bounding box.
    """
    polygons = shapely.from_wkb(shapely.to_wkb(polygons))
    shapely.prepare(polygons)
    by_x = np.argsort(x, kind="stable")
    sorted_x = x[by_x]
    points, rows = [], []
    for row, (polygon, (x0, y0, x1, y1)) in enumerate(zip(polygons, shapely.bounds(polygons))):
        if np.isnan(x0):
            continue
        near = by_x[np.searchsorted(sorted_x, x0, "left"):np.searchsorted(sorted_x, x1, "right")]
        near = near[(y[near] >= y0) & (y[near] <= y1)]
        near = near[shapely.contains_xy(polygon, x[near], y[near])]
        points.append(near)
        rows.append(np.full(len(near), row, dtype=np.int64))
    point = np.concatenate(points) if points else np.zeros(0, dtype=np.int64)
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    order = np.argsort(point, kind="stable")  # rows ascend within each point
    return point[order], row[order]


def _nearest(x: np.ndarray, y: np.ndarray, regions: gpd.GeoDataFrame, tolerance_km: float,
             metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (point, region row) for the points within ``tolerance_km`` of a region (the first of
    equally near ones), measured in the ``metric`` CRS."""
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=regions.crs).to_crs(metric)
    near = gpd.sjoin_nearest(points, regions[["geometry"]].to_crs(metric), how="inner", max_distance=tolerance_km * 1000.0)
    near = near[~near.index.duplicated(keep="first")]
    return near.index.to_numpy(), near["index_right"].to_numpy()


def _strings_by_row(values: pd.Series, row: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``values[row]`` as a string array, "" where row is -1."""
    table = pd.array(np.append(values.to_numpy(dtype=object), ""), dtype="str")
    return table.take(np.where(row < 0, len(values), row))


def _border_km(points: _Points, crs, border: gpd.GeoDataFrame | None, metric: str) -> np.ndarray:
    """Ellipsoidal distance in km (3 decimals) from each distinct point to its nearest border point,
    the nearest point being found in the metric CRS; NaN without a border."""
    if border is None or len(border) == 0 or len(points.x) == 0:
        return np.full(len(points.x), np.nan)
    segments = _segments(border.to_crs(metric).geometry.to_numpy())
    px, py = Transformer.from_crs(crs, metric, always_xy=True).transform(points.x, points.y)
    nx, ny = nearest_points(np.asarray(px), np.asarray(py), segments)
    lon, lat = Transformer.from_crs(metric, schema.CRS, always_xy=True).transform(nx, ny)
    with np.errstate(invalid="ignore"):
        _, _, metres = _GEOD.inv(points.x, points.y, np.asarray(lon), np.asarray(lat))
    return np.round(np.asarray(metres) / 1000.0, 3)


def _segments(lines: np.ndarray) -> Segments:
    """Every straight segment of ``lines``."""
    parts = shapely.get_parts(lines)
    coords, index = shapely.get_coordinates(parts, return_index=True)
    same_part = index[:-1] == index[1:]
    return Segments.from_coordinates(coords[:-1][same_part], coords[1:][same_part])
