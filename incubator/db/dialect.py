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


# The ASCII unit separator: text cleaned by str.split() (tags, say) never holds it.
LIST_SEPARATOR = "\x1f"


def joined_list(column: str, rows: str, order: str) -> str:
    """A scalar subquery: `column` over `rows` (a FROM … WHERE … clause) joined by
    LIST_SEPARATOR in `order`, NULL for none (read it with `split_list`). It may refer to
    columns of the enclosing query. Cheaper to read than JSON: one str.split per row."""
    if is_sqlite():
        ordered = f"SELECT {column} {rows} ORDER BY {order}"
        return f"(SELECT group_concat({column}, char(31)) FROM ({ordered}))"  # noqa: S608 - ours
    return f"(SELECT string_agg({column}, chr(31) ORDER BY {order}) {rows})"


def split_list(joined: str | None) -> list[str]:
    """The values of a `joined_list` column."""
    return joined.split(LIST_SEPARATOR) if joined else []
