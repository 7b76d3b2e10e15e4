from __future__ import annotations

import json
from typing import Any

from piccolo.querystring import QueryString

from incubator.accounts.identity import Actor
from incubator.db.pagination import KeysetOrder, Page, capped_count, clamp_page, keyset_page
from incubator.db.transactions import engine
from incubator.notifications.messages import KINDS, link, sentence
from incubator.notifications.tables import Delivery, Notification, NotificationPreference

PER_PAGE = 30
NEWEST_FIRST = KeysetOrder(("notification.id",), lambda row: (row["id"],))


# The header shows up to 99 unread and then "99+" (the `at_most` filter): counting stops
# at 100, so a page costs the same for someone with thousands unread.
UNREAD_COUNTED = 100
_SIGNED_IN = (
    "SELECT person.id, person.name, person.email, person.locale, person.roles, "
    "person.department, {} AS unread FROM person WHERE person.id = {} AND person.is_active = {}"
)


def _unread(person_id: int) -> QueryString:
    return QueryString(
        "(SELECT count(*) FROM (SELECT 1 FROM notification WHERE notification.recipient = {} "
        "AND notification.read_at IS NULL LIMIT {}) AS unread_rows)",
        person_id,
        UNREAD_COUNTED,
    )


async def signed_in_actor(person_id: int) -> Actor | None:
    """The signed-in person with their unread count for the header: one query, as every
    page asks for it."""
    rows = await engine().run_querystring(
        QueryString(_SIGNED_IN, _unread(person_id), person_id, True)
    )
    if not rows:
        return None
    row = rows[0]
    roles = row["roles"]
    if isinstance(roles, str):  # SQLite keeps arrays as JSON text
        roles = json.loads(roles)
    return Actor(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        locale=row["locale"],
        roles=frozenset(roles or ()),
        department_id=row["department"],
        unread=int(row["unread"]),
    )


async def unread_count(person_id: int) -> int:
    """Unread notifications, counted up to UNREAD_COUNTED."""
    rows = await engine().run_querystring(QueryString("SELECT {} AS n", _unread(person_id)))
    return int(rows[0]["n"])


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
