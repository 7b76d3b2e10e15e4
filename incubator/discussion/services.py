"""Comments (one level of replies, edit window, soft delete) and follows on subjects."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from incubator.accounts.identity import Actor
from incubator.db.audit import record_event
from incubator.db.transactions import transaction
from incubator.discussion import counters
from incubator.discussion.policies import can_delete_comment, can_edit_comment
from incubator.discussion.tables import Comment, Follow
from incubator.errors import NotAllowed, NotFound, ValidationFailed
from incubator.events import CommentPosted, publish
from incubator.i18n import gettext as _

BODY_MAX = 5_000


async def follow(person_id: int, subject_type: str, subject_id: int) -> None:
    """Idempotent, and safe when two requests race (the unique index decides)."""
    await (
        Follow.insert(Follow(person=person_id, subject_type=subject_type, subject_id=subject_id))
        .on_conflict(action="DO NOTHING")
        .run()
    )


async def unfollow(person_id: int, subject_type: str, subject_id: int) -> None:
    await (
        Follow.delete()
        .where(
            (Follow.person == person_id)
            & (Follow.subject_type == subject_type)
            & (Follow.subject_id == subject_id)
        )
        .run()
    )


async def is_following(person_id: int, subject_type: str, subject_id: int) -> bool:
    return bool(
        await Follow.exists()
        .where(
            (Follow.person == person_id)
            & (Follow.subject_type == subject_type)
            & (Follow.subject_id == subject_id)
        )
        .run()
    )


async def toggle_follow(person_id: int, subject_type: str, subject_id: int) -> bool:
    """Follow, or stop following; returns whether the person now follows."""
    if await is_following(person_id, subject_type, subject_id):
        await unfollow(person_id, subject_type, subject_id)
        return False
    await follow(person_id, subject_type, subject_id)
    return True


def _check_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise ValidationFailed({"body": _("Write something before posting.")})
    if len(body) > BODY_MAX:
        raise ValidationFailed({"body": _("Keep comments under %(max)s characters.", max=BODY_MAX)})
    return body


async def add_comment(
    actor: Actor, subject_type: str, subject_id: int, body: str, parent_id: int | None = None
) -> int:
    """Comment on a subject the caller has checked exists; commenting follows the subject."""
    text = _check_body(body)
    if parent_id is not None:
        parent = (
            await Comment.select(
                Comment.subject_type, Comment.subject_id, Comment.parent, Comment.deleted_at
            )
            .where(Comment.id == parent_id)
            .first()
            .run()
        )
        if (
            parent is None
            or (parent["subject_type"], parent["subject_id"]) != (subject_type, subject_id)
            or parent["deleted_at"] is not None
        ):
            raise ValidationFailed({"body": _("The comment you replied to is no longer there.")})
        # One level of replies: answering a reply answers its thread.
        parent_id = parent["parent"] or parent_id
    async with transaction():
        comment = Comment(
            subject_type=subject_type,
            subject_id=subject_id,
            author=actor.id,
            body=text,
            parent=parent_id,
        )
        await comment.save().run()
        await counters.adjust(subject_type, subject_id, +1)
        await follow(actor.id, subject_type, subject_id)
        await publish(
            CommentPosted(
                subject_type=subject_type,
                subject_id=subject_id,
                comment_id=comment.id,
                author_id=actor.id,
                author_name=actor.name,
            )
        )
    return int(comment.id)


async def _load(comment_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await Comment.select(
            Comment.id,
            Comment.author,
            Comment.created_at,
            Comment.deleted_at,
            Comment.subject_type,
            Comment.subject_id,
        )
        .where(Comment.id == comment_id)
        .first()
        .run()
    )
    if row is None or row["deleted_at"] is not None:
        raise NotFound(_("This comment does not exist."))
    return row


async def edit_comment(actor: Actor, comment_id: int, body: str) -> dict[str, Any]:
    row = await _load(comment_id)
    if not can_edit_comment(actor, row["author"], row["created_at"], datetime.now(UTC)):
        raise NotAllowed(_("Comments can be edited by their author for 15 minutes."))
    text = _check_body(body)
    await (
        Comment.update({Comment.body: text, Comment.edited_at: datetime.now(UTC)})
        .where(Comment.id == comment_id)
        .run()
    )
    return row


async def delete_comment(actor: Actor, comment_id: int) -> dict[str, Any]:
    """Soft delete by the author or a steward; a steward removing someone else's words is
    a moderation decision and goes in the audit log."""
    row = await _load(comment_id)
    if not can_delete_comment(actor, row["author"]):
        raise NotAllowed(_("Only the author of a comment or a steward can delete it."))
    async with transaction():
        deleted = await (
            Comment.update({Comment.deleted_at: datetime.now(UTC), Comment.deleted_by: actor.id})
            .where((Comment.id == comment_id) & Comment.deleted_at.is_null())
            .returning(Comment.id)
            .run()
        )
        # Two stewards deleting at once take the comment off the count once.
        await counters.adjust(row["subject_type"], row["subject_id"], -len(deleted))
        if row["author"] != actor.id:
            await record_event(
                actor_id=actor.id,
                action="comment.moderated",
                subject_type="comment",
                subject_id=comment_id,
                data={"on": row["subject_type"], "id": row["subject_id"]},
            )
    return row


async def move_subject(subject_type: str, from_id: int, to_id: int) -> None:
    """Carry a subject's comments and followers over to another (used by merges)."""
    await (
        Comment.update({Comment.subject_id: to_id})
        .where((Comment.subject_type == subject_type) & (Comment.subject_id == from_id))
        .run()
    )
    await counters.recount(subject_type, [from_id, to_id])
    followers = (
        await Follow.select(Follow.person)
        .where((Follow.subject_type == subject_type) & (Follow.subject_id == from_id))
        .run()
    )
    for row in followers:
        await follow(row["person"], subject_type, to_id)
    await (
        Follow.delete()
        .where((Follow.subject_type == subject_type) & (Follow.subject_id == from_id))
        .run()
    )
