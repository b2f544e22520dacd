"""All configuration in one place: paths and limits, each with a default and one line of help.

Paths are derived from this file's location, never from the working directory. A setting can be
overridden with an environment variable named ``MAPDATA_<NAME>`` (for example
``MAPDATA_EVENTS=/path/file.csv``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Setting:
    """One configuration key: its default, how to parse an override, and what it is for."""

    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str


SHIPPED_EVENTS = ROOT / "data" / "events.csv"
"""The embedded dataset (its provenance is in data/README.md and on the Sources & method page)."""

SETTINGS: tuple[Setting, ...] = (
    Setting("EVENTS", SHIPPED_EVENTS, "Events CSV the app and CLI read by default.", Path),
    Setting("GEO_DIR", ROOT / "geo", "Geography folder the app and CLI use: regions, countries, border lines, geography.json (built by `mapdata geo build`; the shipped one by `mapdata build-geo`). The CLI's --geo DIR sets it per command; boundary files uploaded on the Import page replace it for that browser session.", Path),
    Setting(
        "SOURCE_BOUNDARIES",
        ROOT.parent / "shared" / "data" / "boundaries",
        "geoBoundaries source files that `mapdata build-geo` reads.",
        Path,
    ),
    Setting(
        "SOURCE_GAZETTEER",
        ROOT.parent / "shared" / "data" / "gazetteer" / "gazetteer_border.csv",
        "Sourced gazetteer used for alternative place names.",
        Path,
    ),
    Setting("NEAREST_TOLERANCE_KM", 3.0, "A point in no region polygon takes the nearest region only within this distance (the two countries' sources disagree by up to ~2.3 km along the border).", float),
    Setting("BORDER_TOLERANCE_KM", 2.5, "When a geography is built, a country's outline counts as land border where it lies within this distance of a neighbouring country (two countries' sources rarely coincide).", float),
    Setting("METRIC_CRS", "", "Override only: projected CRS (metres) for distances and buffers. Empty: the UTM zone of the geography's centre (stored in its geography.json).", str),
    Setting("UPLOAD_LIMIT_MB", 50, "Largest file the Import page accepts, in MB (its text and its uploader both say it; at most Streamlit's server.maxUploadSize, 200).", int),
    Setting("MAX_UNZIPPED_MB", 4000, "Largest table a .zip may unpack to, in MB; a bigger member (a zip bomb, or a file to unzip first) is refused before it is read.", int),
    Setting("MAX_ROWS", 5_000_000, "Largest number of data rows a file may have; more is refused with a message.", int),
    Setting("STREAM_MB", 256, "`mapdata export` reads an events file larger than this (MB) that has no cache entry chunk by chunk, in bounded memory, instead of loading it whole (and caching it); 0 streams every file without an entry.", float),
    Setting("STREAM_CHUNK_MB", 64, "Bytes of the file each step of a streamed export reads at once (MB): its memory follows this, not the file's size.", float),
    Setting("MAX_FIELD_CHARS", 100_000, "Longer text cells are rejected as not an event record.", int),
    Setting("ASSETS_DIR", ROOT / "static" / "vendor", "Where `mapdata.assets.fetch_assets()` puts the Leaflet JS/CSS (git-ignored; Streamlit serves `static/`).", Path),
    Setting("ASSETS_URL", "/app/static/vendor", "URL prefix under which the browser loads ASSETS_DIR (Streamlit static serving; absolute, because the map runs in a component iframe).", str),
    Setting("CACHE_DIR", ROOT / ".cache", "Where load_dataset keeps an Arrow copy of each loaded and joined events file, keyed by its content hash (git-ignored); `off` disables it.", lambda raw: None if raw.strip().lower() in ("off", "none", "0") else Path(raw)),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> Any:
    """Return the value of setting ``name``: the environment override if set, else the default."""
    setting = _BY_NAME[name]
    raw = os.environ.get(f"MAPDATA_{name}")
    return setting.default if raw in (None, "") else setting.parse(raw)


def geo_path(layer: str) -> Path:
    """Path of a shipped boundary layer (``regions``, ``countries`` or ``border``)."""
    return get("GEO_DIR") / f"{layer}.geojson"
