"""/api/v1/challenges: the challenge list as JSON."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromQuery

from incubator.accounts.identity import Actor
from incubator.challenges import queries
from incubator.web.api import error_responses, jsonable

_FIELDS = (
    "id",
    "title",
    "problem",
    "source",
    "status",
    "closes_on",
    "idea_count",
    "tags",
    "author_id",
    "author_name",
    "created_at",
)


class ChallengeApiController(Controller):
    path = "/api/v1/challenges"
    tags = ["challenges"]

    @get("/", summary="Challenges, open ones first", responses=error_responses(401))
    async def list_challenges(
        self,
        request: Request[Actor, Any, Any],
        source: FromQuery[str] = "",
        status: FromQuery[str] = "",
        page: FromQuery[int] = 1,
        per_page: FromQuery[int] = 20,
    ) -> dict[str, Any]:
        size = min(max(per_page, 1), 100)
        result = await queries.challenge_list(
            source=source, status=status, page=page, per_page=size
        )
        return {
            "items": [
                {field: jsonable(row.get(field)) for field in _FIELDS} for row in result.items
            ],
            "page": result.page,
            "per_page": result.per_page,
            "total": result.total,
        }
