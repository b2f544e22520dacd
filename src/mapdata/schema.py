"""The event schema: every column, its type, whether it is required, and what it means.

This module is the single owner of the schema and of the facts around it: the CRS, the
region-match values, the source-URL rule, the rejected-rows table's columns and the import
report. Loaders, joins, filters, exports, the app and the README's data dictionary all read them
from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

CRS = "EPSG:4326"
"""The CRS of every event and boundary layer: WGS84 longitude/latitude."""


@dataclass(frozen=True)
class Column:
    """One column of the event table."""

    name: str
    kind: str  # "str", "date", "float", "int", "bool"
    description: str
    required: bool = False
    derived: bool = False


EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "Battles": ("Armed clash", "Government regains territory", "Non-state actor overtakes territory"),
    "Explosions/Remote violence": (
        "Chemical weapon",
        "Air/drone strike",
        "Suicide bomb",
        "Shelling/artillery/missile attack",
        "Remote explosive/landmine/IED",
        "Grenade",
    ),
    "Violence against civilians": ("Sexual violence", "Attack", "Abduction/forced disappearance"),
    "Protests": ("Peaceful protest", "Protest with intervention", "Excessive force against protesters"),
    "Riots": ("Violent demonstration", "Mob violence"),
    "Strategic developments": (
        "Agreement",
        "Arrests",
        "Change to group/activity",
        "Disrupted weapons use",
        "Headquarters or base established",
        "Looting/property destruction",
        "Non-violent transfer of territory",
        "Other",
    ),
}
"""ACLED's event types and their sub-event types."""

DATE_PRECISIONS: tuple[str, ...] = ("day", "week", "month", "range")
"""How exact event_date is; "range": the event happened somewhere in event_date..event_date_end."""

MISSING_MARKERS: tuple[str, ...] = ("NA", "N/A", "NaN", "nan", "null", "NULL", "None", "#N/A")
"""Cells that mean "no value" in the files people have (R's NA, pandas' NaN and None, Excel's #N/A,
SQL's NULL): read as empty in every column, never as text. An empty cell is missing too."""

GEO_PRECISION_LABELS: dict[int, str] = {
    1: "exact place",
    2: "near a named place",
    3: "region only (reference point, not the incident site)",
}

REGION_MATCHES: tuple[str, ...] = ("inside", "nearest", "outside")
"""How the join found an event's region (the ``region_match`` column), in this order of codes."""

REJECTED_COLUMNS: tuple[str, ...] = ("file", "row", "column", "value", "reason")
"""The rejected-rows table: file, spreadsheet row (the header is row 1), column, raw value, reason."""

SOURCE_COLUMNS: tuple[Column, ...] = (
    Column("event_id", "str", "Unique identifier of the event (e.g. AZARM-0001).", required=True),
    Column("event_date", "date", "Date of the event (ISO 8601). With week/month precision: the first day of the known window.", required=True),
    Column("date_precision", "str", "How exact event_date is: day, week, month, or range (somewhere between event_date and event_date_end). Empty means day."),
    Column("event_date_end", "date", "Last day of the window when date_precision is range (e.g. a UCDP event dated to a span longer than a month); empty otherwise."),
    Column("event_type", "str", "ACLED event type: Battles, Explosions/Remote violence, Violence against civilians, Protests, Riots, Strategic developments.", required=True),
    Column("sub_event_type", "str", "ACLED sub-event type belonging to event_type (e.g. Armed clash)."),
    Column("actor1", "str", "First actor named by the sources. Actor order does not say who started an incident."),
    Column("actor2", "str", "Second actor, if any."),
    Column("country", "str", "Country on whose side the sources report the event (English name)."),
    Column("admin1", "str", "First-level administrative unit as given by the sources (district or province)."),
    Column("location", "str", "Place name(s) as reported, with alternative names where known."),
    Column("latitude", "float", "WGS84 latitude in decimal degrees (-90..90).", required=True),
    Column("longitude", "float", "WGS84 longitude in decimal degrees (-180..180).", required=True),
    Column("geo_precision", "int", "Location certainty: 1 exact place, 2 near a named place, 3 region only (the point is a reference point, not the incident site).", required=True),
    Column("fatalities", "int", "Deaths acknowledged by a source; empty when no figure is known (not zero). Sums undercount multi-site episodes."),
    Column("fatalities_note", "str", "Who claimed which figures (e.g. 'AZ MoD: …; AM MoD: …')."),
    Column("source", "str", "Publication(s) the event rests on.", required=True),
    Column("source_url", "str", "URL of the main source.", required=True),
    Column("notes", "str", "Neutral description of the event and its caveats."),
    Column("coord_source", "str", "Where the coordinate comes from (gazetteer, article, reference point used)."),
)

