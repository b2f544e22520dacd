"""Other people's event files in our schema: ACLED exports, UCDP GED files, any CSV with a mapping.

Input is what :mod:`mapdata.load` parses: an all-string DataFrame with stripped cells and
normalised headers (lower case, spaces as ``_``). Output has every column of the event schema as
strings, plus the source's own columns that have no place in it, prefixed (``acled_``, ``ucdp_``,
``src_``) so nothing is lost. Conversion is vectorised; a value that cannot be converted stays as
its raw text so that the validator rejects the row naming that value and a reason.

Mapping rules (also in the README, section "Bring your own data"):

ACLED (``acled``)
    ``event_id_cnty`` → event_id; ``event_date`` (ISO or "13 September 2022") → ISO date;
    ``time_precision`` 1/2/3 → date_precision day/week/month (the date stays ACLED's own);
    ``geo_precision`` kept (ACLED's 1/2/3 mean what ours mean); coord_source
    "ACLED coordinates (geo_precision N)"; fatalities kept, fatalities_note "ACLED fatality
    estimate"; source_url empty (ACLED publishes none).
UCDP GED (``ucdp``)
    event_id "UCDP-GED-<id>"; event_date = ``date_start``; date_precision is the coarser of what
    ``date_prec`` says (1 day; 2, 3 week; 4 month; 5 more than a month) and what the span
    ``date_start``..``date_end`` allows (0 days day; up to 6 week; up to 30 month). A span longer
    than a month cannot be expressed in our schema: date_precision then carries the raw
    "UCDP date_prec 5, N-day span" and the row is rejected with that text. ``type_of_violence``
    1 state-based and 2 non-state → Battles (no sub-type: UCDP does not record how the violence
    was carried out), 3 one-sided → Violence against civilians / Attack; ``where_prec`` 1 → 1,
    2 → 2, 3–7 → 3; fatalities = ``best``, fatalities_note "UCDP GED best estimate B (low L,
    high H)". Raw codes, ``date_end``, ``low``, ``high`` and every other GED column are kept
    as ``ucdp_<name>``.
Mapping (a JSON or TOML file)
    ``columns`` {our column: their header}, ``defaults`` {our column: value for empty or unmapped
    cells}, optional ``date_format`` (strptime) and ``id_prefix``. Without an event_id column the
    id is "<id_prefix>-<spreadsheet row>" (default prefix "row"), so it points back to the row.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import schema
from .errors import FileFormatError, MapdataError

FORMATS: dict[str, str] = {
    "mapdata": "the mapdata event schema",
    "acled": "ACLED export (event_id_cnty … timestamp)",
    "ucdp": "UCDP Georeferenced Event Dataset (GED) CSV",
    "mapping": "any CSV, through a column-mapping file (JSON or TOML)",
}
"""The formats :func:`to_schema` converts, with a label for reports."""

ACLED_COLUMNS: tuple[str, ...] = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
    "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3",
    "location", "latitude", "longitude", "geo_precision", "source", "source_scale", "notes",
    "fatalities", "tags", "timestamp",
)
"""The header of a current ACLED export (31 columns)."""

UCDP_COLUMNS: tuple[str, ...] = (
    "id", "relid", "year", "active_year", "code_status", "type_of_violence", "conflict_dset_id",
    "conflict_new_id", "conflict_name", "dyad_dset_id", "dyad_new_id", "dyad_name",
    "side_a_dset_id", "side_a_new_id", "side_a", "side_b_dset_id", "side_b_new_id", "side_b",
    "number_of_sources", "source_article", "source_office", "source_date", "source_headline",
    "source_original", "where_prec", "where_coordinates", "where_description", "adm_1", "adm_2",
    "latitude", "longitude", "geom_wkt", "priogrid_gid", "country", "country_id", "region",
    "event_clarity", "date_prec", "date_start", "date_end", "deaths_a", "deaths_b",
    "deaths_civilians", "deaths_unknown", "best", "high", "low", "gwnoa", "gwnob",
)
"""The header of a UCDP GED CSV (49 columns, as in GED 23.1–25.1)."""

# Columns a file must have to be taken as that format (older ACLED layouts lack a few others).
_ACLED_CORE = ("event_id_cnty", "event_date", "time_precision", "event_type", "actor1", "country",
               "location", "latitude", "longitude", "geo_precision", "source", "fatalities")
_UCDP_CORE = ("id", "type_of_violence", "side_a", "side_b", "where_prec", "latitude", "longitude",
              "date_prec", "date_start", "date_end", "best", "low", "high")

UCDP_VIOLENCE: dict[str, tuple[str, str]] = {
    "1": ("Battles", ""),
    "2": ("Battles", ""),
    "3": ("Violence against civilians", "Attack"),
}
"""UCDP type_of_violence → (event_type, sub_event_type). 1 state-based, 2 non-state, 3 one-sided."""

UCDP_WHERE_PREC: dict[str, str] = {"1": "1", "2": "2", "3": "3", "4": "3", "5": "3", "6": "3", "7": "3"}
"""UCDP where_prec → our geo_precision: 1 exact; 2 within 25 km of a named place; 3–7 an
administrative unit, a larger area, the country or international waters."""

ACLED_TIME_PRECISION: dict[str, str] = {"1": "day", "2": "week", "3": "month"}
_PRECISION_RANK = ("day", "week", "month")
_UCDP_DATE_PREC: dict[str, int] = {"1": 0, "2": 1, "3": 1, "4": 2, "5": 3}

_MAPPING_KEYS = {"columns", "defaults", "date_format", "id_prefix"}


@dataclass(frozen=True)
class ImportReport:
    """What an import did: the format and how it was chosen, row counts, and the geocoding report.

    ``rows`` counts the data rows read (broken rows included); ``accepted + rejected == rows``.
    ``geocoding`` has one line per row the geocoder worked on (see :mod:`mapdata.geocode`).
    """

    file: str
    format: str
    detected_by: str
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    geocoded: int = 0
    geocoding: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(), compare=False)

    @property
    def unresolved(self) -> pd.DataFrame:
        """Geocoding lines for names that matched no place or several (rows left without coordinates)."""
        if self.geocoding.empty:
            return self.geocoding
        return self.geocoding[self.geocoding["status"].isin(["ambiguous", "unmatched"])]

    def summary_lines(self) -> list[str]:
        """The report in plain lines, for the command line and the app."""
        lines = [
            f"{self.file}: format {self.format} ({self.detected_by})",
            f"{self.rows} rows read: {self.accepted} accepted, {self.rejected} rejected; "
            f"{self.geocoded} given coordinates by the offline geocoder",
        ]
        for row in self.unresolved.itertuples(index=False):
            candidates = f"; candidates: {row.candidates}" if row.candidates else ""
            lines.append(f"  row {row.row}, location {row.location!r}: {row.status} — {row.detail}{candidates}")
        return lines


def header_key(name: object) -> str:
    """A header as load.py normalises it: stripped, lower case, spaces as underscores."""
    return str(name).strip().lower().replace(" ", "_")


def detect_format(columns) -> str:
    """"mapdata", "acled", "ucdp" or "unknown" for a header (any case; spaces or underscores)."""
    present = {header_key(c) for c in columns}
    if set(schema.REQUIRED_NAMES) <= present:
        return "mapdata"
    if set(_ACLED_CORE) <= present:
        return "acled"
    if set(_UCDP_CORE) <= present:
        return "ucdp"
    return "unknown"


def detection_note(columns, fmt: str) -> str:
    """Why ``fmt`` fits this header, in words (for the import report)."""
    present = {header_key(c) for c in columns}
    full = {"mapdata": schema.SOURCE_NAMES, "acled": ACLED_COLUMNS, "ucdp": UCDP_COLUMNS}.get(fmt)
    if full is None:
        return "column mapping file"
    missing = [c for c in full if c not in present]
    if fmt == "mapdata":
        return "detected: the required schema columns are present"
    layout = f"all {len(full)} published columns" if not missing else f"core columns; missing {', '.join(missing)}"
    return f"detected: {FORMATS[fmt]} header ({layout})"


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
        "date_format": str(mapping.get("date_format", "%Y-%m-%d")),
        "id_prefix": str(mapping.get("id_prefix", "row")),
    }


def to_schema(frame: pd.DataFrame, fmt: str, mapping: dict | None = None, label: str = "input") -> pd.DataFrame:
    """Convert ``frame`` from ``fmt`` to our schema (all strings) plus prefixed extra columns.

    ``frame`` keeps its index (the 0-based record position), so row numbers survive.
    """
    if fmt == "mapdata":
        return frame
    if fmt == "acled":
        return _from_acled(_complete(frame, ACLED_COLUMNS))
    if fmt == "ucdp":
        return _from_ucdp(_complete(frame, UCDP_COLUMNS))
    if fmt == "mapping":
        if mapping is None:
            raise MapdataError(f"{label}: format 'mapping' needs a mapping (see load_mapping)")
        return _from_mapping(frame, check_mapping(mapping, label), label)
    raise FileFormatError(f"{label}: unknown format {fmt!r}; use one of auto, {', '.join(f for f in FORMATS if f != 'mapping')} or a mapping file")


# --- ACLED -----------------------------------------------------------------------------------


def _labelled(values: pd.Series, template: str) -> pd.Series:
    """``template`` filled with each value, computed once per distinct value (fast on 1M rows)."""
    return values.map({v: template.format(v) for v in values.unique()})


def _complete(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    missing = [c for c in columns if c not in frame.columns]
    return frame.assign(**{c: "" for c in missing}) if missing else frame


def _extras(frame: pd.DataFrame, prefix: str, keep: tuple[str, ...]) -> pd.DataFrame:
    return frame[list(keep)].add_prefix(prefix)


def _from_acled(f: pd.DataFrame) -> pd.DataFrame:
    precision = f["time_precision"].map(ACLED_TIME_PRECISION).fillna(f["time_precision"])
    out = pd.DataFrame({
        "event_id": f["event_id_cnty"],
        "event_date": _iso_dates(f["event_date"], ("%Y-%m-%d", "%d %B %Y")),
        "date_precision": precision,
        "event_type": f["event_type"],
        "sub_event_type": f["sub_event_type"],
        "actor1": f["actor1"],
        "actor2": f["actor2"],
        "country": f["country"],
        "admin1": f["admin1"],
        "location": f["location"],
        "latitude": f["latitude"],
        "longitude": f["longitude"],
        "geo_precision": f["geo_precision"],
        "fatalities": f["fatalities"],
        "fatalities_note": np.where(f["fatalities"].ne(""), "ACLED fatality estimate", ""),
        "source": f["source"],
        "source_url": "",
        "notes": f["notes"],
        "coord_source": _labelled(f["geo_precision"], "ACLED coordinates (geo_precision {})").where(f["latitude"].ne(""), ""),
    }, index=f.index)
    kept = ("time_precision", "geo_precision") + tuple(
        c for c in f.columns if c not in out.columns and c not in ("event_id_cnty", "time_precision", "geo_precision"))
    return pd.concat([out, _extras(f, "acled_", kept)], axis=1)


def _iso_dates(raw: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """ISO dates from any of ``formats``; cells no format reads stay as their raw text."""
    parsed = pd.to_datetime(raw, format=formats[0], errors="coerce")
    for fmt in formats[1:]:
        missing = parsed.isna() & raw.ne("")
        if missing.any():
            parsed = parsed.fillna(pd.to_datetime(raw.where(missing, ""), format=fmt, errors="coerce"))
    return parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), raw)


# --- UCDP GED --------------------------------------------------------------------------------


def _from_ucdp(f: pd.DataFrame) -> pd.DataFrame:
    start_text = f["date_start"].str.slice(0, 10)
    start = pd.to_datetime(start_text, format="%Y-%m-%d", errors="coerce")
    end = pd.to_datetime(f["date_end"].str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    tov = f["type_of_violence"]
    known = tov.isin(list(UCDP_VIOLENCE))
    ok_best = f["best"].ne("")
    note = ("UCDP GED best estimate " + f["best"] + " (low " + f["low"].replace("", "not given")
            + ", high " + f["high"].replace("", "not given") + ")")
    article = np.where(f["source_article"].ne(""), "; sources: " + f["source_article"], "")
    out = pd.DataFrame({
        "event_id": np.where(f["id"].ne(""), "UCDP-GED-" + f["id"], ""),
        "event_date": start.dt.strftime("%Y-%m-%d").where(start.notna(), f["date_start"]),
        "date_precision": _ucdp_precision(f["date_prec"], start, end),
        "event_type": tov.map({k: v[0] for k, v in UCDP_VIOLENCE.items()}).where(known, _labelled(tov, "UCDP type_of_violence {}")),
        "sub_event_type": tov.map({k: v[1] for k, v in UCDP_VIOLENCE.items()}).where(known, ""),
        "actor1": f["side_a"],
        "actor2": f["side_b"],
        "country": f["country"],
        "admin1": f["adm_1"],
        "location": f["where_coordinates"],
        "latitude": f["latitude"],
        "longitude": f["longitude"],
        "geo_precision": f["where_prec"].map(UCDP_WHERE_PREC).fillna(_labelled(f["where_prec"], "UCDP where_prec {}")),
        "fatalities": f["best"],
        "fatalities_note": np.where(ok_best, note, ""),
        "source": np.where(f["id"].ne(""), "UCDP Georeferenced Event Dataset (GED), event " + f["id"] + article, ""),
        "source_url": "",
        "notes": "",
        "coord_source": _labelled(f["where_prec"], "UCDP GED coordinates (where_prec {})").where(f["latitude"].ne(""), ""),
    }, index=f.index)
    kept = tuple(c for c in f.columns if c not in ("latitude", "longitude", "country"))
    return pd.concat([out, _extras(f, "ucdp_", kept)], axis=1)


def _ucdp_precision(date_prec: pd.Series, start: pd.Series, end: pd.Series) -> pd.Series:
    """The coarser of date_prec's meaning and the span start..end; raw text where neither fits."""
    span = (end - start).dt.days
    by_span = pd.cut(span, bins=[-1, 0, 6, 30, np.inf], labels=False)  # 0 day, 1 week, 2 month, 3 wider
    by_code = date_prec.map(_UCDP_DATE_PREC)
    rank = np.fmax(by_span.to_numpy(dtype=float), by_code.to_numpy(dtype=float))
    labels = pd.Series(np.array(_PRECISION_RANK + ("",), dtype=object)[np.nan_to_num(rank, nan=3).astype(int)], index=date_prec.index)
    span_text = span.astype("Int64").astype(str).replace("<NA>", "unknown")
    raw = "UCDP date_prec " + date_prec.replace("", "empty") + ", " + span_text + "-day span"
    bad = np.isnan(rank) | (rank > 2) | span.lt(0).to_numpy()
    return labels.where(~bad, raw)


# --- column mapping --------------------------------------------------------------------------


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
    if mapping["date_format"] != "%Y-%m-%d":
        out["event_date"] = _iso_dates(out["event_date"], (mapping["date_format"],))
    used = set(sources.values())
    rest = [c for c in frame.columns if c not in used]
    return pd.concat([out, frame[rest].add_prefix("src_")], axis=1)
