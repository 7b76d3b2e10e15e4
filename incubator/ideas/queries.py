"""Read models for idea pages and the API. Each list costs a fixed number of queries: a
page of cards comes in one statement with its tags, the viewer's marks and its total.

Blind ideas are masked here, for every reader: whoever is not allowed to know who
proposed an idea gets no author fields at all (not even an id)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.query import WhereRaw
from piccolo.query.methods.select import Select
from piccolo.querystring import QueryString

from incubator.accounts.tables import Person
from incubator.db.pagination import (
    DEFAULT_PER_PAGE,
    CompiledSelect,
    KeysetOrder,
    Page,
    SelectSql,
    capped_count,
    capped_count_of,
    clamp_page,
    keyset_page,
)
from incubator.db.tables import AuditEvent
from incubator.discussion import queries as discussion
from incubator.discussion.tables import Follow
from incubator.ideas import search
from incubator.ideas.policies import can_see_identity, identity_hidden
from incubator.ideas.stages import STAGE_KEYS
from incubator.ideas.tables import Idea, IdeaTag, Support, TeamMember
from incubator.tags import normalize_tag

SORTS = ("newest", "supported", "stage")

# What a card shows: the board, the home and challenge pages, similar ideas.
_CARD = (
    Idea.id,
    Idea.title,
    Idea.summary,
    Idea.stage,
    Idea.status,
    Idea.blind,
    Idea.revealed_at,
    Idea.support_count,
    Idea.comment_count,
    Idea.tags,
    Idea.challenge.as_alias("challenge_id"),
    Idea.challenge.title.as_alias("challenge_title"),
    Idea.author.as_alias("author_id"),
    Idea.author.name.as_alias("author_name"),
)
# The API's list adds the dates. Left out of the pages' cards, which never show them:
# decoding them was a tenth of the board statement's cost on SQLite.
_DATES = (Idea.created_at, Idea.stage_entered_at)

# Compiled once: Piccolo would rebuild the joins for every page (see CompiledSelect).
_CARD_SQL = SelectSql(lambda: Idea.select(*_CARD))
_DATED_CARD_SQL = SelectSql(lambda: Idea.select(*_CARD, *_DATES))
_ID_SQL = SelectSql(lambda: Idea.select(Idea.id))
_DETAIL_SQL = SelectSql(
    lambda: Idea.select(
        *_CARD,
        *_DATES,
        Idea.author._.department._.name.as_alias("author_department"),
        Idea.description,
        Idea.merged_into,
        Idea.updated_at,
    )
)

_STAGE_RANK = (
    "(CASE idea.stage "
    + " ".join(f"WHEN '{key}' THEN {position}" for position, key in enumerate(STAGE_KEYS))
    + " ELSE 99 END)"
)


@dataclass(frozen=True)
class BoardFilters:
    q: str = ""
    sort: str = "newest"
    challenge_id: int | None = None
    tag: str = ""
    stage: str = ""
    # A sub-select of idea ids from another domain (e.g. "teams looking for my skills").
    within: Select[Any] | None = None


def mask(row: dict[str, Any], viewer_id: int, *, on_team: bool = False) -> dict[str, Any]:
    """Remove who proposed a blind idea from what this viewer receives."""
    row["identity_hidden"] = identity_hidden(blind=row["blind"], revealed_at=row["revealed_at"])
    row["on_team"] = on_team
    if not can_see_identity(
        viewer_id,
        author_id=row["author_id"],
        blind=row["blind"],
        revealed_at=row["revealed_at"],
        on_team=on_team,
    ):
        row["author_id"] = row["author_name"] = row["author_department"] = None
    row["is_mine"] = row["author_id"] == viewer_id
    return row


async def ideas_on_team_of(person_id: int, idea_ids: list[int]) -> set[int]:
    """Which of these ideas the person is on the team of (one query)."""
    if not idea_ids:
        return set()
    rows = (
        await TeamMember.select(TeamMember.idea)
        .where((TeamMember.person == person_id) & TeamMember.idea.is_in(idea_ids))
        .run()
    )
    return {row["idea"] for row in rows}


# Counted, not EXISTS: PostgreSQL may turn an EXISTS into a hash of every row of the
# person (a cached plan expects a hundred supports; an active voter has thousands), and
# build it for each page. A count stays one probe of the (person, idea) index per card.
_VIEWER_MARKS = (
    "(SELECT count(*) FROM support WHERE support.idea = page.id AND support.person = {}) > 0 "
    "AS supported, (SELECT count(*) FROM team_member "
    "WHERE team_member.idea = page.id AND team_member.person = {}) > 0 AS on_team"
)


def _card_extras(viewer_id: int) -> QueryString:
    """The viewer's marks on a card (supported, on the team), as columns computed on the
    page's rows (CompiledSelect.with_page_columns): one probe of the support and
    team_member indexes per card."""
    return QueryString(_VIEWER_MARKS, viewer_id, viewer_id)


def _card(row: dict[str, Any], viewer_id: int) -> dict[str, Any]:
    """A row fetched with _card_extras, ready to show this viewer."""
    row.pop("matching", None)
    row["supported"] = bool(row["supported"])
    return mask(row, viewer_id, on_team=bool(row["on_team"]))


# Written out: Piccolo compiles a condition on a foreign key slowly, at every use.
_UNMERGED = WhereRaw('"idea"."merged_into" IS NULL')


def _conditions(filters: BoardFilters) -> Any:
    condition: Any = _UNMERGED
    if filters.challenge_id is not None:
        condition &= Idea.challenge == filters.challenge_id
    if filters.stage in STAGE_KEYS:
        condition &= Idea.stage == filters.stage
    if tag := normalize_tag(filters.tag):
        condition &= Idea.id.is_in(IdeaTag.select(IdeaTag.idea).where(IdeaTag.tag == tag))
    if filters.within is not None:
        condition &= Idea.id.is_in(filters.within)
    return condition


def _in_order_of(ids: list[int], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows fetched by `id IN (…)`, back in the order of `ids` (a search's ranking)."""
    position = {idea_id: index for index, idea_id in enumerate(ids)}
    return sorted(rows, key=lambda row: position[row["id"]])


