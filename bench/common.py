"""Shared helpers of the benchmark scripts: timing, medians, the machine line, table printing."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"


@contextmanager
def timer(results: dict, key: str):
    start = time.perf_counter()
    yield
    results[key] = time.perf_counter() - start


def machine() -> str:
    """One line naming the machine the numbers come from."""
    return (f"{platform.platform()} · Python {platform.python_version()} · os.cpu_count() = {os.cpu_count()} · "
            f"{platform.processor() or platform.machine()}")


def median(values: list[float | None]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def run_worker(script: Path, args: list[str], timeout: float | None = None, env: dict | None = None) -> dict | None:
    """Run ``script --worker ...`` in a fresh interpreter; its last stdout line is a JSON dict.

    None when it ran out of ``timeout``.
    """
    try:
        out = subprocess.run([sys.executable, str(script), "--worker", *args], capture_output=True, text=True,
                             timeout=timeout, cwd=ROOT, env={**os.environ, **(env or {})})
    except subprocess.TimeoutExpired:
        return None
    if out.returncode != 0:
        raise RuntimeError(f"worker failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def megabytes(value: float | None) -> str:
    return "–" if value is None else f"{value / 1e6:.2f} MB"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i == 0 else "--:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
