from __future__ import annotations

import json
from typing import Any

from incubator.accounts.tables import Person
from incubator.db.pagination import Page, clamp_page
from incubator.db.tables import AuditEvent

PER_PAGE = 50


async def audit_page(action_prefix: str = "", page: int | None = 1) -> Page[dict[str, Any]]:
    """Newest first, with the actor's name; `action_prefix` filters (e.g. "round.")."""
    condition: Any = AuditEvent.id > 0
    if action_prefix:
        condition = AuditEvent.action.like(action_prefix.replace("%", "").replace("_", "") + "%")
    number = clamp_page(page)
    total = await AuditEvent.count().where(condition).run()
    events = await (
        AuditEvent.select()
        .where(condition)
        .order_by(AuditEvent.id, ascending=False)
        .limit(PER_PAGE)
        .offset((number - 1) * PER_PAGE)
        .run()
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
    return Page(items=events, page=number, per_page=PER_PAGE, total=total)
