"""Read models for challenge pages: open ones first, each list in a fixed number of queries."""

from __future__ import annotations

from typing import Any

from piccolo.query import OrderByRaw

from incubator.challenges.services import takes_ideas
from incubator.challenges.tables import Challenge, ChallengeSource, ChallengeStatus, ChallengeTag
from incubator.db.pagination import DEFAULT_PER_PAGE, Page, clamp_page
from incubator.discussion.tables import Follow

_CARD = (
    Challenge.id,
    Challenge.pipeline_id,
    Challenge.title,
    Challenge.problem,
    Challenge.source,
    Challenge.status,
    Challenge.closes_on,
    Challenge.idea_count,
    Challenge.created_at,
    Challenge.author.as_alias("author_id"),
    Challenge.author.name.as_alias("author_name"),
    Challenge.author._.department._.name.as_alias("author_department"),
)
# Open first, then closed, then the rest; newest first within each.
_STATUS_ORDER = (
    "CASE challenge.status WHEN 'open' THEN 0 WHEN 'closed' THEN 1 WHEN 'draft' THEN 2 ELSE 3 END"
)


async def _with_tags(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    tags: dict[int, list[str]] = {}
    if rows:
        for row in (
            await ChallengeTag.select(ChallengeTag.challenge, ChallengeTag.tag)
            .where(ChallengeTag.challenge.is_in([r["id"] for r in rows]))
            .order_by(ChallengeTag.id)
            .run()
        ):
            tags.setdefault(row["challenge"], []).append(row["tag"])
    for row in rows:
        row["tags"] = tags.get(row["id"], [])
    return rows


async def challenge_list(
    *, source: str = "", status: str = "", page: int | None = 1, per_page: int = DEFAULT_PER_PAGE
) -> Page[dict[str, Any]]:
    condition: Any = Challenge.status != ChallengeStatus.ARCHIVED.value
    if status in {s.value for s in ChallengeStatus}:
        condition = Challenge.status == status
    if source in {s.value for s in ChallengeSource}:
        condition &= Challenge.source == source
    number = clamp_page(page)
    total = await Challenge.count().where(condition).run()
    rows = await (
        Challenge.select(*_CARD)
        .where(condition)
        .order_by(OrderByRaw(_STATUS_ORDER))
        .order_by(Challenge.id, ascending=False)
        .limit(per_page)
        .offset((number - 1) * per_page)
        .run()
    )
    return Page(items=await _with_tags(rows), page=number, per_page=per_page, total=total)


async def challenge_detail(challenge_id: int, viewer_id: int) -> dict[str, Any] | None:
    row: dict[str, Any] | None = await (
        Challenge.select(*_CARD, Challenge.updated_at)
        .where(Challenge.id == challenge_id)
        .first()
        .run()
    )
    if row is None:
        return None
    await _with_tags([row])
    row["following"] = (
        await Follow.exists()
        .where(
            (Follow.person == viewer_id)
            & (Follow.subject_type == "challenge")
            & (Follow.subject_id == challenge_id)
        )
        .run()
    )
    return row


async def challenges_taking_ideas() -> list[dict[str, Any]]:
    """For the "answers a challenge" picker: open challenges, newest first."""
    rows: list[dict[str, Any]] = await (
        Challenge.select(Challenge.id, Challenge.title, Challenge.closes_on)
        .where(Challenge.status == ChallengeStatus.OPEN.value)
        .order_by(Challenge.id, ascending=False)
        .limit(200)
        .run()
    )
    return [row for row in rows if takes_ideas(ChallengeStatus.OPEN.value, row["closes_on"])]


async def challenge_title(challenge_id: int) -> str | None:
    row = await Challenge.select(Challenge.title).where(Challenge.id == challenge_id).first().run()
    return None if row is None else str(row["title"])


async def challenges_posted_by(person_id: int, limit: int = 20) -> list[dict[str, Any]]:
    return await (
        Challenge.select(Challenge.id, Challenge.title, Challenge.status, Challenge.idea_count)
        .where((Challenge.author == person_id) & (Challenge.status != ChallengeStatus.DRAFT.value))
        .order_by(Challenge.id, ascending=False)
        .limit(limit)
        .run()
    )
