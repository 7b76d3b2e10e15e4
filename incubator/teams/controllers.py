"""Team actions on an idea's page. With htmx each answers the team panel in place; without,
a redirect back to the idea."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Response

from incubator.accounts.identity import Actor
from incubator.errors import ValidationFailed
from incubator.i18n import gettext as _
from incubator.ideas.controllers import detail_context
from incubator.teams import services
from incubator.web.forms import read_form
from incubator.web.rendering import is_htmx, redirect_after_post, render

ActorRequest = Request[Actor, Any, Any]


class TeamController(Controller):
    path = "/ideas/{idea_id:int}"

    async def _answer(
        self,
        request: ActorRequest,
        idea_id: int,
        message: str | None = None,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
    ) -> Response[Any]:
        """htmx: the team panel again; otherwise the idea page (400 with the message
        beside the field when refused, else a redirect with a flash message)."""
        if is_htmx(request) or errors:
            context = await detail_context(
                request.user, idea_id, team_errors=errors, team_values=values
            )
            return render(
                request,
                "ideas/detail.html.jinja2",
                context,
                block="team",
                status_code=400 if errors else 200,
            )
        if message:
            flash(request, message, category="success")
        return redirect_after_post(request, f"/ideas/{idea_id}#team")

    @post("/roles")
    async def add_role(self, request: ActorRequest, idea_id: FromPath[int]) -> Response[Any]:
        form = await read_form(request)
        try:
            await services.add_role_wanted(
                request.user, idea_id, form.text("skill"), form.text("description")
            )
        except ValidationFailed as failed:
            values = {"skill": form.text("skill"), "description": form.text("description")}
            return await self._answer(request, idea_id, errors=failed.errors, values=values)
        return await self._answer(
            request, idea_id, _("The role is listed: people with this skill will see it.")
        )

    @post("/roles/{role_id:int}/filled")
    async def toggle_filled(
        self, request: ActorRequest, idea_id: FromPath[int], role_id: FromPath[int]
    ) -> Response[Any]:
        form = await read_form(request)
        await services.set_role_filled(request.user, idea_id, role_id, form.checked("filled"))
        return await self._answer(request, idea_id)

    @post("/join")
    async def join(self, request: ActorRequest, idea_id: FromPath[int]) -> Response[Any]:
        form = await read_form(request)
        try:
            await services.request_to_join(
                request.user, idea_id, form.text("message"), form.id("role_id")
            )
        except ValidationFailed as failed:
            return await self._answer(
                request, idea_id, errors=failed.errors, values={"message": form.text("message")}
            )
        return await self._answer(
            request, idea_id, _("Your request is sent. The team will answer.")
        )

    @post("/join-requests/{request_id:int}/accept")
    async def accept(
        self, request: ActorRequest, idea_id: FromPath[int], request_id: FromPath[int]
    ) -> Response[Any]:
        await services.answer_request(request.user, idea_id, request_id, accept=True)
        return await self._answer(
            request, idea_id, _("Welcome aboard: the new member is on the team.")
        )

    @post("/join-requests/{request_id:int}/decline")
    async def decline(
        self, request: ActorRequest, idea_id: FromPath[int], request_id: FromPath[int]
    ) -> Response[Any]:
        await services.answer_request(request.user, idea_id, request_id, accept=False)
        return await self._answer(request, idea_id, _("The request is declined."))

    @post("/leave")
    async def leave(self, request: ActorRequest, idea_id: FromPath[int]) -> Response[Any]:
        try:
            await services.leave_team(request.user, idea_id)
        except ValidationFailed as failed:
            return await self._answer(request, idea_id, errors=failed.errors)
        return await self._answer(request, idea_id, _("You have left the team."))
