"""Spatial join: which region each event lies in, how it was matched, and its distance to the
state border.

A point inside a region polygon is matched ``inside``. A point in no polygon (gaps between two
countries' boundary sources, or a meeting far away) gets the nearest region only if it lies
within ``NEAREST_TOLERANCE_KM``, flagged ``nearest``; otherwise it is ``outside``. Distances are
computed in a metric CRS (``METRIC_CRS``) and, for accuracy far from that projection's zone,
measured on the ellipsoid between the point and its nearest border point.

Speed: every step runs once per distinct coordinate (real data repeats reference points
massively), and the nearest border point comes from an STRtree of the border's segments rather
than from the whole line, so a million events join in seconds.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from . import config, schema
from .errors import GeoDataError

_REGION_COLUMNS = {
    "region_id": "region_id",
    "name_en": "region_name",
    "country_iso3": "region_country",
    "admin_level": "region_level",
}
_GEOD = Geod(ellps="WGS84")


def join_regions(
    events: gpd.GeoDataFrame,
    regions: gpd.GeoDataFrame,
    border: gpd.GeoDataFrame | None = None,
    tolerance_km: float | None = None,
) -> gpd.GeoDataFrame:
    """Return ``events`` with the derived region columns, ``border_km`` and ``country_mismatch``.

    Row order and every source column are kept; existing derived columns are replaced.
    """
    _check_inputs(events, regions, border)
    tolerance = config.get("NEAREST_TOLERANCE_KM") if tolerance_km is None else tolerance_km
    events = events.drop(columns=[c for c in schema.DERIVED_NAMES if c in events.columns])
    reported = country_iso3(events["country"]) if "country" in events else pd.Series("", index=events.index)
    sites, site_of = _distinct_sites(events, reported)
    matched = _match_regions(sites, regions, tolerance).iloc[site_of].set_index(events.index)
    joined = events.join(matched)
    joined["border_km"] = _border_km(events, sites, site_of, border)
    joined["country_mismatch"] = _country_mismatch(joined, reported)
    return joined.drop(columns="_elsewhere")


def border_distance_km(events: gpd.GeoDataFrame, border: gpd.GeoDataFrame) -> np.ndarray:
    """Distance from each event point to the nearest point of the border, in km."""
    if len(events) == 0 or len(border) == 0:
        return np.full(len(events), np.nan)
    metric = config.get("METRIC_CRS")
    segments = _segments(border.to_crs(metric).geometry.to_numpy())
    points = events.geometry.to_crs(metric).to_numpy()
    tree = shapely.STRtree(segments)
    _, nearest_segment = tree.query_nearest(points, all_matches=False)
    nearest = shapely.get_point(shapely.shortest_line(points, segments[nearest_segment]), 1)
    nearest_ll = gpd.GeoSeries(nearest, crs=metric).to_crs(schema.CRS)
    lon, lat = events.geometry.x.to_numpy(), events.geometry.y.to_numpy()
    _, _, metres = _GEOD.inv(lon, lat, nearest_ll.x.to_numpy(), nearest_ll.y.to_numpy())
    return np.round(np.asarray(metres) / 1000.0, 3)


def country_mismatches(events: gpd.GeoDataFrame) -> pd.DataFrame:
    """Events whose point lies in a region of another country than the one the sources gave."""
    columns = ["event_id", "country", "location", "region_name", "region_country", "region_match"]
    return pd.DataFrame(events.loc[events["country_mismatch"].astype(bool), columns]).reset_index(drop=True)


def country_iso3(names: pd.Series) -> pd.Series:
    """ISO3 codes for English country names (or ISO3 codes already); empty where unknown."""
    known = {k.lower(): v for k, v in schema.COUNTRY_ISO3.items()}
    known.update({v.lower(): v for v in schema.COUNTRY_ISO3.values()})
    codes, distinct = pd.factorize(names.fillna(""), use_na_sentinel=False)  # few distinct names: map those
    iso = pd.Series(distinct, dtype=object).astype(str).str.strip().str.lower().map(known).fillna("").to_numpy(dtype=object)
    return pd.Series(iso[codes] if len(codes) else np.array([], dtype=object), index=names.index, dtype=object)


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


def _distinct_sites(events: gpd.GeoDataFrame, reported: pd.Series) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The distinct (point, reported country) pairs, and for each event the position of its pair."""
    keys = pd.DataFrame({"x": events.geometry.x.to_numpy(), "y": events.geometry.y.to_numpy(), "reported": reported.to_numpy()})
    site_of = keys.groupby(["x", "y", "reported"], sort=False, dropna=False).ngroup().to_numpy()
    first = np.unique(site_of, return_index=True)[1]
    sites = gpd.GeoDataFrame({"reported": keys["reported"].to_numpy()[first]}, geometry=events.geometry.to_numpy()[first],
                             crs=events.crs)
    return sites, site_of


