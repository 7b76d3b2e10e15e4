"""Shared by the JSON API controllers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any


def jsonable(value: Any) -> Any:
    """Dates as ISO 8601 strings; everything else as it is."""
    return value.isoformat() if isinstance(value, datetime | date) else value
