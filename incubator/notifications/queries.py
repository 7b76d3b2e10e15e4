from __future__ import annotations

from typing import Any

from incubator.db.pagination import KeysetOrder, Page, capped_count, clamp_page, keyset_page
from incubator.notifications.messages import KINDS, link, sentence
from incubator.notifications.tables import Delivery, Notification, NotificationPreference

PER_PAGE = 30
NEWEST_FIRST = KeysetOrder(("notification.id",), lambda row: (row["id"],))


async def unread_count(person_id: int) -> int:
    return int(
        await Notification.count()
        .where((Notification.recipient == person_id) & Notification.read_at.is_null())
        .run()
    )


async def inbox(
    person_id: int,
    page: int | None = 1,
    *,
    after: str | None = None,
    before: str | None = None,
) -> Page[dict[str, Any]]:
    """Newest first; pages by keyset and counts up to a cap (an inbox only grows)."""
    number = clamp_page(page)
    mine = Notification.recipient == person_id
    total, capped = await capped_count(Notification.select(Notification.id).where(mine))
    rows, next_after, prev_before = await keyset_page(
        lambda: Notification.select().where(mine).output(load_json=True),
        NEWEST_FIRST,
        page=number,
        per_page=PER_PAGE,
        after=after,
        before=before,
    )
    for row in rows:
        data = row["data"] if isinstance(row["data"], dict) else {}
        row["sentence"] = sentence(row["kind"], data)
        row["url"] = link(row["kind"], row["subject_type"], row["subject_id"], data)
    return Page(
        items=rows,
        page=number,
        per_page=PER_PAGE,
        total=total,
        total_capped=capped,
        next_after=next_after,
        prev_before=prev_before,
    )


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
