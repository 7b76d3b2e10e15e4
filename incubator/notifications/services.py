from __future__ import annotations

from datetime import UTC, datetime

from incubator.db.transactions import transaction
from incubator.errors import ValidationFailed
from incubator.i18n import gettext as _
from incubator.notifications.messages import KINDS
from incubator.notifications.tables import Delivery, Notification, NotificationPreference
from incubator.web.identities import identities_changed


async def mark_all_read(person_id: int) -> None:
    await (
        Notification.update({Notification.read_at: datetime.now(UTC)})
        .where((Notification.recipient == person_id) & Notification.read_at.is_null())
        .run()
    )
    await identities_changed(person_id)  # the unread count in their header


def _check_preference(kind: str, delivery: str) -> None:
    if kind not in KINDS or delivery not in {d.value for d in Delivery}:
        raise ValidationFailed({f"pref_{kind}": _("Choose how to be told.")})


async def set_preferences(person_id: int, choices: dict[str, str]) -> None:
    """Several kinds at once: all are checked before any is saved, in one transaction."""
    for kind, delivery in choices.items():
        _check_preference(kind, delivery)
    async with transaction():
        for kind, delivery in choices.items():
            await set_preference(person_id, kind, delivery)


async def set_preference(person_id: int, kind: str, delivery: str) -> None:
    _check_preference(kind, delivery)
    await (
        NotificationPreference.insert(
            NotificationPreference(person=person_id, kind=kind, delivery=delivery)
        )
        .on_conflict(
            target=(NotificationPreference.person, NotificationPreference.kind),
            action="DO UPDATE",
            values=[NotificationPreference.delivery],
        )
        .run()
    )
