"""``build_store``: source files → a partitioned GeoParquet store, on a Dask cluster.

The pipeline: hash and cut each source into chunks, here (when every source is already in the
store, nothing else happens and no cluster is started) → on the workers, which must see the files
and the store's folder: load, validate, geocode and join each chunk and write its parts to a
staging folder (:func:`mapdata.store.parts.run`, one task per chunk, memory bounded by the chunk
size), and send back a 64-bit hash of each event's id → here: find the ids used twice across
chunks and files from the hashes (and the stored hashes of the sources already in the store),
read back only those events' ids (DuckDB) and report them as the in-memory path does → move the parts
into their partitions, write the rejected rows and the manifest, last (the commit point: on an
object store, which has no rename, the parts are copied into place first and the manifest, one
upload, makes them part of the store). A source already in the store (same bytes) is skipped, so
building again from the same files changes nothing. Sources and the store may be local paths or
fsspec URLs (:mod:`mapdata.store.location`); the boundary folder, mapping and gazetteer files are local.
"""

from __future__ import annotations

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import pandas as pd

from .. import config
from ..dataset import already_used
from ..schema import REJECTED_COLUMNS
from ..validate import duplicate_id_first_row, duplicate_id_reason
from . import manifest as mf
from . import ids, parts
from .chunks import Scan, scan
from .location import Location, check_reachable, locate
from .parts import IDS_DIR
from .query import cursor, parquet_list, use_filesystem

REJECTED_DIR = "rejected"
_STAGING = "_staging"


@dataclass(frozen=True)
class Progress:
    """Where a build is: chunks done of all, rows read, seconds since the chunks started."""

    done: int
    total: int
    rows: int
    seconds: float

    def __str__(self) -> str:
        rate = self.rows / self.seconds if self.seconds > 0 else 0.0
        return f"chunks {self.done}/{self.total}, {self.rows:,} rows read, {rate:,.0f} rows/s"


@dataclass(frozen=True)
class Built:
    """What a build did: the sources added (manifest records), the ones already in the store, the seconds."""

    added: tuple[mf.Source, ...]
    skipped: tuple[str, ...]
    events: int
    seconds: float


def build_store(sources: Sequence[str | os.PathLike], store: str | os.PathLike, scheduler: str | None = None,
                fmt: str = "auto", mapping: str | os.PathLike | None = None, geo_dir: str | os.PathLike | None = None,
                chunk_mb: float = 64, progress: Callable[[Progress], None] | None = None,
                date_format: str | None = None, sheet: str | None = None,
                gazetteers: Sequence[str | os.PathLike] = ()) -> Built:
    """Add ``sources`` to the store at ``store`` (made if absent); see the module docstring.

    ``scheduler``: a Dask scheduler address (``tcp://HOST:8786``); without it a local cluster of
    this machine's cores (processes, 127.0.0.1 only). ``fmt``, ``mapping``, ``date_format`` and
    ``sheet`` as in :func:`mapdata.load.load_events` (give ``date_format`` for dates that are not
    ISO: each chunk would otherwise choose the form from its own values); ``gazetteers``: user
    gazetteer files (read on the workers, which must see them); ``geo_dir``: the boundary folder (default the ``GEO_DIR``
    setting). ``progress`` is called after every chunk.
    """
    started = time.perf_counter()
    store = locate(store)
    check_reachable(store)
    geo = Path(geo_dir or config.get("GEO_DIR")).resolve()
    manifest = _open_or_new(store, mf.geography(geo))
    wheres = [locate(s) for s in sources]
    for where in wheres:
        if not where.is_file():
            raise mf.StoreError(f"{where}: no such file")
    paths = [str(w) for w in wheres]
    known = {(s.path, s.size) for s in manifest.sources}
    with ExitStack() as stack, ThreadPoolExecutor(max_workers=(os.cpu_count() or 1) + 1) as pool:
        # a file the store cannot hold yet (new path or size): start the cluster while the files are hashed
        early = pool.submit(_connect, stack, scheduler, geo) \
            if any((str(w), w.size()) not in known for w in wheres) else None
        scans = list(pool.map(lambda path: scan(path, int(chunk_mb * (1 << 20))), paths))  # hashing and numpy release the GIL
        new, skipped = _new_sources(scans, manifest)
        if not new:
            return Built((), tuple(skipped), manifest.events, time.perf_counter() - started)
        staging = store / _STAGING / uuid.uuid4().hex
        reading = (fmt, mapping, date_format, sheet, tuple(str(Path(g).resolve()) for g in gazetteers))
        jobs = _jobs(new, manifest, reading, geo, staging)
        client = early.result() if early else _connect(stack, scheduler, geo)
        done = _run(client, jobs, progress)
        found = _check_ids(client, store, manifest, done, staging)
    names = {job.seq: job.name for job in jobs}
    try:
        records = _finish(store, manifest, new, done, found, staging, names)
    finally:
        staging.remove()
        if not staging.parent.names():
            staging.parent.remove()
    return Built(tuple(records), tuple(skipped), manifest.events, time.perf_counter() - started)


