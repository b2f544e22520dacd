"""Where a source or a store is: a local path, or an fsspec URL (``s3://bucket/key``, ``file://…``).

:func:`locate` turns either into a :class:`Location`, the one place the store's code asks for a
file system. A local path (a ``file://`` URL included) keeps plain ``os`` calls and is handed to
readers and writers as a path, exactly as before; a URL goes through its fsspec file system
(``s3fs`` for ``s3://``, an optional dependency: ``pip install mapdata[s3]``), whose settings come
from the usual places (for S3 the ``AWS_*`` variables and files, ``AWS_ENDPOINT_URL`` for another
endpoint; fsspec's ``FSSPEC_S3_*`` variables). Only strings cross to Dask workers: each worker
locates them again with its own credentials. An object store has no rename: a file written
there appears whole or not at all, and "moving" one is a copy and a delete.
"""

from __future__ import annotations

import io
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterable, Iterator

from ..errors import MapdataError


def is_url(where: str | os.PathLike) -> bool:
    """Whether ``where`` names a URL (``scheme://…``) rather than a local path."""
    return "://" in os.fspath(where)


def path_or_url(text: str) -> Path | str:
    """A command-line value as a ``Path``, or unchanged when it is a URL (a ``Path`` would fold ``//``)."""
    return text if is_url(text) else Path(text)


@dataclass(frozen=True)
class Location:
    """A file or folder: ``fs`` is None for a local path (``path`` absolute), else the fsspec file
    system and its path without the scheme. ``str()`` gives the path or the full URL."""

    fs: object | None
    path: str

    def __str__(self) -> str:
        return self.path if self.fs is None else self.fs.unstrip_protocol(self.path)

    def __truediv__(self, name: str) -> Location:
        return Location(self.fs, os.path.join(self.path, name) if self.fs is None else f"{self.path}/{name}")

    @property
    def local(self) -> bool:
        return self.fs is None

    @property
    def name(self) -> str:
        return self.path.rstrip("/").rsplit("/", 1)[-1] if self.fs is not None else os.path.basename(self.path)

    @property
    def parent(self) -> Location:
        return Location(self.fs, os.path.dirname(self.path) if self.fs is None else self.path.rstrip("/").rsplit("/", 1)[0])

    def open(self, mode: str = "rb") -> IO:
        return open(self.path, mode) if self.fs is None else self.fs.open(self.path, mode)

    def is_file(self) -> bool:
        return os.path.isfile(self.path) if self.fs is None else self.fs.isfile(self.path)

    def size(self) -> int:
        """The file's size in bytes; ``FileNotFoundError`` when it is not there."""
        return os.path.getsize(self.path) if self.fs is None else int(self.fs.size(self.path))

    def names(self) -> list[str]:
        """The names in a folder (none when it does not exist)."""
        if self.fs is None:
            return os.listdir(self.path) if os.path.isdir(self.path) else []
        if not self.fs.isdir(self.path):
            return []
        return [entry.rstrip("/").rsplit("/", 1)[-1] for entry in self.fs.ls(self.path, detail=False)]

    def sizes(self, names: Iterable[str]) -> dict[str, int]:
        """The size of each of the files ``names`` (paths below this folder) that is there: a stat
        each locally, one listing of the folder on an object store."""
        if self.fs is None:
            found = {}
            for name in names:
                try:
                    found[name] = os.stat(os.path.join(self.path, name)).st_size
                except FileNotFoundError:
                    continue
            return found
        listing = {entry[len(self.path) + 1:]: int(info["size"])
                   for entry, info in self.fs.find(self.path, detail=True).items() if info["type"] == "file"}
        return {name: listing[name] for name in names if name in listing}

    def mkdir(self) -> None:
        """Make the folder (and its parents) locally; an object store has no folders to make."""
        if self.fs is None:
            os.makedirs(self.path, exist_ok=True)

    def remove(self) -> None:
        """Remove the file or the folder with everything in it, if there."""
        if self.fs is None:
            if os.path.isdir(self.path):
                shutil.rmtree(self.path, ignore_errors=True)
            elif os.path.exists(self.path):
                os.remove(self.path)
        elif self.fs.exists(self.path):
            self.fs.rm(self.path, recursive=True)

    def move(self, target: Location) -> None:
        """Move this file onto ``target`` (same file system): a rename locally, a copy and a delete on an object store."""
        if self.fs is None:
            os.replace(self.path, target.path)
        else:
            self.fs.mv(self.path, target.path)

    def read_bytes(self) -> bytes:
        if self.fs is None:
            return Path(self.path).read_bytes()
        return self.fs.cat_file(self.path)

    def read_range(self, start: int, end: int) -> bytes:
        """Bytes ``[start, end)`` of the file (one ranged request on an object store; none for an empty range)."""
        if end <= start:
            return b""
        if self.fs is None:
            with open(self.path, "rb") as handle:
                handle.seek(start)
                return handle.read(end - start)
        return self.fs.cat_file(self.path, start=start, end=end)

    def write_bytes(self, data: bytes) -> None:
        """Write the file in one piece (on an object store one upload: it appears whole or not at all)."""
        if self.fs is None:
            Path(self.path).write_bytes(data)
        else:
            self.fs.pipe_file(self.path, data)

    @contextmanager
    def target(self) -> Iterator[str | IO]:
        """What a writer (``to_parquet``, ``np.save``) writes to: the local path, or an open remote file."""
        if self.fs is None:
            yield self.path
        else:
            with self.fs.open(self.path, "wb") as handle:
                yield handle

    def source(self) -> str | IO:
        """What a reader (``read_parquet``, ``np.load``) reads: the local path, or the remote file's bytes."""
        return self.path if self.fs is None else io.BytesIO(self.read_bytes())


def locate(where: str | os.PathLike | Location) -> Location:
    """The :class:`Location` of a local path or a URL; a URL whose file system is not installed or
    not known is a :class:`~mapdata.errors.MapdataError` saying what to install."""
    if isinstance(where, Location):
        return where
    text = os.fspath(where)
    if not is_url(text):
        return Location(None, str(Path(text).resolve()))
    import fsspec
    from fsspec.implementations.local import LocalFileSystem
    from fsspec.registry import known_implementations

    scheme = text.split("://", 1)[0]
    try:
        fs, path = fsspec.core.url_to_fs(text)
    except ImportError:
        known = known_implementations.get(scheme, {}).get("class", scheme)
        package = known.split(".")[0]
        raise MapdataError(f"{scheme}:// needs {package}: pip install {package}") from None
    except ValueError as exc:
        raise MapdataError(f"{text}: {exc}") from None
    if isinstance(fs, LocalFileSystem):
        return Location(None, str(Path(path).resolve()))
    return Location(fs, path.rstrip("/"))


def check_reachable(where: Location) -> None:
    """Refuse, with one line, a remote location whose bucket (the path's first part) cannot be
    reached: no such bucket, no access, no answer from the endpoint."""
    if where.fs is None:
        return
    bucket = where.path.split("/", 1)[0]
    try:
        where.fs.info(bucket)
    except Exception as exc:  # any file system's errors (botocore's are not OSError): all mean "cannot reach"
        raise MapdataError(f"{where}: cannot reach {where.fs.unstrip_protocol(bucket)} ({exc or type(exc).__name__})") from None
