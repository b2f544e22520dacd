"""The nearest point of a polyline for many points at once, exactly, in NumPy.

GEOS answers nearest-segment queries one point at a time (several µs each through shapely's
STRtree), which made the border distance of a quarter of a million distinct points the slowest
step of the join. Here the points are grouped in square grid cells, coarse to fine (each level's
cells split the previous level's), and every cell keeps only the segments that can be nearest for
some point inside it. A segment is dropped for a cell when the cell's best segment (at its centre)
is provably closer everywhere in the cell: distance to a segment is a convex, 1-Lipschitz function
whose curvature is at most 1/distance, which bounds it from below and above around the centre.
Each point then compares only its cell's few remaining candidates.

The final comparison and the nearest point use GEOS's own arithmetic (``Distance::pointToSegment``
and ``LineSegment::closestPoint``), so the result is the point ``shapely.shortest_line`` gives for
the nearest segment, bit for bit. Points whose coordinates are not finite get NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .points import first_positions

_FINEST_CELL = 2048.0
"""Edge of the finest grid cell, in CRS units (metres); the points then compare their cell's candidates."""
_LEVEL_RATIO = 4
"""Each grid level's cell edge is this many times the next finer one's."""
_LEVELS = 5
"""Number of grid levels (the coarsest cells have an edge of 2048 m × 4⁴ ≈ 524 km)."""
_MARGIN = 1e-3
"""A segment is dropped only when it is provably farther by more than this (CRS units), which
absorbs floating-point rounding in the bounds."""


@dataclass(frozen=True)
class Segments:
    """Straight segments from (ax, ay) to (bx, by), as arrays."""

    ax: np.ndarray
    ay: np.ndarray
    bx: np.ndarray
    by: np.ndarray

    @classmethod
    def from_coordinates(cls, starts: np.ndarray, ends: np.ndarray) -> "Segments":
        """Segments from two (n, 2) arrays of start and end coordinates."""
        starts, ends = np.asarray(starts, dtype=float), np.asarray(ends, dtype=float)
        return cls(starts[:, 0].copy(), starts[:, 1].copy(), ends[:, 0].copy(), ends[:, 1].copy())

    def __len__(self) -> int:
        return len(self.ax)

    def table(self) -> np.ndarray:
        """One row per segment: start x, start y, extent x, extent y, 1 / squared length (0 for a point)."""
        dx, dy = self.bx - self.ax, self.by - self.ay
        length2 = dx * dx + dy * dy
        inverse = np.divide(1.0, length2, out=np.zeros_like(length2), where=length2 > 0)
        return np.stack([self.ax, self.ay, dx, dy, inverse], axis=1)


@dataclass(frozen=True)
class _Candidates:
    """For each owner (a grid cell or a point), the segments still in play: ``segment[start[i]:start[i + 1]]``."""

    start: np.ndarray
    segment: np.ndarray


def nearest_points(x: np.ndarray, y: np.ndarray, segments: Segments) -> tuple[np.ndarray, np.ndarray]:
    """For each point (x, y), the nearest point on any of ``segments``: two arrays (x, y)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    out_x, out_y = np.full(len(x), np.nan), np.full(len(x), np.nan)
    finite = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if len(finite) == 0 or len(segments) == 0:
        return out_x, out_y
    px, py = x[finite], y[finite]
    best = nearest_segment(px, py, segments)
    out_x[finite], out_y[finite] = _closest_point(px, py, segments, best)
    return out_x, out_y


def nearest_segment(x: np.ndarray, y: np.ndarray, segments: Segments) -> np.ndarray:
    """Index of the segment nearest to each (finite) point, by GEOS's distance; the lowest of equals."""
    table = segments.table()
    candidates = _Candidates(np.array([0, len(segments)]), np.arange(len(segments)))
    parent = np.zeros(len(x), dtype=np.int64)
    for level in reversed(range(_LEVELS)):
        size = _FINEST_CELL * _LEVEL_RATIO**level
        cell, first = _cells(x, y, size)
        centre_x = (np.floor(x[first] / size) + 0.5) * size
        centre_y = (np.floor(y[first] / size) + 0.5) * size
        candidates = _prune(candidates, parent[first], centre_x, centre_y, size / 2, table)
        parent = cell
    segment, counts = _expand(candidates, parent)
    owner = np.repeat(np.arange(len(x)), counts)
    distance = _geos_distance(x[owner], y[owner], segments, segment)
    return segment[_first_minimum(distance, owner, counts)]


def _cells(x: np.ndarray, y: np.ndarray, size: float) -> tuple[np.ndarray, np.ndarray]:
    """Grid cell number of each point (numbered by first appearance) and each cell's first point."""
    gx, gy = np.floor(x / size), np.floor(y / size)
    key = (gx - gx.min()) * (gy.max() - gy.min() + 1) + (gy - gy.min())
    cell = pd.factorize(key.astype(np.int64))[0]
    return cell, first_positions(cell)


