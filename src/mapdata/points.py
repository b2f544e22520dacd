"""Distinct coordinates: a number for each distinct (x, y) pair, by first appearance.

Events repeat places massively (reference points, named places), so the join and the cache work
once per distinct point and reach the events through these numbers.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from geopandas.array import GeometryArray

from . import schema

_MIX = np.uint64(0x9E3779B97F4A7C15)


def number_pairs(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A number per distinct (x, y) pair (0, 1, … by first appearance), one per input position.

    Pairs are equal when their bits are. One hash table over a 64-bit mix of both coordinates'
    bits; should two different pairs share a mix (some pair then differs from its number's first
    pair), each coordinate is numbered on its own and the two numbers combined.
    """
    bits = np.stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)], axis=1).view(np.uint64)
    numbers = pd.factorize(bits[:, 0] * _MIX ^ bits[:, 1])[0]
    if np.array_equal(bits[first_positions(numbers)][numbers], bits):
        return numbers
    x_number = pd.factorize(bits[:, 0])[0].astype(np.int64)
    y_number = pd.factorize(bits[:, 1])[0]
    return pd.factorize(x_number * (y_number.max() + 1) + y_number)[0]


def first_positions(numbers: np.ndarray) -> np.ndarray:
    """For numbers 0 … k-1 (each used at least once), the position where each first appears."""
    first = np.empty(numbers.max() + 1 if len(numbers) else 0, dtype=np.int64)
    first[numbers[::-1]] = np.arange(len(numbers) - 1, -1, -1)
    return first


def shared_points(x: np.ndarray, y: np.ndarray, number: np.ndarray) -> GeometryArray:
    """Point geometries for positions numbered by :func:`number_pairs`: one object per distinct
    number (from the coordinates where it first appears), shared by every position with it."""
    with _collector_paused():
        first = first_positions(number)
        return gpd.array.from_shapely(shapely.points(x[first], y[first])[number], crs=schema.CRS)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while many point objects are made: they cannot form
    cycles, and the full collections their number sets off would take longer than making them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
