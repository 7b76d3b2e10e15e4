"""Read models for teams: the team panel of an idea, matching people to open roles, and
what a person's home page should offer. Each answers in a fixed number of queries."""

from __future__ import annotations

from typing import Any

from piccolo.query import OrderByRaw
from piccolo.query.methods.select import Select

from incubator.accounts.tables import PersonSkill
from incubator.db.pagination import CompiledSelect, SelectSql
from incubator.ideas.tables import Idea, TeamMember
from incubator.teams.tables import JoinRequest, JoinStatus, RoleWanted

SUGGESTIONS_PER_ROLE = 5

# Compiled once (see CompiledSelect): every idea page shows its team.
_MEMBERS_SQL = SelectSql(
    lambda: TeamMember.select(
        TeamMember.person.as_alias("person_id"),
        TeamMember.person.name.as_alias("name"),
        TeamMember.person._.department._.name.as_alias("department"),
        TeamMember.role,
        TeamMember.joined_at,
    )
)
_ROLES_SQL = SelectSql(
    lambda: RoleWanted.select(
        RoleWanted.id,
        RoleWanted.skill,
        RoleWanted.description,
        RoleWanted.filled,
        RoleWanted.filled_by.name.as_alias("filled_by_name"),
    )
)
_MEMBERS_ORDER = (OrderByRaw("team_member.joined_at"), OrderByRaw("team_member.id"))
_ROLES_ORDER = (OrderByRaw("role_wanted.filled"), OrderByRaw("role_wanted.id"))


async def team_panel(idea_id: int, viewer_id: int, *, identity_visible: bool) -> dict[str, Any]:
    """Members (hidden for a blind idea when the viewer may not know them), the departments
    they span, roles wanted, and — for the team — pending requests and suggested people."""
    members = await (
        CompiledSelect(_MEMBERS_SQL)
        .where(TeamMember.idea == idea_id)
        .order_by(*_MEMBERS_ORDER)
        .run()
    )
    on_team = any(member["person_id"] == viewer_id for member in members)
    departments = sorted({m["department"] for m in members if m["department"]})
    roles = await (
        CompiledSelect(_ROLES_SQL).where(RoleWanted.idea == idea_id).order_by(*_ROLES_ORDER).run()
    )
    requests = (
        await JoinRequest.select(
            JoinRequest.id,
            JoinRequest.message,
            JoinRequest.created_at,
            JoinRequest.person.as_alias("person_id"),
            JoinRequest.person.name.as_alias("name"),
            JoinRequest.person._.department._.name.as_alias("department"),
            JoinRequest.role_wanted.skill.as_alias("role_skill"),
        )
        .where((JoinRequest.idea == idea_id) & (JoinRequest.status == JoinStatus.PENDING.value))
        .order_by(JoinRequest.id)
        .run()
        if on_team
        else []
    )
    my_request = (
        await JoinRequest.exists()
        .where(
            (JoinRequest.idea == idea_id)
            & (JoinRequest.person == viewer_id)
            & (JoinRequest.status == JoinStatus.PENDING.value)
        )
        .run()
    )
    open_skills = sorted({role["skill"] for role in roles if not role["filled"]})
    suggestions = (
        await suggest_people(open_skills, [m["person_id"] for m in members], departments)
        if on_team and open_skills
        else {}
    )
    visible = identity_visible or on_team
    return {
        "members": members if visible else [],
        "member_count": len(members),
        "departments": departments if visible else [],
        "cross_functional": len(departments) >= 2,
        "roles": roles,
        "open_roles": [role for role in roles if not role["filled"]],
        "requests": requests,
        "on_team": on_team,
        "my_request_pending": my_request,
        "suggestions": suggestions,
    }


