"""Read models for account pages: one query per list, whatever its size."""

from __future__ import annotations

from typing import Any

from incubator.accounts.tables import Department, Person, PersonSkill, Skill
from incubator.db.pagination import DEFAULT_PER_PAGE, Page, clamp_page
from incubator.db.text import icontains

_PERSON_CARD = (
    Person.id,
    Person.name,
    Person.department.name.as_alias("department"),
    Person.skills(Skill.name, as_list=True),
)


async def department_names() -> list[str]:
    rows = await Department.select(Department.name).order_by(Department.name).run()
    return [row["name"] for row in rows]


async def person_profile(person_id: int) -> dict[str, Any] | None:
    row: dict[str, Any] | None = await (
        Person.select(
            *_PERSON_CARD,
            Person.bio,
            Person.job_title,
            Person.roles,
            Person.created_at,
            Person.locale,
            Person.email,
        )
        .where((Person.id == person_id) & (Person.is_active == True))  # noqa: E712
        .first()
        .run()
    )
    if row is not None:
        row["skills"] = sorted(row["skills"] or [])
    return row


async def directory_page(
    query: str = "", page: int | None = 1, per_page: int = DEFAULT_PER_PAGE
) -> Page[dict[str, Any]]:
    """Active people, filtered by a word found in their name, department or skills."""
    condition = Person.is_active == True  # noqa: E712
    if query := " ".join(query.split())[:80]:
        with_skill = PersonSkill.select(PersonSkill.person).where(
            icontains(PersonSkill.skill.name, query)
        )
        condition &= (
            icontains(Person.name, query)
            | icontains(Person.department.name, query)
            | Person.id.is_in(with_skill)
        )
    number = clamp_page(page)
    total = await Person.count().where(condition).run()
    rows = await (
        Person.select(*_PERSON_CARD)
        .where(condition)
        .order_by(Person.name)
        .limit(per_page)
        .offset((number - 1) * per_page)
        .run()
    )
    for row in rows:
        row["skills"] = sorted(row["skills"] or [])
    return Page(items=rows, page=number, per_page=per_page, total=total)


async def people_with_roles(page: int | None = 1, per_page: int = 50) -> Page[dict[str, Any]]:
    number = clamp_page(page)
    total = await Person.count().run()
    rows = await (
        Person.select(
            Person.id,
            Person.name,
            Person.email,
            Person.roles,
            Person.is_active,
            Person.department.name.as_alias("department"),
        )
        .order_by(Person.name)
        .limit(per_page)
        .offset((number - 1) * per_page)
        .run()
    )
    return Page(items=rows, page=number, per_page=per_page, total=total)
