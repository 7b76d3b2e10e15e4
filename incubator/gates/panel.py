"""Drawing a review panel: peers outside the team, preferring skills that match the idea's
tags and spreading across departments. Chosen by skill and chance; a job title or rank is
never read."""

from __future__ import annotations

import random
from typing import Any

from piccolo.query import OrderByRaw

from incubator.accounts.tables import Person, PersonSkill
from incubator.ideas.tables import IdeaTag, TeamMember

CANDIDATES_BY_SKILL = 500
CANDIDATES_AT_RANDOM = 200


async def draw_panel(idea_id: int, size: int, rng: random.Random) -> list[int]:
    team = TeamMember.select(TeamMember.person).where(TeamMember.idea == idea_id)
    tags = IdeaTag.select(IdeaTag.tag).where(IdeaTag.idea == idea_id)
    matching = await (
        PersonSkill.select(
            PersonSkill.person.as_alias("id"),
            PersonSkill.person.department.as_alias("department"),
        )
        .where(
            PersonSkill.skill.name.is_in(tags)
            & (PersonSkill.person.is_active == True)  # noqa: E712
            & PersonSkill.person.not_in(team)
        )
        .limit(CANDIDATES_BY_SKILL)
        .run()
    )
    others = await (
        Person.select(Person.id, Person.department)
        .where((Person.is_active == True) & Person.id.not_in(team))  # noqa: E712
        .order_by(OrderByRaw("random()"))
        .limit(CANDIDATES_AT_RANDOM)
        .run()
    )
    return choose(matching, others, size, rng)


def choose(
    matching: list[dict[str, Any]], others: list[dict[str, Any]], size: int, rng: random.Random
) -> list[int]:
    """Most matching skills first (ties broken by chance), one per department while
    departments last, then the rest in the same order."""
    matches: dict[int, int] = {}
    department: dict[int, Any] = {}
    for row in matching:
        matches[row["id"]] = matches.get(row["id"], 0) + 1
        department[row["id"]] = row["department"]
    for row in others:
        matches.setdefault(row["id"], 0)
        department[row["id"]] = row["department"]
    order = sorted(matches, key=lambda person: (-matches[person], rng.random()))
    chosen: list[int] = []
    seen_departments: set[Any] = set()
    for person in order:
        if len(chosen) == size:
            break
        if department[person] not in seen_departments:
            chosen.append(person)
            seen_departments.add(department[person])
    for person in order:
        if len(chosen) == size:
            break
        if person not in chosen:
            chosen.append(person)
    return chosen
