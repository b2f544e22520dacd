"""The whole pipeline in one call: load → validate → spatial join, with the boundary layers.

The CLI and the app both start here, so they see the same events. A file given by path is
cached (:mod:`mapdata.cache`): loading the same bytes again reads an Arrow copy.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from os import PathLike
from pathlib import Path
from typing import Sequence

import geopandas as gpd
import pandas as pd

from . import cache, config
from .geo import Geography, OnGeography, load_geography
from .gazetteers import UserGazetteer
from .join import join_regions
from .load import load_events
from .read import Source
from .schema import REJECTED_COLUMNS, ImportReport


@dataclass(frozen=True)
class Dataset(OnGeography):
    """Joined events, the rows that were rejected, and the geography they were joined to."""

    events: gpd.GeoDataFrame
    rejected: pd.DataFrame
    geography: Geography
    name: str
    report: ImportReport | None = None


def load_dataset(source: Source | None = None, name: str | None = None, fmt: str = "auto",
                 mapping: dict | str | PathLike | None = None, cache_later: bool = False,
                 date_format: str | None = None, sheet: str | None = None, with_report: bool = False,
                 gazetteers: Sequence[UserGazetteer] = (), geography: Geography | None = None) -> Dataset:
    """Load, validate and join an events file (default: the ``EVENTS`` setting) to ``geography``
    (default: the ``GEO_DIR`` setting's), or read a store (joined to its own geography).

    A folder is opened as a store (:mod:`mapdata.store`, refused with a message when it is not
    one): its events in memory, as the files it was built from would give them.

    ``fmt``, ``mapping``, ``date_format``, ``sheet`` and ``gazetteers`` are as in
    :func:`mapdata.load.load_events` (a load with user gazetteers is not cached: they change the
    geocoded coordinates). The
    import report comes with a fresh load; a file read back from the cache has none, so
    ``with_report`` loads the file afresh even when it is cached (and caches it again). With
    ``cache_later``, a fresh load is written to the cache in a background thread while the caller
    goes on (:func:`mapdata.cache.wait` waits for it); otherwise before returning.
    """
    source = config.get("EVENTS") if source is None else source
    if isinstance(source, (str, PathLike)) and Path(source).is_dir():
        from .store import open_store  # the store package builds on this module

        return open_store(source).dataset()
    label = name or (Path(source).name if isinstance(source, (str, Path)) else "<uploaded data>")
    plain = (fmt == "auto" and mapping is None and date_format is None and sheet is None and not gazetteers
             and isinstance(source, (str, Path)) and Path(source).is_file())
    path = Path(source) if plain else None
    cache.wait()  # an entry still being written may be the one asked for
    geo_dir = geography.folder if geography is not None else None
    with ThreadPoolExecutor(max_workers=1) as pool:  # the layers are read (once per process) while the cache is
        layers = pool.submit(load_geography) if geography is None else None
        cached = cache.load(cache.stored_key(path, geo_dir), source=path) if path and not with_report else None
        geography = geography if layers is None else layers.result()
    report = None
    if cached is not None:
        events, rejected = cached
        rejected = rejected.assign(file=label) if len(rejected) else rejected
    else:
        filling = cache.fill(path, geo_dir) if path else None
        loaded = load_events(source, name=label, fmt=fmt, mapping=mapping, date_format=date_format, sheet=sheet,
                             gazetteers=gazetteers, geography=geography)
        events, rejected, report = join(loaded.events, geography), loaded.rejected, loaded.report
        if filling is not None:
            (filling.store_later if cache_later else filling.store)(events, rejected)
    return Dataset(events, rejected, geography, label, report)


def join(events: gpd.GeoDataFrame, geography: Geography) -> gpd.GeoDataFrame:
    """``events`` joined to ``geography`` (:func:`mapdata.join.join_regions` in its metric CRS)."""
    return join_regions(events, geography.regions, geography.border, metric_crs=geography.metric_crs)


def rejoin(data: Dataset, geography: Geography) -> Dataset:
    """``data`` joined to another geography: the same events (coordinates, precision and every
    source column unchanged), their region columns, ``border_km`` and ``country_mismatch``
    computed afresh."""
    return replace(data, events=join(data.events, geography), geography=geography)


def merge_datasets(base: Dataset, extra: Dataset) -> Dataset:
    """``base`` and ``extra`` together (joined to the same geography: ``base``'s). An event of ``extra`` whose id is
    already in ``base`` is not merged but listed among the rejected rows, with the reason."""
    clash = extra.events["event_id"].isin(set(base.events["event_id"]))
    duplicates = already_used(extra.events.loc[clash, "event_id"], extra.name, base.name)
    events = pd.concat([base.events, extra.events[~clash.to_numpy()]], ignore_index=True)
    rejected = pd.concat([frame for frame in (base.rejected, extra.rejected, duplicates) if len(frame)], ignore_index=True) \
        if len(base.rejected) + len(extra.rejected) + len(duplicates) else base.rejected
    merged = gpd.GeoDataFrame(events, geometry="geometry", crs=base.events.crs)
    return replace(base, events=merged, rejected=rejected, name=f"{base.name} + {extra.name}", report=extra.report)


def already_used(ids: pd.Series, file: str, used_in: str | pd.Series) -> pd.DataFrame:
    """Rejected-rows lines for events of ``file`` not merged because ``used_in`` (a name, or one per
    id) already has their ids; the row is -1 (the merge does not know the source row)."""
    reasons = ("event_id already used in " + pd.Series(used_in, index=ids.index).astype(str) + "; not merged") \
        if isinstance(used_in, pd.Series) else f"event_id already used in {used_in}; not merged"
    return pd.DataFrame({"file": file, "row": -1, "column": "event_id", "value": ids, "reason": reasons},
                        columns=list(REJECTED_COLUMNS))
