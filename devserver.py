"""Start the app in a Streamlit server of its own, for the browser tests and the benchmarks.

``StreamlitServer.start()`` runs ``streamlit run serve.py`` (or another script) on 127.0.0.1 and a
free port, in its own process group, logging to a file, and returns once the server answers its
health check; ``stop()`` ends the whole group. The file watcher is off, so files changing under a
running suite cause no reloads. Not part of the library (it runs the app on top of it) and not a
page: tests/ (pytest's ``pythonpath``) and bench/ (its scripts put the project folder on
``sys.path``) import it from here.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent
START_TIMEOUT_S = 90


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class StreamlitServer:
    """A running ``streamlit run`` of this project, in its own process group (``pgid``)."""

    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pgid(self) -> int:
        return self.process.pid

    @classmethod
    def start(cls, script: str = "serve.py", *, log: Path, events: Path | None = None) -> StreamlitServer:
        """Serve ``script`` on the embedded data, or on ``events`` (``MAPDATA_EVENTS``), logging to
        ``log``; return when it is healthy. A server that fails to come up is stopped."""
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "MAPDATA_EVENTS"}
        if events is not None:
            env["MAPDATA_EVENTS"] = str(events)
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
                 "--server.port", str(port), "--server.address", "127.0.0.1",
                 "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        server = cls(port, process, log)
        try:
            server._wait_healthy()
        except BaseException:
            server.stop()
            raise
        return server

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.process.returncode} (log {self.log_path}):\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200 and response.read().strip() == b"ok":
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"streamlit not healthy after {START_TIMEOUT_S} s (log {self.log_path}):\n{self.log_tail()}")

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the server's log."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """End the server's process group: SIGTERM, SIGKILL after 10 s, then any stragglers."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.pgid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.pgid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass
        try:  # stragglers of the group (none expected)
            os.killpg(self.pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
