"""Test data made through the real services, the way people make it."""

from __future__ import annotations

from typing import Any

from incubator.accounts import services as accounts
from incubator.accounts.identity import Actor
from incubator.challenges import services as challenges
from incubator.ideas import services as ideas


async def actor(person_id: int) -> Actor:
    loaded = await accounts.load_actor(person_id)
    assert loaded is not None
    return loaded


async def challenge(
    author_id: int, title: str = "How might we delight customers?", **fields: Any
) -> int:
    draft = challenges.ChallengeDraft(
        title=title, problem=fields.pop("problem", "Customers wait too long."), **fields
    )
    return await challenges.post_challenge(await actor(author_id), draft)


async def idea(author_id: int, title: str = "A faster refund form", **fields: Any) -> int:
    draft = ideas.IdeaDraft(
        title=title, summary=fields.pop("summary", "Refunds in one step."), **fields
    )
    return await ideas.propose_idea(await actor(author_id), draft)


async def people(count: int, prefix: str = "peer") -> list[int]:
    ids = []
    for number in range(count):
        person = await accounts.register(
            email=f"{prefix}{number}@example.com",
            name=f"{prefix.title()} {number}",
            password="correct horse battery",
            department=f"Dept {number % 5}",
        )
        ids.append(int(person.id))
    return ids
