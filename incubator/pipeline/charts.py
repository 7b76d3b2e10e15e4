"""Geometry for the dashboard's inline SVG charts, computed on the server so the charts
read without JavaScript; the templates draw them and say the same in a table."""

from __future__ import annotations

from typing import Any

FUNNEL_WIDTH = 640
FUNNEL_LABEL = 150
FUNNEL_ROW = 44


def funnel_bars(funnel: list[dict[str, Any]]) -> list[dict[str, Any]]:
    top = max((row["reached"] for row in funnel), default=0) or 1
    span = FUNNEL_WIDTH - FUNNEL_LABEL - 120  # room for the value after the bar
    return [
        {**row, "y": index * FUNNEL_ROW, "width": max(2, round(span * row["reached"] / top))}
        for index, row in enumerate(funnel)
    ]


def throughput_columns(months: list[dict[str, Any]], height: int = 160) -> list[dict[str, Any]]:
    top = max((max(m["proposed"], m["decided"]) for m in months), default=0) or 1
    columns = []
    for index, month in enumerate(months):
        proposed = round(height * month["proposed"] / top)
        decided = round(height * month["decided"] / top)
        columns.append(
            {
                **month,
                "x": 40 + index * 50,
                "proposed_height": proposed,
                "decided_height": decided,
                "proposed_y": height - proposed + 10,
                "decided_y": height - decided + 10,
            }
        )
    return columns
