"""Compare two periods region by region: counts in each, the change, and ACLED-Trendfinder-like
change bands, for the compare mode of the Map and Regions pages and its CSV download.

Period A is the one under study (the app's selected date range), period B the one it is compared
with (by default the previous period of equal length, :func:`previous_period`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from .errors import FilterError

BANDS: tuple[str, ...] = ("> +25 %", "+10 to +25 %", "−25 to +10 %", "< −25 %", "new", "gone")
"""Change bands, from the largest rise to the largest fall; "new": events in A but none in B,
"gone": events in B but none in A. A region without events in either period has no band."""


@dataclass(frozen=True)
class Periods:
    """Period A (studied) and period B (compared with), each first and last day inclusive."""

    a: tuple[date, date]
    b: tuple[date, date]

    def __post_init__(self) -> None:
        for name, (first, last) in (("A", self.a), ("B", self.b)):
            if first > last:
                raise FilterError(f"period {name} starts {first}, after its end {last}")

    def describe(self) -> str:
        """The two periods in words."""
        return f"A {self.a[0]} to {self.a[1]} vs B {self.b[0]} to {self.b[1]}"


def previous_period(first: date, last: date) -> tuple[date, date]:
    """The period of equal length that ends the day before ``first``."""
    days = (last - first).days + 1
    return first - timedelta(days=days), first - timedelta(days=1)


def change_band(before: int, after: int) -> str | None:
    """The band of a change from ``before`` (period B) to ``after`` (period A) events.

    Rises of more than 25 % and falls of more than 25 % are bands of their own; +10 % to +25 %
    (both ends included) is a moderate rise; anything from −25 % (included) up to +10 %
    (excluded) counts as stable.
    """
    if before == 0:
        return "new" if after > 0 else None
    if after == 0:
        return "gone"
    change = (after - before) / before * 100
    if change > 25:
        return BANDS[0]
    if change >= 10:
        return BANDS[1]
    if change >= -25:
        return BANDS[2]
    return BANDS[3]


def compare_regions(events: pd.DataFrame, regions: pd.DataFrame, periods: Periods) -> pd.DataFrame:
    """Per region: events in period A and in period B, the change in per cent (empty when B has
    none) and the band; regions with no events in either period are left out. Sorted by band,
    then by A's count. ``events`` are already filtered by everything but the dates."""
    counts = {name: _count(events, first, last) for name, (first, last) in (("A", periods.a), ("B", periods.b))}
    return compare_table(counts["A"], counts["B"], regions)


def compare_table(counts_a: pd.Series, counts_b: pd.Series, regions: pd.DataFrame) -> pd.DataFrame:
    """:func:`compare_regions` from the events per ``region_id`` in period A and in period B (a
    store counts in SQL and bands here)."""
    table = pd.DataFrame(regions[["region_id", "name_en"]]).set_index("region_id")
    table["events_a"] = counts_a.reindex(table.index).fillna(0).astype("int64")
    table["events_b"] = counts_b.reindex(table.index).fillna(0).astype("int64")
    table = table[(table["events_a"] > 0) | (table["events_b"] > 0)]
    before, after = table["events_b"], table["events_a"]
    table["change_pct"] = ((after - before) / before.where(before > 0) * 100).round(1)
    table["band"] = [change_band(b, a) for b, a in zip(before, after)]
    order = {band: i for i, band in enumerate(BANDS)}
    table = table.assign(_order=table["band"].map(order)).sort_values(["_order", "events_a", "name_en"], ascending=[True, False, True])
    return table.drop(columns="_order").reset_index().rename(columns={"name_en": "region"})


def comparison_csv(table: pd.DataFrame, periods: Periods) -> bytes:
    """The comparison table as UTF-8 CSV, the two periods named in its column headers."""
    named = table.rename(columns={
        "events_a": f"events {periods.a[0]} to {periods.a[1]} (A)",
        "events_b": f"events {periods.b[0]} to {periods.b[1]} (B)",
        "change_pct": "change A vs B (%)",
    })
    return named.to_csv(index=False).encode("utf-8")


def _count(events: pd.DataFrame, first: date, last: date) -> pd.Series:
    dates = events["event_date"]
    inside = events[(dates >= pd.Timestamp(first)) & (dates <= pd.Timestamp(last))]
    return inside.groupby("region_id").size()
