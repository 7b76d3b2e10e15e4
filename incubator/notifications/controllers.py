"""The inbox, preferences per kind, and one-click unsubscribe links from e-mails."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.plugins.flash import flash
from litestar.response import Response, Template

from incubator.accounts.identity import Actor
from incubator.i18n import gettext as _
from incubator.notifications import queries, services
from incubator.notifications.delivery import read_unsubscribe_token
from incubator.notifications.messages import KINDS, kind_names
from incubator.notifications.tables import Delivery
from incubator.web.forms import read_form
from incubator.web.rendering import redirect_after_post, render

ActorRequest = Request[Actor, Any, Any]


def delivery_names() -> dict[str, str]:
    return {
        Delivery.IN_APP.value: _("In Incubator"),
        Delivery.EMAIL.value: _("In Incubator and by e-mail at once"),
        Delivery.DIGEST.value: _("In Incubator, e-mailed in a daily digest"),
        Delivery.OFF.value: _("Not at all"),
    }


class NotificationController(Controller):
    path = "/notifications"

    @get("/", name="notifications")
    async def inbox(
        self,
        request: ActorRequest,
        page: FromQuery[int] = 1,
        after: FromQuery[str] = "",
        before: FromQuery[str] = "",
    ) -> Template:
        notes = await queries.inbox(request.user.id, page, after=after[:40], before=before[:40])
        return render(request, "notifications/inbox.html.jinja2", {"notes": notes})

    @get("/count", name="notification_count")
    async def count(self, request: ActorRequest) -> Template:
        """The header's unread badge, re-fetched when a notification arrives."""
        me = replace(request.user, unread=await queries.unread_count(request.user.id))
        return render(request, "notifications/_count.html.jinja2", {"me": me})

    @post("/read")
    async def read_all(self, request: ActorRequest) -> Response[Any]:
        await services.mark_all_read(request.user.id)
        return redirect_after_post(request, "/notifications")

    @get("/preferences", name="notification_preferences")
    async def preferences(self, request: ActorRequest) -> Template:
        context = {
            "preferences": await queries.preferences_of(request.user.id),
            "kind_names": kind_names(),
            "delivery_names": delivery_names(),
        }
        return render(request, "notifications/preferences.html.jinja2", context)

    @post("/preferences")
    async def save_preferences(self, request: ActorRequest) -> Response[Any]:
        form = await read_form(request)
        choices = {kind: form.text(f"pref_{kind}") for kind in KINDS if form.text(f"pref_{kind}")}
        await services.set_preferences(request.user.id, choices)
        flash(request, _("Your notification settings are saved."), category="success")
        return redirect_after_post(request, "/notifications/preferences")

    @get("/unsubscribe", opt={"public": True}, name="unsubscribe")
    async def unsubscribe_page(self, request: ActorRequest, token: FromQuery[str] = "") -> Template:
        found = read_unsubscribe_token(token)
        context = {"token": token, "kind": kind_names().get(found[1], "") if found else None}
        return render(
            request,
            "notifications/unsubscribe.html.jinja2",
            context,
            status_code=200 if found else 400,
        )

    @post("/unsubscribe", opt={"public": True})
    async def unsubscribe(self, request: ActorRequest) -> Template:
        form = await read_form(request)
        found = read_unsubscribe_token(form.text("token"))
        if found is None:
            return render(
                request,
                "notifications/unsubscribe.html.jinja2",
                {"token": "", "kind": None},
                status_code=400,
            )
        person_id, kind = found
        await services.set_preference(person_id, kind, Delivery.IN_APP.value)
        return render(
            request,
            "notifications/unsubscribe.html.jinja2",
            {"token": "", "kind": kind_names().get(kind, kind), "done": True},
        )
