"""Threads for pages: top-level comments a page at a time, with all their replies."""

from __future__ import annotations

from typing import Any

from incubator.db.pagination import Page, clamp_page
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


def _present(row: dict[str, Any]) -> dict[str, Any]:
    if row["deleted_at"] is not None:
        row["body"] = None  # the words are gone; the place in the thread stays
    return row


async def thread(
    subject_type: str, subject_id: int, page: int | None = 1, per_page: int = THREADS_PER_PAGE
) -> Page[dict[str, Any]]:
    """A page of threads; `page=None` is the last page (where a new comment lands)."""
    on_subject = (Comment.subject_type == subject_type) & (Comment.subject_id == subject_id)
    total = await Comment.count().where(on_subject & Comment.parent.is_null()).run()
    number = clamp_page(page) if page is not None else max(1, -(-total // per_page))
    tops = await (
        Comment.select(*_COLUMNS)
        .where(on_subject & Comment.parent.is_null())
        .order_by(Comment.id)
        .limit(per_page)
        .offset((number - 1) * per_page)
        .run()
    )
    replies: dict[int, list[dict[str, Any]]] = {}
    if tops:
        for reply in await (
            Comment.select(*_COLUMNS)
            .where(Comment.parent.is_in([row["id"] for row in tops]))
            .order_by(Comment.id)
            .run()
        ):
            replies.setdefault(reply["parent"], []).append(_present(reply))
    for row in tops:
        _present(row)
        row["replies"] = replies.get(row["id"], [])
    return Page(items=tops, page=number, per_page=per_page, total=total)
