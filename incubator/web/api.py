"""Shared by the JSON API controllers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter, QueryParameter

from incubator.web.forms import MAX_ID

# Ids beyond the database's integer range name nothing: refused (400) before any query.
PathId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)]


@dataclass
class ApiError:
    status_code: int
    detail: str


def error_responses(*codes: int) -> dict[int, ResponseSpec]:
    """How the API's errors look (web/errors.py answers them), for the OpenAPI schema."""
    descriptions = {
        401: "Not signed in, or the token is invalid or revoked",
        403: "Reserved to another role",
        404: "No such thing",
    }
    return {
        code: ResponseSpec(data_container=ApiError, description=descriptions[code])
        for code in codes
    }


def jsonable(value: Any) -> Any:
    """Dates as ISO 8601 strings; everything else as it is."""
    return value.isoformat() if isinstance(value, datetime | date) else value
