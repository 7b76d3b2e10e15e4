"""Turn domain events into in-app notifications, inside the publishing transaction.
(Delivery by e-mail and digests build on these rows.)"""

from __future__ import annotations

from incubator.events import JoinAnswered, JoinRequested, subscribe
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


def register() -> None:
    """Idempotent: the app and the command line both call it at start-up."""
    subscribe(JoinRequested, _join_requested)
    subscribe(JoinAnswered, _join_answered)
