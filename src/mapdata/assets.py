"""The JavaScript and CSS the map needs, served from our own server instead of CDNs.

folium's ``Map`` and plugins name CDN URLs in their ``default_js`` / ``default_css`` class
attributes; streamlit-folium copies exactly those URLs into its component iframe (it drops the
``<script src>``/``<link>`` tags from folium's header and loads ``js_links``/``css_links``
collected from the same attributes). So rewriting those attributes is enough to go offline.

Two steps, done once per checkout and once per process:

* ``fetch_assets()`` downloads pinned npm tarballs from the npm registry, checks each one against
  its pinned ``dist.integrity`` (sha512, the one the registry publishes) and extracts only the files listed in ``_PACKAGES``
  into ``ASSETS_DIR`` (``static/vendor/``, git-ignored). The heat-map script is copied from the
  installed folium package, which ships the patched build its ``HeatMap`` expects.
* ``use_local_assets()`` points folium's URLs at those copies (``ASSETS_URL``), and drops what our
  layers never use (Bootstrap, Font Awesome, awesome-markers, glyphicons).

Nothing here is fetched at run time: the app only reads files that ``fetch_assets()`` left.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import tarfile
import urllib.request
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import folium
import folium.plugins

from mapdata import config
from mapdata.errors import MapdataError
from mapdata.layers.snapshot import SnapshotButton

REGISTRY = "https://registry.npmjs.org"
_TIMEOUT_S = 60


class AssetError(MapdataError):
    """A front-end asset could not be fetched, verified or found."""


@dataclass(frozen=True)
class _Package:
    """One pinned npm package: its version, the registry's published ``dist.integrity`` of that
    version's tarball (checked on download), and the files we take from it (paths below ``package/``)."""

    name: str
    version: str
    integrity: str
    files: tuple[str, ...]

    @property
    def folder(self) -> str:
        return f"{self.name}-{self.version}"


_LEAFLET = _Package(
    "leaflet",
    "1.9.3",  # the version folium 0.20's Map names
    "sha512-iB2cR9vAkDOu5l3HAay2obcUHZ7xwUBBjph8+PGtmW/2lYhbLizWtG7nTeYht36WfOslixQF9D/uSIzhZgGMfQ==",
    (
        "dist/leaflet.js",
        "dist/leaflet.css",
        # leaflet.css refers to these by relative URL (layer control, default marker icon)
        "dist/images/layers.png",
        "dist/images/layers-2x.png",
        "dist/images/marker-icon.png",
        "dist/images/marker-icon-2x.png",
        "dist/images/marker-shadow.png",
    ),
)
_JQUERY = _Package(  # folium.Popup uses $(...)
    "jquery", "3.7.1",
    "sha512-m4avr8yL8kmFN8psrbFFFmB/If14iN5o9nw/NgnnM+kybDJpRsAynV2BsfpTYrTRysYUdADVD7CkUUizgkpLfg==",
    ("dist/jquery.min.js",),
)
_DRAW = _Package(  # folium.plugins.Draw names Leaflet.draw 1.0.2 on a CDN; 1.0.4 is its npm release with the same API
    "leaflet-draw", "1.0.4",
    "sha512-rsQ6saQO5ST5Aj6XRFylr5zvarWgzWnrg46zQ1MEOEIHsppdC/8hnN8qMoFvACsPvTioAuysya/TVtog15tyAQ==",
    ("dist/leaflet.draw.js", "dist/leaflet.draw.css", "dist/images/spritesheet.png", "dist/images/spritesheet-2x.png",
     "dist/images/spritesheet.svg"),
)

_SNAPSHOT = _Package(  # draws the map's frame into a PNG for "Download map image" (mapdata.layers.snapshot)
    "html-to-image", "1.11.13",
    "sha512-cuOPoI7WApyhBElTTb9oqsawRvZ0rHhaHwghRLlTuffoD1B2aDemlCruLeZrUIIdvG7gs9xeELEPm6PhuASqrg==",
    ("dist/html-to-image.js",),
)

_PACKAGES: tuple[_Package, ...] = (_LEAFLET, _JQUERY, _DRAW, _SNAPSHOT)

AXE = _Package(
    "axe-core", "4.14.1",
    "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
    ("axe.min.js",),
)
"""Deque's accessibility rule engine (MPL-2.0), for the browser tests only: they inject it into
every page and the map's frame. The app never loads it."""

# folium ships Leaflet.heat with a weights fix (Leaflet.heat PR #78) that npm's 0.2.0 lacks.
_HEAT_FOLDER = f"folium-{folium.__version__}"
_HEAT_FILE = "leaflet_heat.min.js"


def asset_files(dest: Path | None = None) -> list[Path]:
    """Every file ``fetch_assets`` provides, as paths below ``dest`` (default ``ASSETS_DIR``)."""
    root = _dest(dest)
    files = [root / pkg.folder / f for pkg in _PACKAGES for f in pkg.files]
    return files + [root / _HEAT_FOLDER / _HEAT_FILE]


def fetch_assets(dest: Path | None = None) -> list[Path]:
    """Download and verify the pinned front-end files into ``dest`` (default ``ASSETS_DIR``).

    Idempotent: a package whose files are all present is not downloaded again. Returns the
    paths of all asset files. Raises ``AssetError`` when the registry cannot be reached or a
    tarball does not match its published sha512 integrity.
    """
    root = _dest(dest)
    for pkg in _PACKAGES:
        _fetch_package(pkg, root)
    _copy_folium_heat(root / _HEAT_FOLDER / _HEAT_FILE)
    return asset_files(root)


