"""Editing and deleting a comment, wherever it was posted."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Response, Template

from incubator.accounts.identity import Actor
from incubator.discussion import services
from incubator.discussion.tables import Comment
from incubator.errors import NotAllowed, NotFound, ValidationFailed
from incubator.i18n import gettext as _
from incubator.web.forms import read_form
from incubator.web.rendering import redirect_after_post, render

ActorRequest = Request[Actor, Any, Any]
SUBJECT_PATHS = {"idea": "/ideas/{}", "challenge": "/challenges/{}"}


def subject_url(subject_type: str, subject_id: int) -> str:
    return SUBJECT_PATHS[subject_type].format(subject_id) + "#comments"


class CommentController(Controller):
    path = "/comments"

    @get("/{comment_id:int}/edit", name="comment_edit")
    async def edit_form(self, request: ActorRequest, comment_id: FromPath[int]) -> Template:
        row = (
            await Comment.select(
                Comment.id,
                Comment.body,
                Comment.author,
                Comment.subject_type,
                Comment.subject_id,
                Comment.deleted_at,
            )
            .where(Comment.id == comment_id)
            .first()
            .run()
        )
        if row is None or row["deleted_at"] is not None:
            raise NotFound(_("This comment does not exist."))
        if row["author"] != request.user.id:
            raise NotAllowed(_("Comments can be edited by their author for 15 minutes."))
        context = {
            "comment": row,
            "values": {"body": row["body"]},
            "errors": {},
            "back": subject_url(row["subject_type"], row["subject_id"]),
        }
        return render(request, "discussion/edit.html.jinja2", context)

    @post("/{comment_id:int}/edit")
    async def update(self, request: ActorRequest, comment_id: FromPath[int]) -> Response[Any]:
        form = await read_form(request)
        try:
            row = await services.edit_comment(request.user, comment_id, form.text("body"))
        except ValidationFailed as failed:
            context = {
                "comment": {"id": comment_id},
                "values": {"body": form.text("body")},
                "errors": failed.errors,
                "back": "/",
            }
            return render(request, "discussion/edit.html.jinja2", context, status_code=400)
        flash(request, _("Your comment is updated."), category="success")
        return redirect_after_post(request, subject_url(row["subject_type"], row["subject_id"]))

    @post("/{comment_id:int}/delete")
    async def delete(self, request: ActorRequest, comment_id: FromPath[int]) -> Response[Any]:
        row = await services.delete_comment(request.user, comment_id)
        flash(request, _("The comment is deleted."), category="success")
        return redirect_after_post(request, subject_url(row["subject_type"], row["subject_id"]))
