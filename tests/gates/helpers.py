"""Building blocks for gate tests: an idea whose team spans two departments, peers."""

from __future__ import annotations

from incubator.accounts.identity import Actor
from incubator.gates import services
from incubator.teams import services as teams
from tests import factories

GO = {"customer_value": "4", "feasibility": "4", "strategic_fit": "3"}
LOW = {"customer_value": "2", "feasibility": "2", "strategic_fit": "2"}


async def idea_with_team(author_id: int, member_id: int | None = None, **fields: str) -> int:
    idea_id = await factories.idea(author_id, **fields)
    if member_id is not None:
        author, member = await factories.actor(author_id), await factories.actor(member_id)
        request_id = await teams.request_to_join(member, idea_id, "")
        await teams.answer_request(author, idea_id, request_id, accept=True)
    return idea_id


async def peers(count: int) -> list[Actor]:
    return [await factories.actor(person) for person in await factories.people(count, "voter")]


def ballot(
    decision: str, scores: dict[str, str] | None = None, rationale: str = ""
) -> services.Ballot:
    return services.Ballot(decision=decision, scores=scores or GO, rationale=rationale)
