"""Popups, tooltips and the incident record: every text from the data is HTML-escaped here, in
Python, before it reaches the browser, and only http(s) links are kept."""

from __future__ import annotations

import html

from mapdata import schema


def tooltip(row: dict, date: str) -> str:
    """``event_id · date · type · location``: the event_id first, so a click can be traced back."""
    parts = [row["event_id"], date, row["event_type"], row["location"]]
    return " · ".join(html.escape(p) for p in parts if p)


def popup(row: dict, date: str, deaths: int | None, precision: int) -> str:
    """An incident marker's popup: type, date and its precision, place, certainty, fatalities, source."""
    e = html.escape
    lines = [f"<b>{e(row['event_type'] or 'Unknown type')}</b>" + (f" – {e(row['sub_event_type'])}" if row["sub_event_type"] else "")]
    lines.append(f"<b>Date:</b> {e(_date_label(date, row['date_precision']))}")
    if row["location"]:
        lines.append(f"<b>Location:</b> {e(row['location'])}")
    lines.append(f"<b>Location certainty:</b> {e(schema.GEO_PRECISION_LABELS.get(precision, 'unknown'))}")
    if row["region_name"]:
        country = f" ({e(row['region_country'])})" if row["region_country"] else ""
        lines.append(f"<b>Region:</b> {e(row['region_name'])}{country}")
    lines.append(f"<b>Fatalities:</b> {deaths if deaths is not None else 'no figure known'}")
    if row["fatalities_note"]:
        lines.append(f"<small>{e(row['fatalities_note'])}</small>")
    lines.append(f"<b>Source:</b> {_source_link(row['source'], row['source_url'])}")
    lines.append(f"<small>{e(row['event_id'])}</small>")
    return "<div class='mapdata-popup'>" + "<br>".join(lines) + "</div>"


def details_html(record: dict[str, str]) -> str:
    """An event's full record (from :func:`mapdata.stats.event_details`) as an HTML definition
    list: every value escaped, line breaks kept, the source URL a link only if it is http(s)."""
    rows = []
    for label, value in record.items():
        text = html.escape(str(value)).replace("\n", "<br>")
        if label == "Source URL" and schema.is_web_url(str(value)):
            text = f'<a href="{html.escape(str(value), quote=True)}" target="_blank" rel="noopener noreferrer">{text}</a>'
        rows.append(f"<dt>{html.escape(label)}</dt><dd>{text}</dd>")
    style = ("<style>.incident-details{display:grid;grid-template-columns:11rem 1fr;gap:.35rem 1rem;margin:0}"
             ".incident-details dt{font-weight:600}.incident-details dd{margin:0;overflow-wrap:anywhere}</style>")
    return f'{style}<dl class="incident-details">{"".join(rows)}</dl>'


def _date_label(date: str, precision: str) -> str:
    if precision == "week":
        return f"week of {date} (exact day unknown)"
    if precision == "month":
        return f"{date[:7]} (month only)"
    if precision == "range":
        return f"{date} (somewhere in this window)"
    return date


def _source_link(source: str, url: str) -> str:
    label = html.escape(source or url or "source")
    if not schema.is_web_url(url):
        return label
    return f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">{label}</a>'
