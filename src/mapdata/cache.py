"""A Parquet copy of each loaded and joined events file, keyed by the file's content hash.

The second load of the same file reads two Parquet files instead of parsing, validating and
joining the CSV again (a million events: well under a second instead of seconds). The key is the
SHA-256 of the file's bytes together with everything else the result depends on: the boundary
layers, the settings the join uses, the library's own source code and today's date (a row dated
in the future becomes valid later). Hashing a large file takes a moment, so a small index keeps
each path's size, modification time and inode with its hash and reuses the hash while they are
unchanged, as git's index does.

The folder is the ``CACHE_DIR`` setting (git-ignored ``.cache/`` by default; ``off`` disables
caching). A missing, stale or unreadable entry is never an error: the file is simply loaded again.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import config, schema

FORMAT_VERSION = 1
_INDEX = "index.json"
_HASHED_SETTINGS = ("NEAREST_TOLERANCE_KM", "BORDER_TOLERANCE_KM", "METRIC_CRS", "MAX_FIELD_CHARS", "GEO_DIR")


def folder() -> Path | None:
    """The cache folder, or None when caching is off."""
    return config.get("CACHE_DIR")


def key(path: Path) -> str | None:
    """The cache key of events file ``path`` under the current layers, settings and code; None when off."""
    where = folder()
    if where is None:
        return None
    parts = [f"format {FORMAT_VERSION}", file_hash(path), date.today().isoformat(), _environment()]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def load(cache_key: str | None) -> tuple[gpd.GeoDataFrame, pd.DataFrame] | None:
    """The joined events and rejected rows stored under ``cache_key``, or None."""
    if cache_key is None:
        return None
    base = folder() / cache_key
    try:
        events = pd.read_parquet(base.with_suffix(".events.parquet"))
        rejected = pd.read_parquet(base.with_suffix(".rejected.parquet"))
    except (OSError, ValueError, ImportError):
        return None
    events = events.astype({c: unit for c, unit in _units(base).items() if c in events.columns})
    position = events.columns.get_loc("_x")
    geometry = gpd.points_from_xy(events.pop("_x"), events.pop("_y"), crs=schema.CRS)
    events.insert(position, "geometry", geometry)
    return gpd.GeoDataFrame(events, geometry="geometry", crs=schema.CRS), rejected


def store(cache_key: str | None, events: gpd.GeoDataFrame, rejected: pd.DataFrame) -> None:
    """Keep ``events`` (points only) and ``rejected`` under ``cache_key``; failures are ignored."""
    if cache_key is None or events.geometry.name != "geometry" or not events.geom_type.eq("Point").all():
        return
    base = folder() / cache_key
    frame = pd.DataFrame(events).drop(columns="geometry")
    position = events.columns.get_loc("geometry")
    frame.insert(position, "_x", events.geometry.x.to_numpy())
    frame.insert(position + 1, "_y", events.geometry.y.to_numpy())
    try:
        base.parent.mkdir(parents=True, exist_ok=True)
        units = {c: str(frame[c].dtype) for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])}
        _atomic(base.with_suffix(".units.json"), lambda p: p.write_text(json.dumps(units)))  # Parquet has no seconds unit
        _atomic(base.with_suffix(".rejected.parquet"), lambda p: rejected.to_parquet(p, index=False))
        _atomic(base.with_suffix(".events.parquet"), lambda p: frame.to_parquet(p, index=False))
    except (OSError, ValueError, ImportError):
        return


def _units(base: Path) -> dict:
    try:
        return json.loads(base.with_suffix(".units.json").read_text())
    except (OSError, ValueError):
        return {}


def file_hash(path: Path) -> str:
    """SHA-256 of the file's bytes, reused from the index while size, mtime and inode are unchanged."""
    path = Path(path).resolve()
    stat = path.stat()
    signature = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
    index_path = folder() / _INDEX if folder() else None
    index = _read_index(index_path)
    known = index.get(str(path))
    if known and known[:3] == signature:
        return known[3]
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    if index_path is not None:
        index[str(path)] = signature + [digest]
        try:
            index_path.parent.mkdir(parents=True, exist_ok=True)
            _atomic(index_path, lambda p: p.write_text(json.dumps(index)))
        except OSError:
            pass
    return digest


def _environment() -> str:
    """Everything besides the file that the loaded, joined result depends on."""
    digest = hashlib.sha256()
    for name in _HASHED_SETTINGS:
        digest.update(f"{name}={config.get(name)}\n".encode())
    for layer in ("regions", "border"):
        layer_path = config.geo_path(layer)
        digest.update(layer_path.read_bytes() if layer_path.exists() else b"missing")
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _read_index(index_path: Path | None) -> dict:
    if index_path is None:
        return {}
    try:
        return json.loads(index_path.read_text())
    except (OSError, ValueError):
        return {}


def _atomic(target: Path, write) -> None:
    """Write through a temporary file and rename, so a reader never sees half a file."""
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