def _border_km(events: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, site_of: np.ndarray,
               border: gpd.GeoDataFrame | None) -> np.ndarray:
    if border is None:
        return np.full(len(events), np.nan)
    return border_distance_km(sites, border)[site_of] if len(events) else np.full(0, np.nan)


def _segments(lines: np.ndarray) -> np.ndarray:
    """Every straight segment of ``lines`` as its own LineString (for an STRtree)."""
    parts = shapely.get_parts(lines)
    coords, index = shapely.get_coordinates(parts, return_index=True)
    same_part = index[:-1] == index[1:]
    starts, ends = coords[:-1][same_part], coords[1:][same_part]
    return shapely.linestrings(np.stack([starts, ends], axis=1))


def _match_regions(points: gpd.GeoDataFrame, regions: gpd.GeoDataFrame, tolerance_km: float) -> pd.DataFrame:
    """Region columns for ``points`` (a frame with a ``reported`` ISO3 column), in their order."""
    result = pd.DataFrame(index=points.index, columns=list(_REGION_COLUMNS.values()) + ["region_match"], dtype="str")
    result[:] = ""
    result["region_match"] = "outside"
    result["_elsewhere"] = False
    if len(points) == 0:
        return result
    slim = regions[list(_REGION_COLUMNS) + ["geometry"]].reset_index(drop=True)
    inside = _inside(points, slim)
    result.loc[inside.index, list(_REGION_COLUMNS.values())] = inside[list(_REGION_COLUMNS)].to_numpy()
    result.loc[inside.index, "region_match"] = "inside"
    result.loc[inside.index, "_elsewhere"] = inside["_elsewhere"].astype(bool)

    rest = points.loc[~points.index.isin(inside.index)]
    if len(rest) and tolerance_km > 0:
        near = _nearest(rest, slim, tolerance_km)
        result.loc[near.index, list(_REGION_COLUMNS.values())] = near[list(_REGION_COLUMNS)].to_numpy()
        result.loc[near.index, "region_match"] = "nearest"
    return result


def _inside(points: gpd.GeoDataFrame, regions: gpd.GeoDataFrame) -> pd.DataFrame:
    """Point-in-polygon; where two sources overlap, prefer the region of the reported country."""
    hits = gpd.sjoin(points, regions, how="inner", predicate="within")
    if hits.empty:
        return hits.assign(_elsewhere=False)
    hits = hits.assign(_other=(hits["country_iso3"] != hits["reported"]) & hits["reported"].ne(""))
    elsewhere = hits.groupby(level=0)["_other"].any()
    hits = hits.sort_values(["_other", "index_right"], kind="stable")
    best = hits[~hits.index.duplicated(keep="first")]
    return best.assign(_elsewhere=elsewhere.reindex(best.index).to_numpy())


def _nearest(points: gpd.GeoDataFrame, regions: gpd.GeoDataFrame, tolerance_km: float) -> pd.DataFrame:
    metric = config.get("METRIC_CRS")
    near = gpd.sjoin_nearest(points.to_crs(metric), regions.to_crs(metric), how="inner", max_distance=tolerance_km * 1000.0)
    return near[~near.index.duplicated(keep="first")]


def _country_mismatch(joined: pd.DataFrame, reported: pd.Series) -> pd.Series:
    """Joined region in another country than reported, or the point lies also in such a region
    (where the two countries' boundary sources overlap)."""
    located = joined["region_country"].fillna("")
    differs = located.ne("") & reported.ne("") & located.ne(reported)
    return (differs | joined["_elsewhere"].astype(bool)).astype(bool)