def _open_or_new(store: Location, geography: dict) -> mf.Manifest:
    if store.fs is not None:
        use_filesystem(store.fs)  # the duplicate check reads the parts with DuckDB
    if mf.is_store(store):
        manifest = mf.read(store)
        if manifest.geography["layers"] != geography["layers"] or manifest.geography["schema"] != geography["schema"] \
                or manifest.geography["nearest_tolerance_km"] != geography["nearest_tolerance_km"]:
            raise mf.StoreError(f"{store}: built with other boundary layers, join settings or schema "
                                f"({manifest.geography['geo_dir']}); build a new store")
        return manifest
    if store.names():
        raise mf.StoreError(f"{store}: a folder that is not empty and not a store (no {mf.MANIFEST}); choose a new folder")
    store.mkdir()
    return mf.Manifest(geography=geography)


def _connect(stack: ExitStack, scheduler: str | None, geo: Path):
    """A client (closed with ``stack``) whose workers have imported the pipeline and read the layers."""
    client = stack.enter_context(_client(scheduler))
    client.run(parts.warm, str(geo))
    return client


@contextmanager
def _client(scheduler: str | None) -> Iterator:
    """A Dask client: to ``scheduler``, or to a local cluster of this machine's cores (processes,
    127.0.0.1 only, no dashboard). Not made the default client (it may be made in another thread)."""
    from distributed import Client, LocalCluster

    with ExitStack() as stack:
        if scheduler:
            try:
                client = Client(scheduler, timeout="10s", set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise mf.StoreError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from None
        else:
            cluster = stack.enter_context(LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True,
                                                       host="127.0.0.1", dashboard_address=None))
            client = Client(cluster, set_as_default=False)
        stack.callback(client.close)
        yield client


def _new_sources(scans: list[Scan], manifest: mf.Manifest) -> tuple[list[Scan], list[str]]:
    """The scans to add; the paths already in the store (same bytes, or named twice). A path whose
    bytes changed since it was added is refused: its events would all clash with their old copies."""
    known = {s.sha256 for s in manifest.sources}
    by_path = {s.path: s.sha256 for s in manifest.sources}
    new, skipped = [], []
    for item in scans:
        if item.sha256 in known:
            skipped.append(item.path)
            continue
        if item.path in by_path:
            raise mf.StoreError(f"{item.path}: changed since it was added to the store; build a new store "
                                "or add the changed file under another name")
        known.add(item.sha256)
        new.append(item)
    return new, skipped


def _jobs(new: list[Scan], manifest: mf.Manifest, reading: tuple, geo: Path, staging: Location) -> list[parts.Job]:
    """One job per chunk; ``reading``: format, mapping file, date form, sheet, gazetteer files."""
    fmt, mapping, date_format, sheet, gazetteers = reading
    first = max((s.id for s in manifest.sources), default=-1) + 1
    mapping_path = str(Path(mapping).resolve()) if mapping else None
    return [parts.Job(chunk, number, first + seq, locate(item.path).name, fmt, mapping_path, date_format, sheet, gazetteers, str(geo),
                      str(staging)) for seq, item in enumerate(new) for number, chunk in enumerate(item.chunks)]


def _run(client, jobs: list[parts.Job], progress) -> list[parts.Done]:
    from distributed import as_completed

    started = time.perf_counter()
    futures = client.map(parts.run, jobs, pure=False)
    done, rows = [], 0
    for future in as_completed(futures, loop=client.loop):
        result = future.result()
        future.release()  # the worker may forget it: memory does not grow with the number of chunks
        done.append(result)
        rows += result.rows
        if progress:
            progress(Progress(len(done), len(jobs), rows, time.perf_counter() - started))
    return sorted(done, key=lambda d: (d.seq, d.number))


