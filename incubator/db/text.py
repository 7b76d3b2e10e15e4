"""Portable text matching for simple filters (full-text search lives elsewhere)."""

from __future__ import annotations

from typing import Any

from piccolo.columns import Column

from incubator.db.transactions import is_sqlite


def contains_pattern(text: str) -> str:
    """A LIKE pattern for "contains"; SQLite's LIKE has no default escape character, so
    wildcards typed by people are dropped rather than escaped."""
    return "%" + " ".join(text.replace("%", " ").replace("_", " ").split()) + "%"


def icontains(column: Column, text: str) -> Any:
    """Case-insensitive "contains": ILIKE on PostgreSQL, LIKE (case-blind) on SQLite."""
    pattern = contains_pattern(text)
    return column.like(pattern) if is_sqlite() else column.ilike(pattern)
