"""Team rules: roles wanted, join requests and their answers, leaving a team."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from incubator.accounts.identity import Actor
from incubator.db.audit import record_event
from incubator.db.transactions import is_unique_violation, transaction
from incubator.errors import NotAllowed, NotFound, ValidationFailed
from incubator.events import JoinAnswered, JoinRequested, publish
from incubator.i18n import gettext as _
from incubator.ideas.services import is_team_member, live_idea
from incubator.ideas.tables import Idea, IdeaStatus, TeamMember, TeamRole
from incubator.tags import TAG_MAX_LENGTH, normalize_tag
from incubator.teams.policies import can_ask_to_join, can_manage_team
from incubator.teams.tables import JoinRequest, JoinStatus, RoleWanted

DESCRIPTION_MAX = 280
MESSAGE_MAX = 1_000
SUBJECT = "idea"


async def _require_member(actor: Actor, idea_id: int) -> dict[str, Any]:
    idea = await live_idea(idea_id)
    if not can_manage_team(on_team=await is_team_member(idea_id, actor.id)):
        raise NotAllowed(_("Only members of this idea's team can do that."))
    return idea


async def member_ids(idea_id: int) -> list[int]:
    rows = await TeamMember.select(TeamMember.person).where(TeamMember.idea == idea_id).run()
    return [row["person"] for row in rows]


async def add_role_wanted(actor: Actor, idea_id: int, skill: str, description: str) -> int:
    await _require_member(actor, idea_id)
    skill, description = normalize_tag(skill), description.strip()
    errors: dict[str, str] = {}
    if not skill or len(skill) > TAG_MAX_LENGTH:
        errors["skill"] = _(
            "Name the skill you need (up to %(max)s characters).", max=TAG_MAX_LENGTH
        )
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = _(
            "Keep the description under %(max)s characters.", max=DESCRIPTION_MAX
        )
    if errors:
        raise ValidationFailed(errors)
    role = RoleWanted(idea=idea_id, skill=skill, description=description)
    await role.save().run()
    return int(role.id)


async def set_role_filled(actor: Actor, idea_id: int, role_id: int, filled: bool) -> None:
    await _require_member(actor, idea_id)
    updated = (
        await RoleWanted.update({RoleWanted.filled: filled})
        .where((RoleWanted.id == role_id) & (RoleWanted.idea == idea_id))
        .returning(RoleWanted.id)
        .run()
    )
    if not updated:
        raise NotFound(_("This role does not exist."))


async def request_to_join(
    actor: Actor, idea_id: int, message: str, role_id: int | None = None
) -> int:
    idea = await live_idea(idea_id)
    on_team = await is_team_member(idea_id, actor.id)
    if on_team:
        raise ValidationFailed({"message": _("You are already on this team.")})
    if not can_ask_to_join(on_team=on_team, idea_status=idea["status"]):
        raise ValidationFailed({"message": _("This idea is no longer taking new members.")})
    message = message.strip()
    if len(message) > MESSAGE_MAX:
        raise ValidationFailed(
            {"message": _("Keep your message under %(max)s characters.", max=MESSAGE_MAX)}
        )
    if (
        role_id is not None
        and not await RoleWanted.exists()
        .where((RoleWanted.id == role_id) & (RoleWanted.idea == idea_id))
        .run()
    ):
        role_id = None
    already = _("You have already asked to join this team. The team will answer soon.")
    if (
        await JoinRequest.exists()
        .where(
            (JoinRequest.idea == idea_id)
            & (JoinRequest.person == actor.id)
            & (JoinRequest.status == JoinStatus.PENDING.value)
        )
        .run()
    ):
        raise ValidationFailed({"message": already})
    title = await Idea.select(Idea.title).where(Idea.id == idea_id).first().run()
    assert title is not None
    try:
        async with transaction():
            request = JoinRequest(
                idea=idea_id, person=actor.id, message=message, role_wanted=role_id
            )
            await request.save().run()
            await publish(
                JoinRequested(
                    idea_id=idea_id,
                    idea_title=title["title"],
                    request_id=request.id,
                    requester_id=actor.id,
                    requester_name=actor.name,
                    team_member_ids=tuple(await member_ids(idea_id)),
                )
            )
    except Exception as error:
        if is_unique_violation(error):  # two requests raced past the check above
            raise ValidationFailed({"message": already}) from error
        raise
    return int(request.id)


async def answer_request(actor: Actor, idea_id: int, request_id: int, *, accept: bool) -> None:
    """A team member accepts or declines; exactly one answer wins if two arrive at once."""
    await _require_member(actor, idea_id)
    status = JoinStatus.ACCEPTED if accept else JoinStatus.DECLINED
    async with transaction():
        decided = (
            await JoinRequest.update(
                {
                    JoinRequest.status: status.value,
                    JoinRequest.decided_at: datetime.now(UTC),
                    JoinRequest.decided_by: actor.id,
                }
            )
            .where(
                (JoinRequest.id == request_id)
                & (JoinRequest.idea == idea_id)
                & (JoinRequest.status == JoinStatus.PENDING.value)
            )
            .returning(JoinRequest.person, JoinRequest.role_wanted)
            .run()
        )
        if not decided:
            raise NotFound(_("This request has already been answered."))
        person_id, role_id = decided[0]["person"], decided[0]["role_wanted"]
        if accept:
            await (
                TeamMember.insert(TeamMember(idea=idea_id, person=person_id))
                .on_conflict(action="DO NOTHING")
                .run()
            )
            if role_id is not None:
                await (
                    RoleWanted.update({RoleWanted.filled: True, RoleWanted.filled_by: person_id})
                    .where(RoleWanted.id == role_id)
                    .run()
                )
        title = await Idea.select(Idea.title).where(Idea.id == idea_id).first().run()
        assert title is not None
        await publish(
            JoinAnswered(
                idea_id=idea_id,
                idea_title=title["title"],
                request_id=request_id,
                requester_id=person_id,
                accepted=accept,
            )
        )
        await record_event(
            actor_id=actor.id,
            action=f"team.request_{status.value}",
            subject_type=SUBJECT,
            subject_id=idea_id,
            data={"request": request_id, "person": person_id},
        )


async def leave_team(actor: Actor, idea_id: int) -> None:
    """Leave a team. The last member cannot leave an idea still in play; an owner who
    leaves hands ownership to the member who joined earliest."""
    idea = await live_idea(idea_id)
    async with transaction():
        members = (
            await TeamMember.select(TeamMember.id, TeamMember.person, TeamMember.role)
            .where(TeamMember.idea == idea_id)
            .order_by(TeamMember.joined_at)
            .order_by(TeamMember.id)
            .run()
        )
        mine = next((m for m in members if m["person"] == actor.id), None)
        if mine is None:
            raise NotAllowed(_("You are not on this team."))
        if len(members) == 1 and idea["status"] in {
            IdeaStatus.ACTIVE.value,
            IdeaStatus.ON_HOLD.value,
        }:
            raise ValidationFailed(
                {
                    "team": _(
                        "You are the last member: invite someone before you leave, "
                        "or ask a steward to close the idea."
                    )
                }
            )
        await TeamMember.delete().where(TeamMember.id == mine["id"]).run()
        successor = None
        if mine["role"] == TeamRole.OWNER.value:
            successor = next(m for m in members if m["person"] != actor.id)
            await (
                TeamMember.update({TeamMember.role: TeamRole.OWNER.value})
                .where(TeamMember.id == successor["id"])
                .run()
            )
        await record_event(
            actor_id=actor.id,
            action="team.member_left",
            subject_type=SUBJECT,
            subject_id=idea_id,
            data={"new_owner": successor["person"] if successor else None},
        )
