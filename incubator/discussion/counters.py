"""Subjects that keep their live comment count in their own row (a `comment_count`
column), so lists show it without counting comments. The subject's domain registers
its table; the discussion services keep the count in the same transaction as the
comment they add, delete or move."""

from __future__ import annotations

from typing import Any

from piccolo.table import Table

from incubator.discussion.tables import Comment

_COUNTED: dict[str, type[Table]] = {}


def count_comments_in(subject_type: str, table: type[Table]) -> None:
    _COUNTED[subject_type] = table


async def adjust(subject_type: str, subject_id: int, step: int) -> None:
    table = _COUNTED.get(subject_type)
    if table is None or not step:
        return
    column: Any = table._meta.get_column_by_name("comment_count")
    await table.update({column: column + step}).where(table._meta.primary_key == subject_id).run()


async def recount(subject_type: str, subject_ids: list[int]) -> None:
    """Count again from the comments themselves (after comments move between subjects)."""
    table = _COUNTED.get(subject_type)
    if table is None:
        return
    for subject_id in subject_ids:
        live = await (
            Comment.count()
            .where(
                (Comment.subject_type == subject_type)
                & (Comment.subject_id == subject_id)
                & Comment.deleted_at.is_null()
            )
            .run()
        )
        column: Any = table._meta.get_column_by_name("comment_count")
        await table.update({column: live}).where(table._meta.primary_key == subject_id).run()
