"""Border lines of a geography: land borders derived from country outlines, and user lines.

Two countries' boundary sources rarely coincide along their common border, so the border
between countries A and B (A first by ISO3 code) is the part of A's outline that lies within a
tolerance of B's units: the line keeps A's own vertices. The buffer is computed in the
geography's metric CRS; pieces shorter than 1 km (spurs at tri-points) are dropped. A country
pair whose outlines do not come that close has no border line; neither does a single country
(its outline cannot tell land borders from coast).
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import shapely

from .boundaries import LICENCE_UNKNOWN
from .errors import GeoDataError

CRS = "EPSG:4326"
COLUMNS = ("name", "tolerance_km", "source", "licence")

_MIN_PIECE_KM = 1.0
_KM_PER_DEGREE_MIN = 30.0  # a degree of longitude is at least this long up to ±74° latitude


def land_borders(countries: gpd.GeoDataFrame, units: dict[str, gpd.GeoDataFrame], tolerance_km: float,
                 metric_crs: str) -> gpd.GeoDataFrame:
    """The land border of every pair of neighbouring ``countries`` (iso3, name, geometry), each
    found from the outline of the first and the ``units`` (per ISO3) of the second."""
    rows = []
    margin = tolerance_km / _KM_PER_DEGREE_MIN
    ordered = countries.sort_values("iso3", ignore_index=True)
    bounds = shapely.bounds(ordered.geometry.to_numpy())
    for i, first in ordered.iterrows():
        for j in range(i + 1, len(ordered)):
            if _apart(bounds[i], bounds[j], margin):
                continue
            second = ordered.iloc[j]
            line = _shared_line(first.geometry, units[second["iso3"]], tolerance_km, metric_crs)
            if line is None:
                continue
            own, other = units[first["iso3"]], units[second["iso3"]]
            rows.append({
                "name": f"{first['name']}–{second['name']} state border (derived)",
                "tolerance_km": tolerance_km,
                "source": f"{own['source'].iloc[0]} outline within {tolerance_km:g} km of {other['source'].iloc[0]}",
                "licence": own["licence"].iloc[0],
                "geometry": line,
            })
    return gpd.GeoDataFrame(rows, columns=[*COLUMNS, "geometry"], geometry="geometry", crs=CRS)


def user_borders(path: Path) -> tuple[gpd.GeoDataFrame, list[str]]:
    """A line layer the user has (e.g. a ceasefire or contact line) as border lines, and warnings."""
    path = Path(path)
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise GeoDataError(f"Cannot read border file {path}: {exc}") from exc
    frame = frame.set_crs(CRS) if frame.crs is None else frame.to_crs(CRS)
    lines = frame[frame.geom_type.isin(["LineString", "MultiLineString"]).to_numpy()]
    if lines.empty:
        raise GeoDataError(f"Border file {path} has no LineString features (found: {', '.join(sorted(set(frame.geom_type.dropna())))}).")
    name_column = next((c for c in lines.columns if str(c).lower() == "name"), None)
    names = lines[name_column].fillna(path.stem).astype(str) if name_column else [path.stem] * len(lines)
    out = gpd.GeoDataFrame({
        "name": list(names),
        "tolerance_km": math.nan,
        "source": f"{path.name} (line layer given with --border)",
        "licence": LICENCE_UNKNOWN,
    }, geometry=list(lines.geometry), crs=CRS)
    return out, [f"{path.name}: no licence known for this border layer; credited as '{LICENCE_UNKNOWN}'"]


def _apart(a, b, margin: float) -> bool:
    return a[2] + margin < b[0] or b[2] + margin < a[0] or a[3] + margin < b[1] or b[3] + margin < a[1]


def _shared_line(outline_of: shapely.Geometry, other_units: gpd.GeoDataFrame, tolerance_km: float,
                 metric_crs: str) -> shapely.MultiLineString | None:
    """The part of ``outline_of``'s boundary within ``tolerance_km`` of ``other_units``; None if under 1 km."""
    outline = outline_of.boundary
    other = shapely.union_all(other_units.to_crs(metric_crs).geometry.values)
    near = gpd.GeoSeries([other.buffer(tolerance_km * 1000)], crs=metric_crs).to_crs(CRS).iloc[0]
    merged = shapely.line_merge(shapely.intersection(outline, near))
    pieces = [g for g in getattr(merged, "geoms", [merged]) if isinstance(g, shapely.LineString) and not g.is_empty]
    if not pieces:
        return None
    lengths = gpd.GeoSeries(pieces, crs=CRS).to_crs(metric_crs).length / 1000
    kept = [p for p, km in sorted(zip(pieces, lengths), key=lambda t: -t[1]) if km >= _MIN_PIECE_KM]
    return shapely.MultiLineString(kept) if kept else None
