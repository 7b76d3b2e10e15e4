from __future__ import annotations

import json
from typing import Any

from incubator.accounts.tables import Person
from incubator.db.pagination import KeysetOrder, Page, capped_count, clamp_page, keyset_page
from incubator.db.tables import AuditEvent
from incubator.gates.tables import GateRound, RoundStatus

PER_PAGE = 50
NEWEST_FIRST = KeysetOrder(("audit_event.id",), lambda row: (row["id"],))


_VOTE_ACTIONS = frozenset({"vote.cast", "vote.replaced"})
# What a vote says stays hidden until its round is decided (no herding), here as on the
# round's own page: stewards and leaders who read the log may vote too.
_SEALED_FIELDS = ("decision", "scores", "rationale")


async def _open_rounds(events: list[dict[str, Any]]) -> set[int]:
    """Which rounds that these vote events are about are still open: one query, asked
    even for a page without votes so that every page costs the same."""
    round_ids = sorted(
        {e["subject_id"] for e in events if e["action"] in _VOTE_ACTIONS and e["subject_id"]}
    ) or [0]
    rows = (
        await GateRound.select(GateRound.id)
        .where(GateRound.id.is_in(round_ids) & (GateRound.status == RoundStatus.OPEN.value))
        .run()
    )
    return {row["id"] for row in rows}


def _sealed(data: dict[str, Any]) -> dict[str, Any]:
    return {key: ("…" if key in _SEALED_FIELDS else value) for key, value in data.items()}


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
    undecided = await _open_rounds(events)
    for event in events:
        event["actor_name"] = names.get(event["actor_id"])
        if isinstance(event["data"], str):
            event["data"] = json.loads(event["data"])
        if event["action"] in _VOTE_ACTIONS and event["subject_id"] in undecided:
            event["data"] = _sealed(event["data"])
    return Page(
        items=events,
        page=number,
        per_page=PER_PAGE,
        total=total,
        total_capped=capped,
        next_after=next_after,
        prev_before=prev_before,
    )
