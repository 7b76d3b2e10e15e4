"""Read models for insights: the list with filters, one insight, evidence for a subject."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from incubator.db.pagination import DEFAULT_PER_PAGE, Page, clamp_page
from incubator.db.text import icontains
from incubator.insights.tables import Insight, InsightLink, InsightSeen

_CARD = (
    Insight.id,
    Insight.quote,
    Insight.channel,
    Insight.segment,
    Insight.sentiment,
    Insight.seen_count,
    Insight.created_at,
    Insight.author.as_alias("author_id"),
    Insight.author.name.as_alias("author_name"),
)
PERIODS = {"30": 30, "90": 90, "365": 365}


async def _mark_seen(rows: list[dict[str, Any]], viewer_id: int) -> list[dict[str, Any]]:
    ids = [row["id"] for row in rows]
    seen = {
        row["insight"]
        for row in await InsightSeen.select(InsightSeen.insight)
        .where((InsightSeen.person == viewer_id) & InsightSeen.insight.is_in(ids or [0]))
        .run()
    }
    for row in rows:
        row["seen"] = row["id"] in seen
    return rows


async def insight_list(
    viewer_id: int,
    *,
    channel: str = "",
    sentiment: str = "",
    period: str = "",
    q: str = "",
    page: int | None = 1,
    per_page: int = DEFAULT_PER_PAGE,
) -> Page[dict[str, Any]]:
    condition: Any = Insight.id > 0
    if channel:
        condition &= Insight.channel == channel
    if sentiment:
        condition &= Insight.sentiment == sentiment
    if period in PERIODS:
        condition &= Insight.created_at >= datetime.now(UTC) - timedelta(days=PERIODS[period])
    if words := " ".join(q.split())[:100]:
        condition &= icontains(Insight.quote, words) | icontains(Insight.segment, words)
    number = clamp_page(page)
    total = await Insight.count().where(condition).run()
    rows = await (
        Insight.select(*_CARD)
        .where(condition)
        .order_by(Insight.seen_count, ascending=False)
        .order_by(Insight.id, ascending=False)
        .limit(per_page)
        .offset((number - 1) * per_page)
        .run()
    )
    return Page(
        items=await _mark_seen(rows, viewer_id), page=number, per_page=per_page, total=total
    )


async def insight_detail(insight_id: int, viewer_id: int) -> dict[str, Any] | None:
    row = await Insight.select(*_CARD).where(Insight.id == insight_id).first().run()
    if row is None:
        return None
    await _mark_seen([row], viewer_id)
    row["links"] = (
        await InsightLink.select(InsightLink.subject_type, InsightLink.subject_id)
        .where(InsightLink.insight == insight_id)
        .order_by(InsightLink.id)
        .run()
    )
    return row


async def evidence(subject_type: str, subject_id: int, viewer_id: int) -> list[dict[str, Any]]:
    """The insights linked to a challenge or an idea, most echoed first."""
    linked = InsightLink.select(InsightLink.insight).where(
        (InsightLink.subject_type == subject_type) & (InsightLink.subject_id == subject_id)
    )
    rows = await (
        Insight.select(*_CARD)
        .where(Insight.id.is_in(linked))
        .order_by(Insight.seen_count, ascending=False)
        .limit(20)
        .run()
    )
    return await _mark_seen(rows, viewer_id)


async def quotes(insight_ids: list[int]) -> list[dict[str, Any]]:
    if not insight_ids:
        return []
    return (
        await Insight.select(Insight.id, Insight.quote, Insight.segment)
        .where(Insight.id.is_in(insight_ids))
        .run()
    )