def _expand(candidates: _Candidates, parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each new owner's copy of its parent's candidates: (segment of each pair, pairs per owner)."""
    counts = np.diff(candidates.start)[parent]
    offset = np.cumsum(counts) - counts
    position = np.arange(counts.sum()) + np.repeat(candidates.start[parent] - offset, counts)
    return candidates.segment[position], counts


def _prune(candidates: _Candidates, parent: np.ndarray, cx: np.ndarray, cy: np.ndarray, half: float,
           table: np.ndarray) -> _Candidates:
    """Candidates of the square cells centred on (cx, cy) with half-edge ``half``, from their parents'.

    A segment is dropped when the cell's best segment at the centre is closer for every point of
    the cell: by the triangle inequality, or by comparing the segment's convex lower bound (tangent
    plane at the centre) with the best's upper bound (tangent plane plus curvature at most
    1 / distance), minimised over the square.
    """
    segment, counts = _expand(candidates, parent)
    owner = np.repeat(np.arange(len(counts)), counts)
    distance, gx, gy = _distance_gradient(np.repeat(cx, counts), np.repeat(cy, counts), table[segment])
    best = _first_minimum(distance, owner, counts)[owner]
    nearest = distance[best]
    gap = distance - nearest
    radius = half * np.sqrt(2.0)
    far = nearest > radius
    curvature = np.full(len(gap), np.inf)
    curvature[far] = radius**2 / (2.0 * (nearest[far] - radius))
    spread = half * (np.abs(gx - gx[best]) + np.abs(gy - gy[best]))
    dropped = (gap > 2.0 * radius + _MARGIN) | (gap - curvature - spread > _MARGIN)
    kept_per_owner = np.add.reduceat(~dropped, np.cumsum(counts) - counts)
    return _Candidates(np.concatenate([[0], np.cumsum(kept_per_owner)]), segment[~dropped])


def _distance_gradient(qx: np.ndarray, qy: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distance from each (qx, qy) to its segment (a row of :meth:`Segments.table`) and the unit
    vector pointing away from the segment (the distance's gradient; zero on the segment)."""
    ex, ey = qx - rows[:, 0], qy - rows[:, 1]
    along = np.clip((ex * rows[:, 2] + ey * rows[:, 3]) * rows[:, 4], 0.0, 1.0)
    ex -= along * rows[:, 2]
    ey -= along * rows[:, 3]
    distance = np.sqrt(ex * ex + ey * ey)
    scale = np.divide(1.0, distance, out=np.zeros_like(distance), where=distance > 0)
    return distance, ex * scale, ey * scale


def _first_minimum(values: np.ndarray, owner: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Position of the first smallest value of each owner's run (owners contiguous, none empty)."""
    start = np.cumsum(counts) - counts
    smallest = np.minimum.reduceat(values, start)
    hits = np.flatnonzero(values == np.repeat(smallest, counts))
    return hits[np.concatenate([[True], owner[hits[1:]] != owner[hits[:-1]]])]


def _geos_distance(px: np.ndarray, py: np.ndarray, segments: Segments, index: np.ndarray) -> np.ndarray:
    """Point-to-segment distance computed as GEOS's ``Distance::pointToSegment`` does."""
    ax, ay, bx, by = segments.ax[index], segments.ay[index], segments.bx[index], segments.by[index]
    with np.errstate(divide="ignore", invalid="ignore"):
        length2 = (bx - ax) * (bx - ax) + (by - ay) * (by - ay)
        r = ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / length2
        s = ((ay - py) * (bx - ax) - (ax - px) * (by - ay)) / length2
        across = np.abs(s) * np.sqrt(length2)
    to_a = np.sqrt((px - ax) * (px - ax) + (py - ay) * (py - ay))
    to_b = np.sqrt((px - bx) * (px - bx) + (py - by) * (py - by))
    point = (ax == bx) & (ay == by)
    return np.where(point | (r <= 0.0), to_a, np.where(r >= 1.0, to_b, across))


def _closest_point(px: np.ndarray, py: np.ndarray, segments: Segments, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The point of each segment nearest to (px, py), computed as GEOS's ``LineSegment::closestPoint`` does."""
    ax, ay, bx, by = segments.ax[index], segments.ay[index], segments.bx[index], segments.by[index]
    dx, dy = bx - ax, by - ay
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)
    factor = np.where((px == ax) & (py == ay), 0.0, np.where((px == bx) & (py == by), 1.0, factor))
    inside = (factor > 0.0) & (factor < 1.0)
    to_a = np.sqrt((ax - px) * (ax - px) + (ay - py) * (ay - py))
    to_b = np.sqrt((bx - px) * (bx - px) + (by - py) * (by - py))
    end_x, end_y = np.where(to_a < to_b, ax, bx), np.where(to_a < to_b, ay, by)
    return (np.where(inside, ax + factor * dx, end_x), np.where(inside, ay + factor * dy, end_y))