DERIVED_COLUMNS: tuple[Column, ...] = (
    Column("region_id", "str", "Identifier of the region the point was joined to (geoBoundaries shapeID); empty when outside.", derived=True),
    Column("region_name", "str", "English name of the joined region.", derived=True),
    Column("region_country", "str", "ISO3 code of the country of the joined region (boundary layer's country).", derived=True),
    Column("region_level", "str", "Administrative level of the joined region (ADM1 province, ADM2 district).", derived=True),
    Column("region_match", "str", "How the region was found: inside (point in polygon), nearest (within the tolerance of a region) or outside.", derived=True),
    Column("border_km", "float", "Distance from the point to the nearest border line of the geography (the land borders between its countries, and lines added with --border), in km on the WGS84 ellipsoid; empty when the geography has no border line, and for an event outside every region of the geography (its region_match is outside: the geography knows no border near it).", derived=True),
    Column("country_mismatch", "bool", "True when the point lies in a region of another country than the one the sources gave (including where the two countries' boundary sources overlap): a flag to check, not an error to fix.", derived=True),
)

COLUMNS: tuple[Column, ...] = SOURCE_COLUMNS + DERIVED_COLUMNS
SOURCE_NAMES: tuple[str, ...] = tuple(c.name for c in SOURCE_COLUMNS)
DERIVED_NAMES: tuple[str, ...] = tuple(c.name for c in DERIVED_COLUMNS)
COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
REQUIRED_NAMES: tuple[str, ...] = tuple(c.name for c in SOURCE_COLUMNS if c.required)

WEB_URL_RULE = r"[Hh][Tt][Tt][Pp][Ss]?://\S+"
"""What a ``source_url`` must be as a whole (``re.fullmatch``): http(s), something after the
scheme, no whitespace. The loader rejects other values; the map and the details panel link only
these."""


def is_web_url(url: str) -> bool:
    """Whether ``url`` follows :data:`WEB_URL_RULE` (safe to show as a link)."""
    return re.fullmatch(WEB_URL_RULE, str(url)) is not None


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
    encoding: str = ""
    """The text encoding the file was in (UTF-8, UTF-8 with BOM, UTF-16, Windows-1252 converted)."""
    dates: str = ""
    """The date form found (or given) for event_date, e.g. "dd/mm/yyyy"."""
    notes: tuple[str, ...] = ()
    """What reading did besides: the container, columns dropped, an HXL row skipped."""

    @property
    def unresolved(self) -> pd.DataFrame:
        """Geocoding lines for names that matched no place or several (rows left without coordinates)."""
        if self.geocoding.empty:
            return self.geocoding
        return self.geocoding[self.geocoding["status"].isin(["ambiguous", "unmatched"])]

    def header_lines(self) -> list[str]:
        """How the file was read: its format and how it was recognised; encoding, date form and
        what reading did besides (container, dropped columns, HXL row)."""
        read = [f"encoding {self.encoding}"] if self.encoding else []
        read += [f"dates {self.dates}"] if self.dates else []
        return [f"{self.file}: format {self.format} ({self.detected_by})",
                *([f"read: {'; '.join(read + list(self.notes))}"] if read or self.notes else [])]

    def summary_lines(self) -> list[str]:
        """The report in plain lines, for the command line and the app."""
        lines = [
            *self.header_lines(),
            f"{self.rows} rows read: {self.accepted} accepted, {self.rejected} rejected; "
            f"{self.geocoded} given coordinates by the offline geocoder",
        ]
        for row in self.unresolved.itertuples(index=False):
            candidates = f"; candidates: {row.candidates}" if row.candidates else ""
            lines.append(f"  row {row.row}, location {row.location!r}: {row.status} — {row.detail}{candidates}")
        return lines


def column(name: str) -> Column:
    """Return the column called ``name``; KeyError if the schema has none."""
    for col in COLUMNS:
        if col.name == name:
            return col
    raise KeyError(name)


def data_dictionary() -> list[dict[str, str]]:
    """The schema as rows (column, type, required, description) for documentation and the app."""
    return [
        {
            "column": c.name,
            "type": c.kind,
            "required": "yes" if c.required else ("derived" if c.derived else "no"),
            "description": c.description,
        }
        for c in COLUMNS
    ]
