"""Any CSV through a column-mapping file (``mapping``, a JSON or TOML file).

``columns`` {our column: their header}, ``defaults`` {our column: value for empty or unmapped
cells}, optional ``date_format`` (strptime) and ``id_prefix``. Without an event_id column the
id is "<id_prefix>-<spreadsheet row>" (default prefix "row"), so it points back to the row.
Unmapped columns are kept as ``src_<name>``.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pandas as pd

from .. import schema
from ..errors import MapdataError
from ..read import header_key
from ..dates import check_date_format
from ._base import InputFormat

_MAPPING_KEYS = {"columns", "defaults", "date_format", "id_prefix"}


def load_mapping(path: str | Path) -> dict:
    """Read and check a column-mapping file (``.json`` or ``.toml``); MapdataError names what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise MapdataError(f"{path}: no such mapping file")
    return parse_mapping(path.read_bytes(), str(path))


def parse_mapping(data: bytes, name: str) -> dict:
    """A mapping file's content (``name`` ends in .json or .toml), checked; for uploads."""
    suffix = Path(name).suffix.lower()
    try:
        if suffix == ".toml":
            mapping = tomllib.loads(data.decode("utf-8"))
        elif suffix == ".json":
            mapping = json.loads(data.decode("utf-8"))
        else:
            raise MapdataError(f"{name}: a mapping file must end in .json or .toml")
    except (json.JSONDecodeError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MapdataError(f"{name}: not a valid mapping file ({exc})") from None
    return check_mapping(mapping, name)


def check_mapping(mapping: object, label: str = "mapping") -> dict:
    """Check a mapping's structure and target columns; return it with defaults filled in."""
    if not isinstance(mapping, dict) or not isinstance(mapping.get("columns"), dict):
        raise MapdataError(f"{label}: expected a table 'columns' mapping our column names to your headers")
    unknown_keys = sorted(set(mapping) - _MAPPING_KEYS)
    if unknown_keys:
        raise MapdataError(f"{label}: unknown key(s) {', '.join(unknown_keys)}; allowed: {', '.join(sorted(_MAPPING_KEYS))}")
    columns, defaults = mapping["columns"], mapping.get("defaults", {})
    if not isinstance(defaults, dict):
        raise MapdataError(f"{label}: 'defaults' must be a table of our column names to values")
    unknown = sorted((set(columns) | set(defaults)) - set(schema.SOURCE_NAMES))
    if unknown:
        raise MapdataError(f"{label}: unknown target column(s) {', '.join(unknown)}; our columns: {', '.join(schema.SOURCE_NAMES)}")
    not_text = sorted(k for k, v in {**columns, **defaults}.items() if not isinstance(v, (str, int, float)) or isinstance(v, bool))
    if not_text:
        raise MapdataError(f"{label}: value(s) for {', '.join(not_text)} must be text")
    needed = [c for c in schema.REQUIRED_NAMES if c not in ("event_id", "source_url")]
    uncovered = [c for c in needed if c not in columns and c not in defaults]
    if uncovered:
        raise MapdataError(f"{label}: required column(s) {', '.join(uncovered)} neither mapped nor given a default")
    return {
        "columns": {k: str(v) for k, v in columns.items()},
        "defaults": {k: str(v) for k, v in defaults.items()},
        "date_format": check_date_format(str(mapping["date_format"])) if mapping.get("date_format") is not None else None,
        "id_prefix": str(mapping.get("id_prefix", "row")),
    }


def _convert(frame: pd.DataFrame, mapping: dict | None, label: str, date_format: str | None) -> pd.DataFrame:
    if mapping is None:
        raise MapdataError(f"{label}: format 'mapping' needs a mapping (see load_mapping)")
    return _from_mapping(frame, check_mapping(mapping, label), label)


def _from_mapping(frame: pd.DataFrame, mapping: dict, label: str) -> pd.DataFrame:
    sources = {ours: header_key(theirs) for ours, theirs in mapping["columns"].items()}
    missing = sorted({mapping["columns"][o] for o, k in sources.items() if k not in frame.columns})
    if missing:
        raise MapdataError(
            f"{label}: the mapping names column(s) not in the file: {', '.join(missing)}. "
            f"Found: {', '.join(frame.columns)}"
        )
    out = pd.DataFrame({c: frame[sources[c]] if c in sources else "" for c in schema.SOURCE_NAMES}, index=frame.index)
    for col, value in mapping["defaults"].items():
        out[col] = out[col].mask(out[col].eq(""), value)
    if "event_id" not in sources:
        out["event_id"] = mapping["id_prefix"] + "-" + (frame.index.to_series() + 2).astype(str)
    used = set(sources.values())
    rest = [c for c in frame.columns if c not in used]
    return pd.concat([out, frame[rest].add_prefix("src_")], axis=1)


FORMAT = InputFormat(
    name="mapping",
    label="Other CSV, with a column-mapping file",
    description="any CSV, through a column-mapping file (JSON or TOML)",
    convert=_convert,
    note="column mapping file",
    takes_mapping=True,
)
