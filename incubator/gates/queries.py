"""Read models for gate pages. Votes stay hidden from other voters until the round is
decided: before that, only how many have voted."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from piccolo.query import Select

from incubator.db.pagination import Page, clamp_page
from incubator.gates import pipelines
from incubator.gates.tables import GateRound, PanelMember, RoundStatus, Vote
from incubator.ideas.tables import Idea, TeamMember

_ROUND_CARD = (
    GateRound.id,
    GateRound.number,
    GateRound.from_stage,
    GateRound.to_stage,
    GateRound.final,
    GateRound.status,
    GateRound.quorum,
    GateRound.vote_count,
    GateRound.opened_at,
    GateRound.closes_at,
    GateRound.extended,
    GateRound.decided_at,
)


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def due_rounds(now: datetime, limit: int) -> Select[Any]:
    """Open rounds past their deadline, the longest overdue first: what the scheduler
    sweeps on every pass. It reads the index of open rounds only (a migration's), so a
    pass costs the same however many rounds the portal has ever run."""
    return (
        GateRound.select(GateRound.id)
        .where((GateRound.status == RoundStatus.OPEN.value) & (GateRound.closes_at <= now))
        .order_by(GateRound.closes_at)
        .limit(limit)
    )


async def rounds_of_idea(idea_id: int) -> list[dict[str, Any]]:
    """Every round of an idea, newest first (a handful at most: gates are few)."""
    rows: list[dict[str, Any]] = await (
        GateRound.select(*_ROUND_CARD)
        .where(GateRound.idea == idea_id)
        .order_by(GateRound.id, ascending=False)
        .run()
    )
    now = datetime.now(UTC)
    for row in rows:
        row["overdue"] = row["status"] == RoundStatus.OPEN.value and now >= row["closes_at"]
    return rows


async def round_page(round_id: int, viewer_id: int) -> dict[str, Any] | None:
    row: dict[str, Any] | None = await (
        GateRound.select(
            *_ROUND_CARD,
            GateRound.idea.as_alias("idea_id"),
            GateRound.criteria,
            GateRound.snapshot,
            GateRound.tally,
            GateRound.threshold,
            GateRound.early_close,
            GateRound.idea.status.as_alias("idea_status"),
        )
        .where(GateRound.id == round_id)
        .first()
        .output(load_json=True)
        .run()
    )
    if row is None:
        return None
    for field in ("criteria", "snapshot", "tally"):
        row[field] = _loads(row[field])
    for criterion in row["criteria"]:
        criterion["name"] = pipelines.localized(criterion, "name")
    row["on_team"] = (
        await TeamMember.exists()
        .where((TeamMember.idea == row["idea_id"]) & (TeamMember.person == viewer_id))
        .run()
    )
    row["invited"] = (
        await PanelMember.exists()
        .where((PanelMember.round == round_id) & (PanelMember.person == viewer_id))
        .run()
    )
    my_vote = (
        await Vote.select(Vote.decision, Vote.scores, Vote.rationale)
        .where((Vote.round == round_id) & (Vote.voter == viewer_id))
        .first()
        .output(load_json=True)
        .run()
    )
    if my_vote is not None:
        my_vote["scores"] = _loads(my_vote["scores"])
    row["my_vote"] = my_vote
    now = datetime.now(UTC)
    row["is_open"] = row["status"] == RoundStatus.OPEN.value
    row["overdue"] = row["is_open"] and now >= row["closes_at"]
    row["can_vote"] = row["is_open"] and not row["overdue"] and not row["on_team"]
    return row


async def attention_rounds(
    now: datetime, page: int | None = 1, per_page: int = 50
) -> Page[dict[str, Any]]:
    """Open rounds (overdue first) and rounds that ended without quorum: the promise that
    every idea gets an answer, kept or broken, in plain sight."""
    condition = GateRound.status.is_in([RoundStatus.OPEN.value, RoundStatus.NO_QUORUM.value])
    number = clamp_page(page)
    total = await GateRound.count().where(condition).run()
    rows = await (
        GateRound.select(
            *_ROUND_CARD,
            GateRound.idea.as_alias("idea_id"),
            GateRound.idea.title.as_alias("idea_title"),
        )
        .where(condition)
        .order_by(GateRound.status, ascending=False)
        .order_by(GateRound.closes_at)
        .limit(per_page)
        .offset((number - 1) * per_page)
        .run()
    )
    for row in rows:
        row["overdue"] = row["status"] == RoundStatus.OPEN.value and now >= row["closes_at"]
    return Page(items=rows, page=number, per_page=per_page, total=total)


async def idea_title(idea_id: int) -> str | None:
    row = await Idea.select(Idea.title).where(Idea.id == idea_id).first().run()
    return None if row is None else str(row["title"])


async def invitations_for(person_id: int, limit: int = 10) -> list[dict[str, Any]]:
    """Open rounds this person was drawn for and has not voted in yet, soonest due first."""
    voted = Vote.select(Vote.round).where(Vote.voter == person_id)
    invited = PanelMember.select(PanelMember.round).where(PanelMember.person == person_id)
    rows: list[dict[str, Any]] = await (
        GateRound.select(
            GateRound.id,
            GateRound.closes_at,
            GateRound.to_stage,
            GateRound.idea.title.as_alias("idea_title"),
        )
        .where(
            (GateRound.status == RoundStatus.OPEN.value)
            & GateRound.id.is_in(invited)
            & GateRound.id.not_in(voted)
        )
        .order_by(GateRound.closes_at)
        .limit(limit)
        .run()
    )
    return rows
