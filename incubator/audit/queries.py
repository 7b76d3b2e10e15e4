from __future__ import annotations

import json
from typing import Any

from incubator.accounts.tables import Person
from incubator.db.pagination import KeysetOrder, Page, capped_count, clamp_page, keyset_page
from incubator.db.tables import AuditEvent

PER_PAGE = 50
NEWEST_FIRST = KeysetOrder(("audit_event.id",), lambda row: (row["id"],))


def _condition(action_prefix: str) -> Any:
    if action_prefix:
        return AuditEvent.action.like(action_prefix.replace("%", "").replace("_", "") + "%")
    return AuditEvent.id > 0


async def audit_page(
    action_prefix: str = "",
    page: int | None = 1,
    *,
    after: str | None = None,
    before: str | None = None,
) -> Page[dict[str, Any]]:
    """Newest first, with the actor's name; `action_prefix` filters (e.g. "round.").
    The log only grows: it pages by keyset and counts up to a cap."""
    number = clamp_page(page)
    matching = AuditEvent.select(AuditEvent.id).where(_condition(action_prefix))
    total, capped = await capped_count(matching)
    events, next_after, prev_before = await keyset_page(
        lambda: AuditEvent.select().where(_condition(action_prefix)),
        NEWEST_FIRST,
        page=number,
        per_page=PER_PAGE,
        after=after,
        before=before,
    )
    actor_ids = sorted({e["actor_id"] for e in events if e["actor_id"] is not None})
    names = (
        {
            row["id"]: row["name"]
            for row in await Person.select(Person.id, Person.name)
            .where(Person.id.is_in(actor_ids))
            .run()
        }
        if actor_ids
        else {}
    )
    for event in events:
        event["actor_name"] = names.get(event["actor_id"])
        if isinstance(event["data"], str):
            event["data"] = json.loads(event["data"])
    return Page(
        items=events,
        page=number,
        per_page=PER_PAGE,
        total=total,
        total_capped=capped,
        next_after=next_after,
        prev_before=prev_before,
    )
