"""Turn domain events into notifications, inside the publishing transaction, delivered as
each person chose (see delivery.py)."""

from __future__ import annotations

from incubator.accounts.roles import Role
from incubator.accounts.tables import Person
from incubator.challenges.tables import Challenge
from incubator.discussion.tables import Follow
from incubator.events import (
    CommentPosted,
    JoinAnswered,
    JoinRequested,
    LeadershipDigest,
    PanelInvited,
    RoundDecided,
    RoundEscalated,
    subscribe,
)
from incubator.ideas.tables import Idea, Support, TeamMember
from incubator.notifications.delivery import deliver


async def _join_requested(event: JoinRequested) -> None:
    await deliver(
        set(event.team_member_ids),
        "join_requested",
        "idea",
        event.idea_id,
        {
            "request": event.request_id,
            "idea_title": event.idea_title,
            "requester": event.requester_name,
        },
    )


async def _join_answered(event: JoinAnswered) -> None:
    await deliver(
        {event.requester_id},
        "join_accepted" if event.accepted else "join_declined",
        "idea",
        event.idea_id,
        {"request": event.request_id, "idea_title": event.idea_title},
    )


async def _panel_invited(event: PanelInvited) -> None:
    await deliver(
        set(event.panel_ids),
        "panel_invited",
        "idea",
        event.idea_id,
        {"round": event.round_id, "idea_title": event.idea_title, "closes_at": event.closes_at},
    )


async def _round_decided(event: RoundDecided) -> None:
    """The team, everyone following the idea and everyone supporting it hear the decision."""
    team = await TeamMember.select(TeamMember.person).where(TeamMember.idea == event.idea_id).run()
    followers = (
        await Follow.select(Follow.person)
        .where((Follow.subject_type == "idea") & (Follow.subject_id == event.idea_id))
        .run()
    )
    supporters = await Support.select(Support.person).where(Support.idea == event.idea_id).run()
    await deliver(
        {row["person"] for row in (*team, *followers, *supporters)},
        "round_decided",
        "idea",
        event.idea_id,
        {
            "round": event.round_id,
            "idea_title": event.idea_title,
            "outcome": event.outcome,
            "to_stage": event.to_stage,
        },
    )


async def _leaders() -> set[int]:
    rows = (
        await Person.select(Person.id)
        .where(
            Person.roles.any(Role.LEADERSHIP.value) & (Person.is_active == True)  # noqa: E712
        )
        .run()
    )
    return {row["id"] for row in rows}


async def _round_escalated(event: RoundEscalated) -> None:
    await deliver(
        await _leaders(),
        "round_escalated",
        "idea",
        event.idea_id,
        {"round": event.round_id, "idea_title": event.idea_title},
    )


async def _leadership_digest(event: LeadershipDigest) -> None:
    await deliver(
        await _leaders(),
        "leadership_digest",
        "pipeline",
        0,
        {"period": event.period, **event.summary},
    )


async def _comment_posted(event: CommentPosted) -> None:
    """Everyone following the subject hears of a new comment, except its author."""
    followers = (
        await Follow.select(Follow.person)
        .where(
            (Follow.subject_type == event.subject_type) & (Follow.subject_id == event.subject_id)
        )
        .run()
    )
    title = await _subject_title(event.subject_type, event.subject_id)
    await deliver(
        {row["person"] for row in followers} - {event.author_id},
        "comment_posted",
        event.subject_type,
        event.subject_id,
        {"comment": event.comment_id, "author": event.author_name, "title": title},
    )


async def _subject_title(subject_type: str, subject_id: int) -> str:
    table: type[Idea] | type[Challenge] = Idea if subject_type == "idea" else Challenge
    row = await table.select(table.title).where(table.id == subject_id).first().run()
    return "" if row is None else str(row["title"])


def register() -> None:
    """Idempotent: the app and the command line both call it at start-up."""
    subscribe(JoinRequested, _join_requested)
    subscribe(JoinAnswered, _join_answered)
    subscribe(PanelInvited, _panel_invited)
    subscribe(RoundDecided, _round_decided)
    subscribe(RoundEscalated, _round_escalated)
    subscribe(LeadershipDigest, _leadership_digest)
    subscribe(CommentPosted, _comment_posted)