def _check_ids(client, store: Location, manifest: mf.Manifest, done: list[parts.Done], staging: Location) -> list[ids.Found]:
    """The duplicate check on the id hashes, one Dask task per bucket of the hash range (:mod:`mapdata.store.ids`)."""
    chunks: dict[int, list[str]] = {}
    repeated = {}
    for d in done:
        chunks.setdefault(d.seq, []).append(d.ids)
        local = d.rejected.loc[parts.is_repeated_id(d.rejected), "value"]
        if len(local):
            repeated[d.seq] = np.concatenate((repeated.get(d.seq, np.empty(0, dtype="<u8")), ids.id_hashes(local)))
    out = staging / ids.BUCKETS_DIR
    out.mkdir()
    stored = [str(store / IDS_DIR / f"source-{s.id:04d}.npy") for s in manifest.sources]
    events = sum(d.accepted for d in done) + manifest.events
    tasks = ids.buckets(events, chunks, stored, {seq: ids.sorted_unique(v) for seq, v in repeated.items()}, out)
    futures = client.map(ids.check, tasks, pure=False)
    return client.gather(futures)


def _finish(store: Location, manifest: mf.Manifest, new: list[Scan], done: list[parts.Done], found: list[ids.Found],
            staging: Location, names: dict[int, str]) -> list[mf.Source]:
    staged = [staging / f"year={w.year}" / w.name for d in done for w in d.parts]
    seqs = sorted({d.seq for d in done})
    rejected = {seq: pd.concat([d.rejected for d in done if d.seq == seq], ignore_index=True) for seq in seqs}
    repeated, rejected = _within_files(staged, rejected, names, pd.concat([f.within for f in found], ignore_index=True))
    names.update({s.id: s.name for s in manifest.sources})
    clashes = _across_files(store, staged, manifest, names, pd.concat([f.across for f in found], ignore_index=True), repeated)
    counts = _place(store, staging, manifest, done, pd.concat([repeated, clashes])[["filename", "source_row"]])
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for folder in (REJECTED_DIR, IDS_DIR):
        (store / folder).mkdir()
    records = []
    for seq, item in zip(seqs, new):
        name = names[seq]
        table = rejected[seq].sort_values(["row", "column"], kind="stable")
        mine = clashes[clashes["source_seq"] == seq]
        table = pd.concat([table, already_used(mine["event_id"], name, mine["first_name"])], ignore_index=True)
        with (store / REJECTED_DIR / f"source-{seq:04d}.parquet").target() as target:
            table.astype({"row": "int64"}).to_parquet(target, index=False)
        ids.assemble(store / IDS_DIR / f"source-{seq:04d}.npy", staging / ids.BUCKETS_DIR, seq, found)
        chunks = [d for d in done if d.seq == seq]
        records.append(mf.Source(id=seq, path=item.path, name=name, size=item.size, sha256=item.sha256,
                                 format=chunks[0].format, rows=sum(d.rows for d in chunks), accepted=counts.get(seq, 0),
                                 rejected=int(table.loc[table["row"] >= 0, "row"].nunique()) + len(mine),
                                 chunks=len(chunks), added=now))
    for d in done:
        for column, dtype in d.columns.items():
            manifest.columns.setdefault(column, dtype)
    manifest.sources.extend(records)
    manifest.builds.append(now)
    mf.write(store, manifest)
    return records


_FOUND = ["source_seq", "source_row", "event_id", "filename"]


def _rows(staged: list[Location], wanted: pd.DataFrame) -> pd.DataFrame:
    """The id and part file of the staged events ``wanted`` names (source_seq, source_row)."""
    if wanted.empty:
        return pd.DataFrame(columns=_FOUND)
    with cursor() as cur:
        cur.register("wanted", wanted)
        return cur.sql(f"SELECT {', '.join(_FOUND)} FROM {parquet_list(staged, filename=True)} "
                       "JOIN wanted USING (source_seq, source_row)").df()


