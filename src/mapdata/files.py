"""Writing files so that a reader never sees half of one: the one atomic-write helper."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Callable


def write_atomically(target: Path, write: Callable[[Path], object]) -> Path:
    """Call ``write`` on a temporary file beside ``target``, then rename it onto ``target``.

    The temporary name is unique per call (several processes may write the same file); it is
    removed when ``write`` fails. Returns ``target``.
    """
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def write_text_atomically(target: Path, text: str) -> Path:
    """:func:`write_atomically` for UTF-8 text."""
    return write_atomically(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))
