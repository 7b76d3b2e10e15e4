"""Threads for pages: top-level comments a page at a time, with all their replies."""

from __future__ import annotations

from typing import Any

from piccolo.query import OrderByRaw

from incubator.db.pagination import CompiledSelect, Page, SelectSql, clamp_page
from incubator.discussion.tables import Comment

THREADS_PER_PAGE = 30

_COLUMNS = (
    Comment.id,
    Comment.parent,
    Comment.author.as_alias("author_id"),
    Comment.author.name.as_alias("author_name"),
    Comment.body,
    Comment.created_at,
    Comment.edited_at,
    Comment.deleted_at,
)


# Compiled once (see CompiledSelect): every idea, challenge and round page reads a thread.
_THREAD_SQL = SelectSql(lambda: Comment.select(*_COLUMNS))
_COUNT_SQL = "SELECT count(*) AS n FROM comment"
_IN_ORDER = OrderByRaw("comment.id")


def _present(row: dict[str, Any]) -> dict[str, Any]:
    if row["deleted_at"] is not None:
        row["body"] = None  # the words are gone; the place in the thread stays
    return row


async def thread(
    subject_type: str, subject_id: int, page: int | None = 1, per_page: int = THREADS_PER_PAGE
) -> Page[dict[str, Any]]:
    """A page of threads; `page=None` is the last page (where a new comment lands)."""
    top_level = (
        (Comment.subject_type == subject_type)
        & (Comment.subject_id == subject_id)
        & Comment.parent.is_null()
    )
    total = int((await CompiledSelect(_COUNT_SQL).where(top_level).run())[0]["n"])
    number = clamp_page(page) if page is not None else max(1, -(-total // per_page))
    tops = await (
        CompiledSelect(_THREAD_SQL)
        .where(top_level)
        .order_by(_IN_ORDER)
        .limit(per_page)
        .offset((number - 1) * per_page)
        .run()
    )
    replies: dict[int, list[dict[str, Any]]] = {}
    if tops:
        for reply in await (
            CompiledSelect(_THREAD_SQL)
            .where(Comment.parent.is_in([row["id"] for row in tops]))
            .order_by(_IN_ORDER)
            .run()
        ):
            replies.setdefault(reply["parent"], []).append(_present(reply))
    for row in tops:
        _present(row)
        row["replies"] = replies.get(row["id"], [])
    return Page(items=tops, page=number, per_page=per_page, total=total)
