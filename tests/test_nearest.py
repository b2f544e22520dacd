"""mapdata.nearest against GEOS: the same nearest point, bit for bit, wherever the point lies."""

from __future__ import annotations

import numpy as np
import shapely

from mapdata.nearest import Segments, nearest_points


def _zigzag(rng: np.random.Generator, n: int) -> np.ndarray:
    """A wiggly polyline of ``n`` vertices over a few hundred km (metres), like a border."""
    steps = rng.normal(0, 900, (n, 2)) + [700, 150]
    return np.cumsum(steps, axis=0) + [400_000, 4_400_000]


def _geos_nearest(points: np.ndarray, line: np.ndarray) -> np.ndarray:
    segments = shapely.linestrings(np.stack([line[:-1], line[1:]], axis=1))
    geoms = shapely.points(points)
    _, nearest = shapely.STRtree(segments).query_nearest(geoms, all_matches=False)
    return shapely.get_coordinates(shapely.get_point(shapely.shortest_line(geoms, segments[nearest]), 1))


def test_nearest_points_equal_geos_everywhere():
    rng = np.random.default_rng(7)
    line = _zigzag(rng, 800)
    low, high = line.min(axis=0), line.max(axis=0)
    t = rng.uniform(0, 1, (2000, 1))
    k = rng.integers(0, len(line) - 1, 2000)
    points = np.concatenate([
        rng.uniform(low - 100_000, high + 100_000, (20_000, 2)),  # around the line, up to 100 km off
        line[rng.integers(0, len(line), 500)],  # on vertices
        line[k] + t * (line[k + 1] - line[k]),  # on segments
        line[rng.integers(0, len(line), 2000)] + rng.normal(0, 20, (2000, 2)),  # a few metres off
        rng.uniform(-2e7, 2e7, (2000, 2)),  # anywhere on the globe's scale
    ])
    x, y = nearest_points(points[:, 0], points[:, 1], Segments.from_coordinates(line[:-1], line[1:]))
    expected = _geos_nearest(points, line)
    assert np.array_equal(x, expected[:, 0]) and np.array_equal(y, expected[:, 1])


def test_not_finite_points_and_no_segments_give_nan():
    line = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]])
    segments = Segments.from_coordinates(line[:-1], line[1:])
    x, y = nearest_points(np.array([np.nan, 5.0, np.inf]), np.array([1.0, 3.0, 0.0]), segments)
    assert np.isnan(x[[0, 2]]).all() and (x[1], y[1]) == (5.0, 0.0)
    empty = Segments.from_coordinates(np.zeros((0, 2)), np.zeros((0, 2)))
    assert np.isnan(nearest_points(np.array([1.0]), np.array([1.0]), empty)[0]).all()


def test_a_zero_length_segment_is_a_point():
    segments = Segments.from_coordinates(np.array([[3.0, 4.0], [100.0, 100.0]]), np.array([[3.0, 4.0], [200.0, 100.0]]))
    x, y = nearest_points(np.array([0.0]), np.array([0.0]), segments)
    assert (x[0], y[0]) == (3.0, 4.0)