def _stage_rank(row: dict[str, Any]) -> int:
    return STAGE_KEYS.index(row["stage"]) if row["stage"] in STAGE_KEYS else 99


_ORDERS = {
    "newest": KeysetOrder(("idea.id",), lambda row: (row["id"],)),
    "supported": KeysetOrder(
        ("idea.support_count", "idea.id"), lambda row: (row["support_count"], row["id"])
    ),
    "stage": KeysetOrder((_STAGE_RANK, "idea.id"), lambda row: (_stage_rank(row), row["id"])),
}


def _narrowed(filters: BoardFilters) -> bool:
    """Whether the filters keep fewer ideas than every unmerged one."""
    return (
        filters.challenge_id is not None
        or filters.stage in STAGE_KEYS
        or bool(normalize_tag(filters.tag))
        or filters.within is not None
    )


async def idea_board(
    viewer_id: int,
    filters: BoardFilters,
    page: int | None = 1,
    per_page: int = DEFAULT_PER_PAGE,
    *,
    after: str | None = None,
    before: str | None = None,
    dated: bool = False,
) -> Page[dict[str, Any]]:
    """A page of the board. Search results come best first, by page number; the other
    orders page by keyset when a cursor is given (see incubator.db.pagination). `dated`
    adds each idea's created_at and stage_entered_at, which cards do not show."""
    number = clamp_page(page)
    card_sql = _DATED_CARD_SQL if dated else _CARD_SQL
    if search.terms(filters.q):
        ids, total, is_capped = await search.matching_ids(
            filters.q,
            limit=per_page,
            offset=(number - 1) * per_page,
            among=Idea.select(Idea.id).where(_conditions(filters)).querystrings[0]
            if _narrowed(filters)
            else None,
        )
        rows = []
        if ids:
            found = CompiledSelect(card_sql).where(Idea.id.is_in(ids))
            rows = await found.with_page_columns(_card_extras(viewer_id)).run()
        items = [_card(row, viewer_id) for row in _in_order_of(ids, rows)]
        return Page(
            items=items, page=number, per_page=per_page, total=total, total_capped=is_capped
        )
    # One statement: the page of cards, their tags and the viewer's marks, and the total.
    condition = _conditions(filters)
    count = capped_count_of(CompiledSelect(_ID_SQL).where(condition))
    extras = QueryString("{} AS matching, {}", count.expression, _card_extras(viewer_id))
    rows, next_after, prev_before = await keyset_page(
        lambda: CompiledSelect(card_sql).where(condition).with_page_columns(extras),
        _ORDERS.get(filters.sort, _ORDERS["newest"]),
        page=number,
        per_page=per_page,
        after=after,
        before=before,
    )
    if rows:
        total, total_capped = count.read(rows[0]["matching"])
    else:  # past the last page, or nothing matches: the count came with no row
        total, total_capped = await capped_count(CompiledSelect(_ID_SQL).where(condition))
    return Page(
        items=[_card(row, viewer_id) for row in rows],
        page=number,
        per_page=per_page,
        total=total,
        total_capped=total_capped,
        next_after=next_after,
        prev_before=prev_before,
    )


async def similar_ideas(viewer_id: int, title: str, limit: int = 5) -> list[dict[str, Any]]:
    """Ideas sharing words with a title being typed: any word counts, best first."""
    ids, _total, _capped = await search.matching_ids(title, limit=limit, any_word=True)
    if not ids:
        return []
    rows = await Idea.select(*_CARD).where(Idea.id.is_in(ids)).run()
    teams = await ideas_on_team_of(viewer_id, ids)
    return [mask(row, viewer_id, on_team=row["id"] in teams) for row in _in_order_of(ids, rows)]


