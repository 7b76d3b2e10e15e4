"""Challenge pages: the list, posting, a challenge with its ideas and discussion."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Response, Template

from incubator.accounts.identity import Actor
from incubator.accounts.roles import Role
from incubator.challenges import queries, services
from incubator.challenges.policies import can_archive_challenge, can_edit_challenge
from incubator.challenges.tables import ChallengeSource, ChallengeStatus
from incubator.discussion import queries as discussion_queries
from incubator.discussion import services as discussion
from incubator.errors import NotAllowed, ValidationFailed
from incubator.gates.pipeline_admin import pipelines_list
from incubator.i18n import gettext as _
from incubator.ideas import queries as idea_queries
from incubator.ideas.stages import stage_names, status_names
from incubator.insights import queries as insight_queries
from incubator.insights import services as insight_services
from incubator.insights.controllers import labels as insight_labels
from incubator.web.forms import MAX_ID, FormValues, parse_id, read_form
from incubator.web.rendering import is_htmx, redirect_after_post, render

ActorRequest = Request[Actor, Any, Any]


def source_names() -> dict[str, str]:
    return {
        ChallengeSource.CUSTOMER.value: _("Customer voice"),
        ChallengeSource.INTERNAL.value: _("Internal"),
        ChallengeSource.STRATEGIC.value: _("Strategic"),
    }


def challenge_status_names() -> dict[str, str]:
    return {
        ChallengeStatus.DRAFT.value: _("Draft"),
        ChallengeStatus.OPEN.value: _("Open"),
        ChallengeStatus.CLOSED.value: _("Closed"),
        ChallengeStatus.ARCHIVED.value: _("Archived"),
    }


def _labels() -> dict[str, Any]:
    return {
        "source_names": source_names(),
        "challenge_status_names": challenge_status_names(),
        "stage_names": stage_names(),
        "status_names": status_names(),
    }


def _draft(form: FormValues) -> services.ChallengeDraft:
    return services.ChallengeDraft(
        title=form.text("title"),
        problem=form.text("problem"),
        source=form.text("source"),
        closes_on=form.text("closes_on"),
        tags=form.text("tags"),
    )


def _values(draft: services.ChallengeDraft) -> dict[str, str]:
    return {
        "title": draft.title,
        "problem": draft.problem,
        "source": draft.source,
        "closes_on": draft.closes_on,
        "tags": draft.tags,
    }


class ChallengeController(Controller):
    path = "/challenges"

    @get("/", name="challenges")
    async def index(
        self,
        request: ActorRequest,
        source: FromQuery[str] = "",
        status: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> Template:
        results = await queries.challenge_list(source=source, status=status, page=page)
        context = {"results": results, "source": source, "status": status, **_labels()}
        return render(request, "challenges/list.html.jinja2", context, block="results")

    @get("/new", name="challenge_new")
    async def new_form(
        self, request: ActorRequest, insights: FromQuery[list[int] | None] = None
    ) -> Template:
        """A blank challenge — or one prefilled with what customers said (`?insights=`)."""
        values: dict[str, str] = {"source": "internal"}
        wanted = [number for number in insights or [] if 0 < number <= MAX_ID][:20]
        chosen = await insight_queries.quotes(wanted)
        if chosen:
            values["source"] = "customer"
            values["problem"] = "\n\n".join(
                f"> {row['quote']}" + (f"\n> — {row['segment']}" if row["segment"] else "")
                for row in chosen
            )
            values["insight_ids"] = ",".join(str(row["id"]) for row in chosen)
        context = {"values": values, "errors": {}, "editing": None, **_labels()}
        return render(request, "challenges/form.html.jinja2", context)

    @post("/new")
    async def create(self, request: ActorRequest) -> Response[Any]:
        form = await read_form(request)
        draft = _draft(form)
        # Only insights that exist become evidence: an unknown id must not leave the
        # challenge saved behind a 404.
        wanted = [i for i in map(parse_id, form.text("insight_ids").split(",")) if i is not None]
        insight_ids = [int(row["id"]) for row in await insight_queries.quotes(wanted[:20])]
        try:
            challenge_id = await services.post_challenge(request.user, draft)
        except ValidationFailed as failed:
            context = {
                "values": {**_values(draft), "insight_ids": form.text("insight_ids")},
                "errors": failed.errors,
                "editing": None,
                **_labels(),
            }
            return render(request, "challenges/form.html.jinja2", context, status_code=400)
        for insight_id in insight_ids:  # the customers' words become its evidence
            await insight_services.link_insight(request.user, insight_id, "challenge", challenge_id)
        flash(
            request,
            _("Your challenge is open. Colleagues can now answer it with ideas."),
            category="success",
        )
        return redirect_after_post(request, f"/challenges/{challenge_id}")

    @get("/{challenge_id:int}", name="challenge")
    async def show(
        self,
        request: ActorRequest,
        challenge_id: FromPath[int],
        page: FromQuery[int] = 1,
        comments_page: FromQuery[int] = 1,
    ) -> Template:
        return render(
            request,
            "challenges/detail.html.jinja2",
            await self._detail_context(request.user, challenge_id, page, comments_page),
        )

    async def _detail_context(
        self,
        actor: Actor,
        challenge_id: int,
        page: int = 1,
        comments_page: int | None = 1,
        errors: dict[str, str] | None = None,
        body: str = "",
    ) -> dict[str, Any]:
        challenge = await queries.challenge_detail(challenge_id, actor.id)
        if challenge is None:
            raise NotFoundException()
        ideas = await idea_queries.idea_board(
            actor.id, idea_queries.BoardFilters(challenge_id=challenge_id, sort="supported"), page
        )
        return {
            "challenge": challenge,
            "ideas": ideas,
            "thread": await discussion_queries.thread("challenge", challenge_id, comments_page),
            "comment_url": f"/challenges/{challenge_id}/comments",
            "takes_ideas": services.takes_ideas(challenge["status"], challenge["closes_on"]),
            "can_edit": can_edit_challenge(actor, challenge["author_id"]),
            "can_archive": can_archive_challenge(actor),
            "can_moderate": actor.has_role(Role.STEWARD),
            "pipelines": await pipelines_list() if actor.has_role(Role.STEWARD) else [],
            "evidence": await insight_queries.evidence("challenge", challenge_id, actor.id),
            **insight_labels(),
            "errors": errors or {},
            "body": body,
            **_labels(),
        }

    @get("/{challenge_id:int}/edit", name="challenge_edit")
    async def edit_form(self, request: ActorRequest, challenge_id: FromPath[int]) -> Template:
        challenge = await queries.challenge_detail(challenge_id, request.user.id)
        if challenge is None:
            raise NotFoundException()
        if not can_edit_challenge(request.user, challenge["author_id"]):
            raise NotAllowed(_("Only the author of this challenge or a steward can edit it."))
        values = {
            "title": challenge["title"],
            "problem": challenge["problem"],
            "source": challenge["source"],
            "closes_on": challenge["closes_on"].isoformat() if challenge["closes_on"] else "",
            "tags": ", ".join(challenge["tags"]),
        }
        context = {"values": values, "errors": {}, "editing": challenge, **_labels()}
        return render(request, "challenges/form.html.jinja2", context)

    @post("/{challenge_id:int}/edit")
    async def update(self, request: ActorRequest, challenge_id: FromPath[int]) -> Response[Any]:
        draft = _draft(await read_form(request))
        try:
            await services.edit_challenge(request.user, challenge_id, draft)
        except ValidationFailed as failed:
            editing = await queries.challenge_detail(challenge_id, request.user.id)
            context = {
                "values": _values(draft),
                "errors": failed.errors,
                "editing": editing,
                **_labels(),
            }
            return render(request, "challenges/form.html.jinja2", context, status_code=400)
        flash(request, _("The challenge is saved."), category="success")
        return redirect_after_post(request, f"/challenges/{challenge_id}")

    @post("/{challenge_id:int}/status")
    async def change_status(
        self, request: ActorRequest, challenge_id: FromPath[int]
    ) -> Response[Any]:
        form = await read_form(request)
        await services.change_status(request.user, challenge_id, form.text("status"))
        status = challenge_status_names().get(form.text("status"), "")
        flash(request, _("The challenge is now %(status)s.", status=status), category="success")
        return redirect_after_post(request, f"/challenges/{challenge_id}")

    @post("/{challenge_id:int}/follow")
    async def follow(self, request: ActorRequest, challenge_id: FromPath[int]) -> Response[Any]:
        if await queries.challenge_title(challenge_id) is None:
            raise NotFoundException()
        following = await discussion.toggle_follow(request.user.id, "challenge", challenge_id)
        if is_htmx(request):
            challenge = {"id": challenge_id, "following": following}
            return render(
                request, "challenges/detail.html.jinja2", {"challenge": challenge}, block="follow"
            )
        return redirect_after_post(request, f"/challenges/{challenge_id}")

    @post("/{challenge_id:int}/comments")
    async def comment(self, request: ActorRequest, challenge_id: FromPath[int]) -> Response[Any]:
        if await queries.challenge_title(challenge_id) is None:
            raise NotFoundException()
        form = await read_form(request)
        try:
            await discussion.add_comment(
                request.user, "challenge", challenge_id, form.text("body"), form.id("parent_id")
            )
        except ValidationFailed as failed:
            context = await self._detail_context(
                request.user, challenge_id, errors=failed.errors, body=form.text("body")
            )
            return render(
                request, "challenges/detail.html.jinja2", context, block="comments", status_code=400
            )
        if is_htmx(request):
            context = await self._detail_context(request.user, challenge_id, comments_page=None)
            return render(request, "challenges/detail.html.jinja2", context, block="comments")
        return redirect_after_post(request, f"/challenges/{challenge_id}#comments")
