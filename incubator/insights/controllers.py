"""Insight pages: the customer's voice, logged by anyone, echoed, linked as evidence."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Response, Template

from incubator.accounts.identity import Actor
from incubator.challenges import queries as challenge_queries
from incubator.errors import ValidationFailed
from incubator.i18n import gettext as _
from incubator.ideas.queries import merged_into
from incubator.ideas.tables import Idea
from incubator.insights import queries, services
from incubator.insights.tables import Channel, Sentiment
from incubator.web.forms import parse_id, read_form
from incubator.web.rendering import is_htmx, redirect_after_post, render

ActorRequest = Request[Actor, Any, Any]


def channel_names() -> dict[str, str]:
    return {
        Channel.PHONE.value: _("Phone"),
        Channel.EMAIL.value: _("E-mail"),
        Channel.SOCIAL.value: _("Social networks"),
        Channel.STORE.value: _("In store"),
        Channel.OTHER.value: _("Other"),
    }


def sentiment_names() -> dict[str, str]:
    return {
        Sentiment.PRAISE.value: _("Praise"),
        Sentiment.COMPLAINT.value: _("Complaint"),
        Sentiment.SUGGESTION.value: _("Suggestion"),
    }


def labels() -> dict[str, Any]:
    return {"channel_names": channel_names(), "sentiment_names": sentiment_names()}


class InsightController(Controller):
    path = "/insights"

    @get("/", name="insights")
    async def index(
        self,
        request: ActorRequest,
        channel: FromQuery[str] = "",
        sentiment: FromQuery[str] = "",
        period: FromQuery[str] = "",
        q: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> Template:
        channel = channel if channel in channel_names() else ""
        sentiment = sentiment if sentiment in sentiment_names() else ""
        results = await queries.insight_list(
            request.user.id, channel=channel, sentiment=sentiment, period=period, q=q, page=page
        )
        context = {
            "results": results,
            "channel": channel,
            "sentiment": sentiment,
            "period": period if period in queries.PERIODS else "",
            "q": q[:100],
            **labels(),
        }
        return render(request, "insights/list.html.jinja2", context, block="results")

    @get("/new", name="insight_new")
    async def new_form(self, request: ActorRequest) -> Template:
        context = {
            "values": {"channel": "phone", "sentiment": "complaint"},
            "errors": {},
            **labels(),
        }
        return render(request, "insights/form.html.jinja2", context)

    @post("/new")
    async def create(self, request: ActorRequest) -> Response[Any]:
        form = await read_form(request)
        draft = services.InsightDraft(
            quote=form.text("quote"),
            channel=form.text("channel"),
            segment=form.text("segment"),
            sentiment=form.text("sentiment"),
        )
        try:
            insight_id = await services.log_insight(request.user, draft)
        except ValidationFailed as failed:
            context = {"values": draft.__dict__, "errors": failed.errors, **labels()}
            return render(request, "insights/form.html.jinja2", context, status_code=400)
        flash(
            request,
            _("Thank you: colleagues can now echo it and use it as evidence."),
            category="success",
        )
        return redirect_after_post(request, f"/insights/{insight_id}")

    @get("/{insight_id:int}", name="insight")
    async def show(self, request: ActorRequest, insight_id: FromPath[int]) -> Template:
        return render(
            request, "insights/detail.html.jinja2", await self._detail(request.user, insight_id)
        )

    async def _detail(
        self, actor: Actor, insight_id: int, errors: dict[str, str] | None = None
    ) -> dict[str, Any]:
        insight = await queries.insight_detail(insight_id, actor.id)
        if insight is None:
            raise NotFoundException()
        return {
            "insight": insight,
            "errors": errors or {},
            **labels(),
            "challenges": await challenge_queries.challenges_taking_ideas(),
        }

    @post("/{insight_id:int}/seen")
    async def seen(self, request: ActorRequest, insight_id: FromPath[int]) -> Response[Any]:
        seen, count = await services.toggle_seen(request.user, insight_id)
        if is_htmx(request):
            insight = {"id": insight_id, "seen": seen, "seen_count": count}
            return render(
                request, "insights/detail.html.jinja2", {"insight": insight}, block="seen"
            )
        return redirect_after_post(request, f"/insights/{insight_id}")

    @post("/{insight_id:int}/links")
    async def link(self, request: ActorRequest, insight_id: FromPath[int]) -> Response[Any]:
        """Evidence for a challenge (`challenge_id`) or an idea (`idea_id`)."""
        form = await read_form(request)
        challenge, idea = form.id("challenge_id"), parse_id(form.text("idea_id").lstrip("#"))
        try:
            if challenge is not None and await challenge_queries.challenge_title(challenge):
                await services.link_insight(request.user, insight_id, "challenge", challenge)
            elif idea is not None and await merged_into(idea) is None and await _idea_exists(idea):
                await services.link_insight(request.user, insight_id, "idea", idea)
            else:
                raise ValidationFailed(
                    {"subject": _("Choose a challenge, or give the number of an idea (#12).")}
                )
        except ValidationFailed as failed:
            context = await self._detail(request.user, insight_id, failed.errors)
            return render(request, "insights/detail.html.jinja2", context, status_code=400)
        flash(request, _("Linked: it now shows as evidence."), category="success")
        return redirect_after_post(request, f"/insights/{insight_id}")


async def _idea_exists(idea_id: int) -> bool:
    return bool(await Idea.exists().where(Idea.id == idea_id).run())
