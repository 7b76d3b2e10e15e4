"""The few SQL expressions that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from incubator.db.transactions import is_sqlite


def days_between(later: str, earlier: str) -> str:
    """Fractional days from `earlier` to `later` (column expressions)."""
    if is_sqlite():
        return f"(julianday({later}) - julianday({earlier}))"
    return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 86400.0)"


def month_of(column: str) -> str:
    """'YYYY-MM' of a timestamp."""
    if is_sqlite():
        return f"strftime('%Y-%m', {column})"
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM')"
