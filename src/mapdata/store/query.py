"""DuckDB, embedded in this process, for the store's queries and its build's duplicate checks.

The filters become SQL in :func:`mapdata.filters.filter_sql` (one condition per filter field);
this module adds the store's side: which partitions a date range needs (:func:`years`), the
``read_parquet`` call over a list of parts, and the connection. One connection per process;
each query has its own cursor, so threads (the app's sessions) can query at once. A store at a
URL is read through its fsspec file system, registered with the connection once
(:func:`use_filesystem`; DuckDB's own ``httpfs`` extension is not needed), so every cursor reads it.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

from ..errors import MapdataError
from ..filters import FilterSpec
from .location import Location

_LOCK = threading.Lock()
_CONNECTION = None
_FILESYSTEMS: dict[str, object] = {}
"""The fsspec file systems registered with the connection, by protocol."""


def _connection():
    import duckdb

    global _CONNECTION
    with _LOCK:
        if _CONNECTION is None:
            _CONNECTION = duckdb.connect(":memory:")
            _CONNECTION.execute("SET parquet_metadata_cache = true")  # the app asks the same parts again and again
        return _CONNECTION


def use_filesystem(fs) -> None:
    """Let the connection read URLs through the fsspec file system ``fs`` (a store at a URL). One
    file system per protocol: another one (other options, e.g. another endpoint) replaces it."""
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    connection = _connection()
    with _LOCK:
        if _FILESYSTEMS.get(protocol) is fs:
            return
        if protocol in _FILESYSTEMS:
            connection.unregister_filesystem(protocol)
        connection.register_filesystem(fs)
        _FILESYSTEMS[protocol] = fs


@contextmanager
def cursor() -> Iterator:
    """A cursor of this process's DuckDB connection; DuckDB's errors become a :class:`MapdataError`."""
    import duckdb

    cur = _connection().cursor()
    try:
        yield cur
    except duckdb.Error as exc:
        raise MapdataError(f"store query failed: {str(exc).splitlines()[0]}") from None
    finally:
        cur.close()


def parquet_list(files: Sequence[Path | Location], filename: bool = False) -> str:
    """A ``read_parquet`` call over ``files``, paths or URLs (columns united by name across sources; with
    ``filename``, a ``filename`` column says which file each row comes from)."""
    quoted = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
    return f"read_parquet([{quoted}], union_by_name = true{', filename = true' if filename else ''})"


def in_period(part, spec: FilterSpec) -> bool:
    """Whether a part (:class:`~mapdata.store.manifest.Part`) may hold events of ``spec``'s period:
    its last day (a window's end included) not before the first, its first day not after the last."""
    return not ((spec.date_from and part.last < spec.date_from.isoformat())
                or (spec.date_to and part.first > spec.date_to.isoformat()))