def _within_files(staged: list[Location], rejected: dict[int, pd.DataFrame], names: dict[int, str],
                  wanted: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, pd.DataFrame]]:
    """Ids used on several rows of one file whose copies fell into different chunks: every row after
    the file's first is rejected (returned with its part file), and every duplicate's reason names
    the file's first row, as in memory. Only the events ``wanted`` names (their id hash repeats
    within the file, or is one the chunks rejected as repeated) are read back."""
    found = _rows(staged, wanted)
    named = [pd.DataFrame({"source_seq": seq, "event_id": frame.loc[rep, "value"],
                           "source_row": [duplicate_id_first_row(r) for r in frame.loc[rep, "reason"]]})
             for seq, frame in rejected.items() if (rep := parts.is_repeated_id(frame)).any()]
    first = pd.concat([found[["source_seq", "event_id", "source_row"]], *named]).groupby(["source_seq", "event_id"])["source_row"].min()
    later = found[found["source_row"].to_numpy() != first.reindex(pd.MultiIndex.from_frame(found[["source_seq", "event_id"]])).to_numpy()]
    for seq, frame in rejected.items():
        rep = parts.is_repeated_id(frame)
        frame.loc[rep, "reason"] = [duplicate_id_reason(int(first[(seq, value)])) for value in frame.loc[rep, "value"]]
        mine = later[later["source_seq"] == seq]
        if len(mine):
            moved = pd.DataFrame({"file": names[seq], "row": mine["source_row"].astype("int64"), "column": "event_id",
                                  "value": mine["event_id"],
                                  "reason": [duplicate_id_reason(int(first[(seq, i)])) for i in mine["event_id"]]},
                                 columns=list(REJECTED_COLUMNS))
            rejected[seq] = pd.concat([f for f in (frame, moved) if len(f)], ignore_index=True)
    return later, rejected


def _across_files(store: Location, staged: list[Location], manifest: mf.Manifest, names: dict[int, str],
                  wanted: pd.DataFrame, repeated: pd.DataFrame) -> pd.DataFrame:
    """Events of a new source whose id an earlier source (in the store or before it in this build)
    already used: not added, reported with the earlier source's name as :func:`merge_datasets` does.
    Only the events ``wanted`` names (their id hash was used by an earlier source) are read back."""
    found = _rows(staged, wanted)
    if found.empty:
        return pd.DataFrame(columns=_FOUND + ["first_name"])
    with cursor() as cur:
        cur.register("ids", found[["event_id"]].drop_duplicates())
        used = cur.sql(f"SELECT event_id, source_seq AS first_seq FROM "
                       f"{parquet_list(staged + [store / p.relpath for p in manifest.parts])} JOIN ids USING (event_id)").df()
    pairs = found.merge(used, on="event_id")
    pairs = pairs[pairs["first_seq"] < pairs["source_seq"]]
    clashes = pairs.groupby(_FOUND, as_index=False)["first_seq"].min().sort_values(["source_seq", "source_row"])
    clashes = clashes[~pd.MultiIndex.from_frame(clashes[["filename", "source_row"]]).isin(
        pd.MultiIndex.from_frame(repeated[["filename", "source_row"]]))]
    return clashes.assign(first_name=clashes["first_seq"].map(names))


def _place(store: Location, staging: Location, manifest: mf.Manifest, done: list[parts.Done], dropped: pd.DataFrame) -> dict[int, int]:
    """Move the staged parts into their partitions, rewriting the few that lose rows (``dropped``:
    part file, source row); the events added per source."""
    import geopandas as gpd

    counts: dict[int, int] = {}
    rows_out = dropped.groupby("filename")["source_row"].agg(set).to_dict()
    for d in done:
        for written in d.parts:
            year, name, rows = written.year, written.name, written.rows
            source = staging / f"year={year}" / name
            if str(source) in rows_out:
                events = gpd.read_parquet(source.source())
                events = events[~events["source_row"].isin(rows_out[str(source)]).to_numpy()]
                rows = len(events)
                if rows:
                    parts.write_part(events, source)
            target = store / f"year={year}" / name
            if rows:
                target.parent.mkdir()
                source.move(target)
                manifest.parts.append(mf.Part(year, name, target.size(), rows, written.first, written.last))
            counts[d.seq] = counts.get(d.seq, 0) + rows
    return counts
