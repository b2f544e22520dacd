"""serve.py, the README's way to start the app: the libraries are loaded before the server
accepts connections (the browser tests run the whole app through it). Here: a failing preload
must not keep the server from starting; the pages then report the problem themselves."""

from __future__ import annotations

import urllib.request

from browser_support import ARTIFACTS
from devserver import StreamlitServer


def test_the_server_starts_when_the_preload_fails(tmp_path, monkeypatch):
    monkeypatch.setenv("MAPDATA_GEO_DIR", str(tmp_path))  # no boundary layers there
    server = StreamlitServer.start(log=ARTIFACTS / "streamlit-serve-no-layers.log")
    try:
        with urllib.request.urlopen(server.url + "/_stcore/health", timeout=10) as response:
            assert response.read() == b"ok"
        with urllib.request.urlopen(server.url + "/", timeout=10) as response:
            assert response.status == 200
        assert "start-up preload skipped: Boundary layer 'regions' not found" in server.log_tail()
    finally:
        server.stop()
