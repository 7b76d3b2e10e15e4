"""Turn domain events into in-app notifications, inside the publishing transaction.
(Delivery by e-mail and digests build on these rows.)"""

from __future__ import annotations

from incubator.accounts.roles import Role
from incubator.accounts.tables import Person
from incubator.discussion.tables import Follow
from incubator.events import (
    JoinAnswered,
    JoinRequested,
    LeadershipDigest,
    PanelInvited,
    RoundDecided,
    RoundEscalated,
    subscribe,
)
from incubator.ideas.tables import TeamMember
from incubator.notifications.tables import Notification


async def _join_requested(event: JoinRequested) -> None:
    rows = [
        Notification(
            recipient=member_id,
            kind="join_requested",
            subject_type="idea",
            subject_id=event.idea_id,
            data={
                "request": event.request_id,
                "idea_title": event.idea_title,
                "requester": event.requester_name,
            },
        )
        for member_id in event.team_member_ids
    ]
    if rows:
        await Notification.insert(*rows).run()


async def _join_answered(event: JoinAnswered) -> None:
    await Notification.insert(
        Notification(
            recipient=event.requester_id,
            kind="join_accepted" if event.accepted else "join_declined",
            subject_type="idea",
            subject_id=event.idea_id,
            data={"request": event.request_id, "idea_title": event.idea_title},
        )
    ).run()


async def _notify(recipients: set[int], kind: str, idea_id: int, data: dict[str, object]) -> None:
    if recipients:
        await Notification.insert(
            *(
                Notification(
                    recipient=person, kind=kind, subject_type="idea", subject_id=idea_id, data=data
                )
                for person in sorted(recipients)
            )
        ).run()


async def _panel_invited(event: PanelInvited) -> None:
    await _notify(
        set(event.panel_ids),
        "panel_invited",
        event.idea_id,
        {"round": event.round_id, "idea_title": event.idea_title, "closes_at": event.closes_at},
    )


async def _round_decided(event: RoundDecided) -> None:
    """The team and everyone following the idea hear the decision."""
    team = await TeamMember.select(TeamMember.person).where(TeamMember.idea == event.idea_id).run()
    followers = (
        await Follow.select(Follow.person)
        .where((Follow.subject_type == "idea") & (Follow.subject_id == event.idea_id))
        .run()
    )
    recipients = {row["person"] for row in team} | {row["person"] for row in followers}
    await _notify(
        recipients,
        "round_decided",
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
    await _notify(
        await _leaders(),
        "round_escalated",
        event.idea_id,
        {"round": event.round_id, "idea_title": event.idea_title},
    )


async def _leadership_digest(event: LeadershipDigest) -> None:
    recipients = await _leaders()
    if recipients:
        await Notification.insert(
            *(
                Notification(
                    recipient=person,
                    kind="leadership_digest",
                    subject_type="pipeline",
                    subject_id=0,
                    data={"period": event.period, **event.summary},
                )
                for person in sorted(recipients)
            )
        ).run()


def register() -> None:
    """Idempotent: the app and the command line both call it at start-up."""
    subscribe(JoinRequested, _join_requested)
    subscribe(JoinAnswered, _join_answered)
    subscribe(PanelInvited, _panel_invited)
    subscribe(RoundDecided, _round_decided)
    subscribe(RoundEscalated, _round_escalated)
    subscribe(LeadershipDigest, _leadership_digest)
