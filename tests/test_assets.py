"""Offline front-end assets: folium's URLs rewritten to local copies; the npm fetch (marked network)."""

from __future__ import annotations

import subprocess
import sys
import urllib.request

import folium
import folium.plugins
import pytest

from mapdata import assets
from mapdata.errors import MapdataError
from mapdata.layers.snapshot import SnapshotButton


@pytest.fixture(autouse=True)
def restore_folium(monkeypatch):
    for cls in (folium.Map, folium.plugins.HeatMap, folium.plugins.Draw, SnapshotButton):
        monkeypatch.setattr(cls, "default_js", cls.default_js)
        monkeypatch.setattr(cls, "default_css", cls.default_css)


def test_folium_names_cdns_before_the_rewrite():
    """In a fresh interpreter (the rewrite changes class attributes for the whole process)."""
    code = "import folium; from mapdata import assets; print(len(assets.external_urls(folium.Map(tiles=None))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) > 0


def test_use_local_assets_points_every_script_and_stylesheet_at_base_url():
    assets.use_local_assets("/app/static/vendor/")
    m = folium.Map(tiles=None)
    folium.plugins.HeatMap([[40.0, 45.0]]).add_to(m)
    folium.plugins.Draw().add_to(m)
    html = m.get_root().render()
    assert assets.external_urls(m) == []
    assert "https://" not in "".join(u for _, u in folium.Map.default_js + folium.Map.default_css)
    for path in ("leaflet-1.9.3/dist/leaflet.js", "leaflet-1.9.3/dist/leaflet.css", "jquery-3.7.1/dist/jquery.min.js",
                 f"folium-{folium.__version__}/leaflet_heat.min.js", "leaflet-draw-1.0.4/dist/leaflet.draw.js",
                 "leaflet-draw-1.0.4/dist/leaflet.draw.css"):
        assert f'"/app/static/vendor/{path}"' in html
    assert "bootstrap" not in html and "awesome" not in html


def test_base_url_defaults_to_the_setting_and_must_be_absolute():
    assets.use_local_assets()
    assert folium.Map.default_js[0][1] == "/app/static/vendor/leaflet-1.9.3/dist/leaflet.js"
    with pytest.raises(assets.AssetError, match="absolute"):
        assets.use_local_assets("app/static/vendor")
    assert issubclass(assets.AssetError, MapdataError)


def test_every_rewritten_url_is_a_file_fetch_assets_provides(tmp_path):
    assets.use_local_assets("/base")
    provided = {"/base/" + p.relative_to(tmp_path).as_posix() for p in assets.asset_files(tmp_path)}
    used = {u for _, u in folium.Map.default_js + folium.Map.default_css + folium.plugins.HeatMap.default_js
            + folium.plugins.Draw.default_js + folium.plugins.Draw.default_css + SnapshotButton.default_js}
    assert used <= provided and len(used) == 7


def test_integrity_mismatch_is_refused():
    with pytest.raises(assets.AssetError, match="does not match"):
        assets._check_integrity(b"tampered", "sha512-" + "A" * 86 + "==", "pkg@1")
    with pytest.raises(assets.AssetError, match="no sha512"):
        assets._check_integrity(b"x", "sha1-abc", "pkg@1")


def _registry_reachable() -> bool:
    try:
        with urllib.request.urlopen(f"{assets.REGISTRY}/jquery/3.7.1", timeout=5):
            return True
    except OSError:
        return False


@pytest.mark.network
def test_fetch_assets_downloads_verifies_and_is_idempotent(tmp_path):
    if not _registry_reachable():
        pytest.skip("npm registry not reachable")
    files = assets.fetch_assets(tmp_path)
    assert files == assets.asset_files(tmp_path) and all(p.is_file() and p.stat().st_size > 0 for p in files)
    assert b"Leaflet" in (tmp_path / "leaflet-1.9.3" / "dist" / "leaflet.js").read_bytes()[:300]
    stamps = [p.stat().st_mtime_ns for p in files]
    assets.fetch_assets(tmp_path)
    assert [p.stat().st_mtime_ns for p in files] == stamps


@pytest.mark.network
def test_fetch_axe_checks_the_pinned_hash_and_is_idempotent(tmp_path):
    if not _registry_reachable():
        pytest.skip("npm registry not reachable")
    path = assets.fetch_axe(tmp_path)
    assert path == tmp_path / f"axe-core-{assets.AXE.version}" / "axe.min.js"
    assert f"axe v{assets.AXE.version}".encode() in path.read_bytes()[:500]
    stamp = path.stat().st_mtime_ns
    assets.fetch_axe(tmp_path)
    assert path.stat().st_mtime_ns == stamp
