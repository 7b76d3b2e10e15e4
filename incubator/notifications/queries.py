from __future__ import annotations

from typing import Any

from incubator.db.pagination import Page, clamp_page
from incubator.notifications.messages import KINDS, link, sentence
from incubator.notifications.tables import Delivery, Notification, NotificationPreference

PER_PAGE = 30


async def unread_count(person_id: int) -> int:
    return int(
        await Notification.count()
        .where((Notification.recipient == person_id) & Notification.read_at.is_null())
        .run()
    )


async def inbox(person_id: int, page: int | None = 1) -> Page[dict[str, Any]]:
    number = clamp_page(page)
    total = await Notification.count().where(Notification.recipient == person_id).run()
    rows = await (
        Notification.select()
        .where(Notification.recipient == person_id)
        .order_by(Notification.id, ascending=False)
        .limit(PER_PAGE)
        .offset((number - 1) * PER_PAGE)
        .output(load_json=True)
        .run()
    )
    for row in rows:
        data = row["data"] if isinstance(row["data"], dict) else {}
        row["sentence"] = sentence(row["kind"], data)
        row["url"] = link(row["kind"], row["subject_type"], row["subject_id"], data)
    return Page(items=rows, page=number, per_page=PER_PAGE, total=total)


async def preferences_of(person_id: int) -> dict[str, str]:
    rows = (
        await NotificationPreference.select(
            NotificationPreference.kind, NotificationPreference.delivery
        )
        .where(NotificationPreference.person == person_id)
        .run()
    )
    chosen = {row["kind"]: row["delivery"] for row in rows}
    return {kind: chosen.get(kind, Delivery.IN_APP.value) for kind in KINDS}