def fetch_axe(dest: Path | None = None) -> Path:
    """Download and verify axe-core (:data:`AXE`) into ``dest`` (default ``ASSETS_DIR``) once;
    return the path of ``axe.min.js``. Raises ``AssetError`` like :func:`fetch_assets`."""
    root = _dest(dest)
    _fetch_package(AXE, root)
    return root / AXE.folder / AXE.files[0]


def _fetch_package(pkg: _Package, root: Path) -> None:
    if not all((root / pkg.folder / f).is_file() for f in pkg.files):
        _extract(pkg, _download_verified(pkg), root / pkg.folder)


def use_local_assets(base_url: str | None = None) -> None:
    """Point folium's script and stylesheet URLs at the locally served copies.

    ``base_url`` is the URL prefix of ``ASSETS_DIR`` in the browser (default ``ASSETS_URL``,
    ``/app/static/vendor``). It must be absolute (start with ``/`` or ``http``): inside
    streamlit-folium the map runs in an iframe served from ``/component/...``, where a relative
    URL resolves to the wrong place. Changes class attributes, so it affects every map built
    afterwards in this process; call it once at start-up.
    """
    base = (base_url if base_url is not None else config.get("ASSETS_URL")).rstrip("/")
    if not base.startswith(("/", "http://", "https://")):
        raise AssetError(f"base_url must be absolute ('/app/static/vendor' or 'http://...'), got {base_url!r}")
    leaflet, jquery, draw, snapshot = (f"{base}/{p.folder}" for p in (_LEAFLET, _JQUERY, _DRAW, _SNAPSHOT))
    folium.Map.default_js = [
        ("leaflet", f"{leaflet}/dist/leaflet.js"),
        ("jquery", f"{jquery}/dist/jquery.min.js"),
    ]
    folium.Map.default_css = [("leaflet_css", f"{leaflet}/dist/leaflet.css")]
    folium.plugins.HeatMap.default_js = [("leaflet-heat.js", f"{base}/{_HEAT_FOLDER}/{_HEAT_FILE}")]
    folium.plugins.Draw.default_js = [("leaflet_draw_js", f"{draw}/dist/leaflet.draw.js")]
    folium.plugins.Draw.default_css = [("leaflet_draw_css", f"{draw}/dist/leaflet.draw.css")]
    SnapshotButton.default_js = [("html_to_image", f"{snapshot}/dist/html-to-image.js")]


def external_urls(element: folium.Element) -> list[str]:
    """Script and stylesheet URLs below ``element`` that are not served by us (absolute http(s)).

    Walks the element tree the way streamlit-folium does when it collects ``js_links`` and
    ``css_links``; an empty list means the map loads nothing from the internet (tiles aside).
    """
    urls: list[str] = []
    for elem in _walk(element):
        for _, url in list(getattr(elem, "default_js", [])) + list(getattr(elem, "default_css", [])):
            if url.startswith(("http://", "https://", "//")) and url not in urls:
                urls.append(url)
    return urls


def _walk(element: folium.Element):
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def _dest(dest: Path | None) -> Path:
    return Path(dest) if dest is not None else config.get("ASSETS_DIR")


def _get(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "mapdata-fetch-assets"})
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
            return response.read()
    except OSError as exc:  # URLError, HTTPError, timeouts
        raise AssetError(f"Could not download {url}: {exc}") from exc


def _download_verified(pkg: _Package) -> bytes:
    meta = json.loads(_get(f"{REGISTRY}/{pkg.name}/{pkg.version}"))
    dist = meta.get("dist", {})
    if "tarball" not in dist or "integrity" not in dist:
        raise AssetError(f"Registry metadata for {pkg.name}@{pkg.version} has no dist.tarball/dist.integrity")
    if dist["integrity"] != pkg.integrity:
        raise AssetError(f"{pkg.name}@{pkg.version}: the registry publishes integrity {dist['integrity']}, "
                         f"pinned here is {pkg.integrity}")
    data = _get(dist["tarball"])
    _check_integrity(data, pkg.integrity, f"{pkg.name}@{pkg.version}")
    return data


def _check_integrity(data: bytes, integrity: str, what: str) -> None:
    """Compare ``data`` with an SRI string such as ``sha512-<base64>`` (only sha512 is accepted)."""
    wanted = [h.split("-", 1)[1] for h in integrity.split() if h.startswith("sha512-")]
    if not wanted:
        raise AssetError(f"{what}: no sha512 in integrity {integrity!r}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual not in wanted:
        raise AssetError(f"{what}: tarball sha512 {actual} does not match the registry's {wanted[0]}")


def _extract(pkg: _Package, tarball: bytes, folder: Path) -> None:
    wanted = set(pkg.files)
    found: set[str] = set()
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        for member in tar.getmembers():
            # npm tarballs have one top folder, usually "package/"; never trust member paths
            inner = member.name.split("/", 1)[-1]
            if inner not in wanted or not member.isfile():
                continue
            target = folder / inner
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None
            target.write_bytes(source.read())
            found.add(inner)
    if missing := wanted - found:
        raise AssetError(f"{pkg.name}@{pkg.version} tarball lacks {sorted(missing)}")


def _copy_folium_heat(target: Path) -> None:
    if target.is_file():
        return
    source = resources.files("folium") / "templates" / _HEAT_FILE
    if not source.is_file():
        raise AssetError(f"folium {folium.__version__} does not ship templates/{_HEAT_FILE}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as src, target.open("wb") as out:
        shutil.copyfileobj(src, out)
