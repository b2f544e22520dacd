"""The store's manifest (``manifest.json``): what the store holds and how it was made.

It lists every source file (path, size, SHA-256, format, rows read, accepted, rejected), every
part file (partition year, size, rows), the schema version, the boundary layers the events were
joined to (with their hashes) and the build times. A store is opened only through
:func:`read`, which refuses, with one message each, a manifest of a newer store version, a
listed part that is missing, or one whose size differs from the record (truncated or replaced).
The manifest is written last, as the build's commit point: locally through a rename, on an object
store (no rename there) as one upload, which appears whole or not at all; parts a failed build
left behind are not in it, so no reader sees them.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .location import Location, locate

from .. import config, schema
from ..errors import MapdataError
from ..files import write_text_atomically
from ..geo import load_geography

STORE_VERSION = 2
"""How a store is laid out and what its columns mean. Bump it when either changes: a store made
by another version is refused with a message, never misread."""

UPGRADES: dict[int, str] = {
    2: "events outside every region have an empty border_km, and parts are sorted by region in small row groups",
}
"""What each store version changed, named when an older store is refused."""

MANIFEST = "manifest.json"
KIND = "mapdata-store"


class StoreError(MapdataError):
    """A store cannot be read or extended (missing or damaged parts, a newer version, other layers)."""


@dataclass
class Source:
    """One source file as it went into the store."""

    id: int
    path: str
    name: str
    size: int
    sha256: str
    format: str
    rows: int
    accepted: int
    rejected: int
    chunks: int
    added: str


@dataclass
class Part:
    """One GeoParquet file of the store: ``year=YEAR/NAME``, its size and rows, and the first and
    last day of its events (ISO dates; a window counts until its last day)."""

    year: int
    name: str
    size: int
    rows: int
    first: str
    last: str

    @property
    def relpath(self) -> str:
        return f"year={self.year}/{self.name}"


@dataclass
class Manifest:
    """The whole manifest; see the module docstring."""

    geography: dict
    sources: list[Source] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    builds: list[str] = field(default_factory=list)
    store_version: int = STORE_VERSION
    kind: str = KIND

    @property
    def events(self) -> int:
        return sum(p.rows for p in self.parts)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, ensure_ascii=False)


def geography(geo_dir: Path) -> dict:
    """The geography folder and join settings the events are joined with, with every file's hash."""
    for layer in ("regions", "border"):
        if not (geo_dir / f"{layer}.geojson").is_file():
            raise StoreError(f"{geo_dir}: no {layer}.geojson (a geography folder made by `mapdata geo build`)")
    layers = {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
              for path in sorted(geo_dir.iterdir()) if path.is_file()}
    return {"geo_dir": str(geo_dir), "layers": layers,
            "nearest_tolerance_km": config.get("NEAREST_TOLERANCE_KM"), "metric_crs": load_geography(geo_dir).metric_crs,
            "schema": [c.name for c in schema.COLUMNS]}


def is_store(path: str | os.PathLike | Location) -> bool:
    """Whether ``path`` (a folder or a URL) holds a store manifest."""
    return (locate(path) / MANIFEST).is_file()


def read(store: Location) -> Manifest:
    """The manifest of ``store``, checked against the files (see the module docstring)."""
    path = store / MANIFEST
    try:
        raw = json.loads(path.read_bytes().decode("utf-8"))
        if raw.get("kind") != KIND:
            raise StoreError(f"{path}: not a mapdata store manifest")
        if int(raw["store_version"]) > STORE_VERSION:
            raise StoreError(f"{store}: store version {raw['store_version']} was written by a newer mapdata "
                             f"(this one reads version {STORE_VERSION}); upgrade mapdata or rebuild the store")
        if int(raw["store_version"]) < STORE_VERSION:
            raise StoreError(f"{store}: store version {raw['store_version']} was written by an older mapdata "
                             f"(this one reads version {STORE_VERSION}: {UPGRADES[STORE_VERSION]}); rebuild the store")
        manifest = Manifest(geography=raw["geography"], sources=[Source(**s) for s in raw["sources"]],
                            parts=[Part(**p) for p in raw["parts"]], columns=dict(raw["columns"]),
                            builds=list(raw["builds"]), store_version=int(raw["store_version"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StoreError(f"{path}: unreadable store manifest ({exc})") from None
    _check_parts(store, manifest)
    return manifest


def _check_parts(store: Location, manifest: Manifest) -> None:
    """Every listed part there with its recorded size (on an object store, one listing of the store)."""
    sizes = store.sizes(part.relpath for part in manifest.parts)
    partitions = {name.split("/", 1)[0] for name in sizes}
    for part in manifest.parts:
        if f"year={part.year}" not in partitions:
            raise StoreError(f"{store}: partition year={part.year} is missing; rebuild the store")
        size = sizes.get(part.relpath)
        if size is None:
            raise StoreError(f"{store}: part {part.relpath} is missing; rebuild the store")
        if size != part.size:
            raise StoreError(f"{store}: part {part.relpath} has {size:,} bytes, the manifest says {part.size:,} "
                             "(truncated or replaced); rebuild the store")


def write(store: Location, manifest: Manifest) -> None:
    """Write the manifest so that a reader never sees half of it: locally through a temporary file
    and a rename, on an object store as one upload."""
    if store.local:
        write_text_atomically(Path(store.path, MANIFEST), manifest.to_json())
    else:
        (store / MANIFEST).write_bytes(manifest.to_json().encode("utf-8"))