async def idea_detail(idea_id: int, viewer_id: int) -> dict[str, Any] | None:
    rows = (
        await CompiledSelect(_DETAIL_SQL)
        .where(Idea.id == idea_id)
        .with_page_columns(_card_extras(viewer_id))
        .run()
    )
    if not rows:
        return None
    row = _card(rows[0], viewer_id)
    row["following"] = (
        await Follow.exists()
        .where(
            (Follow.person == viewer_id)
            & (Follow.subject_type == "idea")
            & (Follow.subject_id == idea_id)
        )
        .run()
    )
    return row


async def merged_into(idea_id: int) -> int | None:
    row = await Idea.select(Idea.merged_into).where(Idea.id == idea_id).first().run()
    return None if row is None else row["merged_into"]


async def merge_candidates(idea_id: int, title: str, limit: int = 5) -> list[dict[str, Any]]:
    """Live ideas sharing words with this idea's title, best match first: the originals a
    steward most likely merges this one into."""
    ids, _total, _capped = await search.matching_ids(title, limit=limit + 1, any_word=True)
    ids = [found for found in ids if found != idea_id][:limit]
    if not ids:
        return []
    rows = await (
        Idea.select(Idea.id, Idea.title, Idea.stage, Idea.support_count)
        .where(Idea.id.is_in(ids))
        .run()
    )
    return _in_order_of(ids, rows)


async def support_state(idea_id: int, viewer_id: int) -> dict[str, Any]:
    """The support button's state, for the htmx fragment after a toggle."""
    row = (
        await Idea.select(Idea.id, Idea.support_count, Idea.author.as_alias("author_id"))
        .where(Idea.id == idea_id)
        .first()
        .run()
    )
    assert row is not None
    row["supported"] = (
        await Support.exists()
        .where((Support.person == viewer_id) & (Support.idea == idea_id))
        .run()
    )
    row["is_mine"] = row.pop("author_id") == viewer_id
    return row


async def idea_thread(idea_id: int, viewer_id: int, page: int | None = 1) -> Page[dict[str, Any]]:
    """The idea's discussion, with the hidden author of a blind idea masked in it too."""
    thread = await discussion.thread("idea", idea_id, page)
    row = (
        await Idea.select(Idea.author, Idea.blind, Idea.revealed_at)
        .where(Idea.id == idea_id)
        .first()
        .run()
    )
    if row is not None and not can_see_identity(
        viewer_id,
        author_id=row["author"],
        blind=row["blind"],
        revealed_at=row["revealed_at"],
        on_team=bool(await ideas_on_team_of(viewer_id, [idea_id])),
    ):
        for comment in thread.items:
            for entry in (comment, *comment["replies"]):
                if entry["author_id"] == row["author"]:
                    entry["author_id"] = entry["author_name"] = None
                    entry["by_hidden_author"] = True
    return thread


async def idea_timeline(
    idea_id: int, viewer_id: int, *, identity_visible: bool, limit: int = 50
) -> list[dict[str, Any]]:
    """The idea's audit trail, newest first. While a blind idea hides its people, actions
    by its team show without a name."""
    events = await (
        AuditEvent.select(
            AuditEvent.id, AuditEvent.actor_id, AuditEvent.action, AuditEvent.data, AuditEvent.at
        )
        .where((AuditEvent.subject_type == "idea") & (AuditEvent.subject_id == idea_id))
        .order_by(AuditEvent.id, ascending=False)
        .limit(limit)
        .output(load_json=True)
        .run()
    )
    actor_ids = sorted({e["actor_id"] for e in events if e["actor_id"] is not None})
    names: dict[int, str] = {}
    team: set[int] = set()
    if actor_ids:
        names = {
            row["id"]: row["name"]
            for row in await Person.select(Person.id, Person.name)
            .where(Person.id.is_in(actor_ids))
            .run()
        }
        if not identity_visible:
            team = {
                row["person"]
                for row in await TeamMember.select(TeamMember.person)
                .where((TeamMember.idea == idea_id) & TeamMember.person.is_in(actor_ids))
                .run()
            }
    for event in events:
        hidden = event["actor_id"] in team
        event["actor_name"] = None if hidden else names.get(event["actor_id"])
        event["by_team"] = hidden
        if isinstance(event["data"], str):
            event["data"] = json.loads(event["data"])
    return events


async def followed_ideas_that_moved(
    person_id: int, days: int = 14, limit: int = 5
) -> list[dict[str, Any]]:
    """Ideas the person follows (not their own teams') that changed stage recently."""
    followed = Follow.select(Follow.subject_id).where(
        (Follow.person == person_id) & (Follow.subject_type == "idea")
    )
    mine = TeamMember.select(TeamMember.idea).where(TeamMember.person == person_id)
    return await (
        Idea.select(Idea.id, Idea.title, Idea.stage, Idea.status, Idea.stage_entered_at)
        .where(
            Idea.id.is_in(followed)
            & Idea.id.not_in(mine)
            & Idea.merged_into.is_null()
            & (Idea.stage_entered_at >= datetime.now(UTC) - timedelta(days=days))
            & (Idea.stage != "spark")
        )
        .order_by(Idea.stage_entered_at, ascending=False)
        .limit(limit)
        .run()
    )
