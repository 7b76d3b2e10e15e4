"""/api/v1/ideas: the board and an idea as JSON, masked for blind ideas like the pages."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery

from incubator.accounts.identity import Actor
from incubator.ideas import queries
from incubator.web.api import PathId, QueryId, error_responses, jsonable

MAX_PER_PAGE = 100
_PUBLIC_FIELDS = (
    "id",
    "title",
    "summary",
    "stage",
    "status",
    "support_count",
    "comment_count",
    "tags",
    "challenge_id",
    "challenge_title",
    "author_id",
    "author_name",
    "identity_hidden",
    "created_at",
    "stage_entered_at",
)


def idea_json(row: dict[str, Any], *fields: str) -> dict[str, Any]:
    return {field: jsonable(row.get(field)) for field in (*_PUBLIC_FIELDS, *fields)}


class IdeaApiController(Controller):
    path = "/api/v1/ideas"
    tags = ["ideas"]

    @get("/", summary="Ideas, newest first, or ranked by a search", responses=error_responses(401))
    async def list_ideas(
        self,
        request: Request[Actor, Any, Any],
        q: FromQuery[str] = "",
        sort: FromQuery[str] = "newest",
        challenge_id: QueryId = None,
        tag: FromQuery[str] = "",
        stage: FromQuery[str] = "",
        page: FromQuery[int] = 1,
        per_page: FromQuery[int] = 20,
        after: FromQuery[str] = "",
    ) -> dict[str, Any]:
        """Follow `next_after` (as `after=`, with `page` + 1) for the next page: it costs
        the same however deep. `total` stops counting at 1,000 (`total_capped`)."""
        filters = queries.BoardFilters(
            q=q[:200],
            sort=sort if sort in queries.SORTS else "newest",
            challenge_id=challenge_id,
            tag=tag[:40],
            stage=stage,
        )
        size = min(max(per_page, 1), MAX_PER_PAGE)
        result = await queries.idea_board(
            request.user.id, filters, page, size, after=after[:40], dated=True
        )
        return {
            "items": [idea_json(row) for row in result.items],
            "page": result.page,
            "per_page": result.per_page,
            "total": result.total,
            "total_capped": result.total_capped,
            "next_after": result.next_after,
        }

    @get("/{idea_id:int}", summary="One idea", responses=error_responses(401, 404))
    async def get_idea(self, request: Request[Actor, Any, Any], idea_id: PathId) -> dict[str, Any]:
        row = await queries.idea_detail(idea_id, request.user.id)
        if row is None or row["merged_into"] is not None:
            raise NotFoundException()
        return idea_json(row, "description", "supported", "following")
