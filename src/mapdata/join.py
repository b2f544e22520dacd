"""Spatial join: which region each event lies in, how it was matched, and its distance to the
state border.

A point inside a region polygon is matched ``inside``. A point in no polygon (gaps between two
countries' boundary sources, or a meeting far away) gets the nearest region only if it lies
within ``NEAREST_TOLERANCE_KM``, flagged ``nearest``; otherwise it is ``outside``. Distances are
computed in a metric CRS (``METRIC_CRS``) and, for accuracy far from that projection's zone,
measured on the ellipsoid between the point and its nearest border point.
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
    matched = _match_regions(events, regions, tolerance)
    joined = events.join(matched)
    joined["border_km"] = border_distance_km(events, border) if border is not None else np.nan
    joined["country_mismatch"] = _country_mismatch(joined)
    return joined.drop(columns="_elsewhere")


def border_distance_km(events: gpd.GeoDataFrame, border: gpd.GeoDataFrame) -> np.ndarray:
    """Distance from each event point to the nearest point of the border, in km."""
    if len(events) == 0 or len(border) == 0:
        return np.full(len(events), np.nan)
    metric = config.get("METRIC_CRS")
    line = shapely.union_all(border.to_crs(metric).geometry.to_numpy())
    points = events.geometry.to_crs(metric).to_numpy()
    nearest = shapely.get_point(shapely.shortest_line(points, line), 1)
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
    return names.fillna("").str.strip().str.lower().map(known).fillna("")


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


def _match_regions(events: gpd.GeoDataFrame, regions: gpd.GeoDataFrame, tolerance_km: float) -> pd.DataFrame:
    result = pd.DataFrame(index=events.index, columns=list(_REGION_COLUMNS.values()) + ["region_match"], dtype="str")
    result[:] = ""
    result["region_match"] = "outside"
    result["_elsewhere"] = False
    if len(events) == 0:
        return result
    slim = regions[list(_REGION_COLUMNS) + ["geometry"]].reset_index(drop=True)
    points = gpd.GeoDataFrame({"reported": country_iso3(events["country"]).to_numpy()}, geometry=events.geometry.to_numpy(), crs=events.crs, index=events.index)
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


def _country_mismatch(joined: pd.DataFrame) -> pd.Series:
    """Joined region in another country than reported, or the point lies also in such a region
    (where the two countries' boundary sources overlap)."""
    reported = country_iso3(joined["country"])
    located = joined["region_country"].fillna("")
    differs = located.ne("") & reported.ne("") & located.ne(reported)
    return (differs | joined["_elsewhere"].astype(bool)).astype(bool)
