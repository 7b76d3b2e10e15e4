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


def distinct_list(column: str) -> str:
    """The distinct values of a column as one comma-separated string (an aggregate)."""
    if is_sqlite():
        return f"group_concat(DISTINCT {column})"
    return f"string_agg(DISTINCT {column}, ',')"


def timestamp_parameter() -> str:
    """A bound timestamp PostgreSQL can do arithmetic with (it cannot infer a bare $1)."""
    return "{}" if is_sqlite() else "CAST({} AS timestamptz)"