async def suggest_people(
    skills: list[str], member_ids: list[int], team_departments: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """Up to five people per skill, from departments the team does not yet span, chosen by
    skill alone (never by title or rank)."""
    condition = (
        PersonSkill.skill.name.is_in(skills) & (PersonSkill.person.is_active == True)  # noqa: E712
    )
    if member_ids:
        condition &= PersonSkill.person.not_in(member_ids)
    if team_departments:
        condition &= PersonSkill.person._.department._.name.not_in(team_departments) | (
            PersonSkill.person._.department.is_null()
        )
    rows = await (
        PersonSkill.select(
            PersonSkill.skill.name.as_alias("skill"),
            PersonSkill.person.as_alias("person_id"),
            PersonSkill.person.name.as_alias("name"),
            PersonSkill.person._.department._.name.as_alias("department"),
        )
        .where(condition)
        .order_by(PersonSkill.person.name)
        .limit(SUGGESTIONS_PER_ROLE * len(skills) * 4)
        .run()
    )
    suggestions: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        bucket = suggestions.setdefault(row["skill"], [])
        if len(bucket) < SUGGESTIONS_PER_ROLE:
            bucket.append(row)
    return suggestions


def ideas_looking_for_people() -> Select[Any]:
    """Ids of ideas with at least one open role (a sub-select for the idea board)."""
    return RoleWanted.select(RoleWanted.idea).where(RoleWanted.filled == False)  # noqa: E712


def ideas_looking_for_skills_of(person_id: int) -> Select[Any]:
    my_skills = PersonSkill.select(PersonSkill.skill.name).where(PersonSkill.person == person_id)
    return RoleWanted.select(RoleWanted.idea).where(
        (RoleWanted.filled == False) & RoleWanted.skill.is_in(my_skills)  # noqa: E712
    )


async def open_roles_for(person_id: int, limit: int = 5) -> list[dict[str, Any]]:
    """Open roles on live ideas matching the person's skills, on teams they are not on."""
    my_skills = PersonSkill.select(PersonSkill.skill.name).where(PersonSkill.person == person_id)
    my_teams = TeamMember.select(TeamMember.idea).where(TeamMember.person == person_id)
    return await (
        RoleWanted.select(
            RoleWanted.id,
            RoleWanted.skill,
            RoleWanted.description,
            RoleWanted.idea.as_alias("idea_id"),
            RoleWanted.idea.title.as_alias("idea_title"),
        )
        .where(
            (RoleWanted.filled == False)  # noqa: E712
            & RoleWanted.skill.is_in(my_skills)
            & RoleWanted.idea.not_in(my_teams)
            & RoleWanted.idea._.merged_into.is_null()
            & RoleWanted.idea._.status.is_in(["active", "on_hold"])
        )
        .order_by(RoleWanted.id, ascending=False)
        .limit(limit)
        .run()
    )


async def requests_to_answer(person_id: int, limit: int = 10) -> list[dict[str, Any]]:
    """Pending requests to join the teams this person is on."""
    my_teams = TeamMember.select(TeamMember.idea).where(TeamMember.person == person_id)
    return await (
        JoinRequest.select(
            JoinRequest.id,
            JoinRequest.message,
            JoinRequest.created_at,
            JoinRequest.idea.as_alias("idea_id"),
            JoinRequest.idea.title.as_alias("idea_title"),
            JoinRequest.person.name.as_alias("name"),
        )
        .where((JoinRequest.status == JoinStatus.PENDING.value) & JoinRequest.idea.is_in(my_teams))
        .order_by(JoinRequest.id)
        .limit(limit)
        .run()
    )


async def ideas_of_person(person_id: int, viewer_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """Ideas a person works on, for their profile: blind ideas stay hidden from others."""
    condition = (TeamMember.person == person_id) & TeamMember.idea._.merged_into.is_null()
    if viewer_id != person_id:
        condition &= (TeamMember.idea._.blind == False) | (  # noqa: E712
            TeamMember.idea._.revealed_at.is_not_null()
        )
    return await (
        TeamMember.select(
            TeamMember.idea.as_alias("id"),
            TeamMember.idea.title.as_alias("title"),
            TeamMember.idea.stage.as_alias("stage"),
            TeamMember.idea.status.as_alias("status"),
            TeamMember.role,
        )
        .where(condition)
        .order_by(TeamMember.id, ascending=False)
        .limit(limit)
        .run()
    )


async def title_of(idea_id: int) -> str | None:
    row = await Idea.select(Idea.title).where(Idea.id == idea_id).first().run()
    return None if row is None else str(row["title"])
