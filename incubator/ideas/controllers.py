"""Idea pages: the board with search, proposing, an idea with its support and discussion."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Response, Template

from incubator.accounts.identity import Actor
from incubator.accounts.roles import Role
from incubator.challenges import queries as challenge_queries
from incubator.discussion import services as discussion
from incubator.errors import NotAllowed, ValidationFailed
from incubator.gates import queries as gate_queries
from incubator.gates.pipelines import next_gate, pipeline_of_idea
from incubator.i18n import gettext as _
from incubator.ideas import queries, services
from incubator.ideas.policies import can_edit_idea, can_merge_ideas
from incubator.ideas.stages import STAGE_KEYS, stage_names, status_names
from incubator.insights import queries as insight_queries
from incubator.insights.controllers import labels as insight_labels
from incubator.teams import queries as team_queries
from incubator.web.api import QueryId
from incubator.web.forms import FormValues, read_form
from incubator.web.rendering import is_htmx, redirect_after_post, render

ActorRequest = Request[Actor, Any, Any]


def sort_names() -> dict[str, str]:
    return {"newest": _("Newest"), "supported": _("Most supported"), "stage": _("Furthest along")}


def outcome_names() -> dict[str, str]:
    return {
        "open": _("Voting"),
        "passed": _("Passed"),
        "recycled": _("Back to the team"),
        "killed": _("Stopped"),
        "no_quorum": _("No quorum"),
    }


def looking_names() -> dict[str, str]:
    return {"people": _("Looking for people"), "my_skills": _("Looking for my skills")}


def _labels() -> dict[str, Any]:
    return {"stage_names": stage_names(), "status_names": status_names(), "stage_keys": STAGE_KEYS}


def _draft(form: FormValues) -> services.IdeaDraft:
    return services.IdeaDraft(
        title=form.text("title"),
        summary=form.text("summary"),
        description=form.text("description"),
        challenge_id=form.text("challenge_id"),
        tags=form.text("tags"),
        blind=form.checked("blind"),
    )


def _values(draft: services.IdeaDraft) -> dict[str, Any]:
    return {
        "title": draft.title,
        "summary": draft.summary,
        "description": draft.description,
        "challenge_id": draft.challenge_id,
        "tags": draft.tags,
        "blind": draft.blind,
    }


async def _form_context(
    values: dict[str, Any], errors: dict[str, str], editing: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "editing": editing,
        "challenges": await challenge_queries.challenges_taking_ideas(),
        **_labels(),
    }


class MergedIdea(NotFoundException):
    """The idea was merged into another: a 404 where it is acted on, and its page
    redirects there (the page finds out while reading the idea, with no query of its
    own)."""

    def __init__(self, into_id: int) -> None:
        super().__init__()
        self.into_id = into_id


async def detail_context(
    actor: Actor,
    idea_id: int,
    comments_page: int | None = 1,
    *,
    errors: dict[str, str] | None = None,
    body: str = "",
    team_errors: dict[str, str] | None = None,
    team_values: dict[str, str] | None = None,
    gate_errors: dict[str, str] | None = None,
    merge_errors: dict[str, str] | None = None,
    merge_value: str = "",
) -> dict[str, Any]:
    """Everything the idea page shows; blocks of it answer htmx requests."""
    idea = await queries.idea_detail(idea_id, actor.id)
    if idea is None:
        raise NotFoundException()
    if idea["merged_into"] is not None:
        raise MergedIdea(idea["merged_into"])
    can_merge = can_merge_ideas(actor)
    rounds = await gate_queries.rounds_of_idea(idea_id)
    open_round = next((r for r in rounds if r["status"] == "open"), None)
    upcoming = await next_gate(await pipeline_of_idea(idea_id), idea["stage"])
    visible = idea["author_name"] is not None
    return {
        "idea": idea,
        "rounds": rounds,
        "open_round": open_round,
        "next_stage": upcoming.to_stage if upcoming else None,
        "can_submit": idea["on_team"]
        and open_round is None
        and upcoming is not None
        and idea["status"] == "active",
        "gate_errors": gate_errors or {},
        "timeline": await queries.idea_timeline(idea_id, actor.id, identity_visible=visible),
        "outcome_names": outcome_names(),
        "evidence": await insight_queries.evidence("idea", idea_id, actor.id),
        **insight_labels(),
        "team": await team_queries.team_panel(idea_id, actor.id, identity_visible=visible),
        "team_errors": team_errors or {},
        "team_values": team_values or {},
        "thread": await queries.idea_thread(idea_id, actor.id, comments_page),
        "comment_url": f"/ideas/{idea_id}/comments",
        "can_edit": can_edit_idea(actor, idea["author_id"] or 0, on_team=idea["on_team"]),
        "can_merge": can_merge,
        "can_moderate": actor.has_role(Role.STEWARD),
        "merge_errors": merge_errors or {},
        "merge_value": merge_value,
        "errors": errors or {},
        "body": body,
        **_labels(),
    }


class IdeaController(Controller):
    path = "/ideas"

    @get("/", name="ideas")
    async def board(
        self,
        request: ActorRequest,
        q: FromQuery[str] = "",
        sort: FromQuery[str] = "newest",
        challenge_id: QueryId = None,
        tag: FromQuery[str] = "",
        stage: FromQuery[str] = "",
        looking: FromQuery[str] = "",
        page: FromQuery[int] = 1,
        after: FromQuery[str] = "",
        before: FromQuery[str] = "",
    ) -> Template:
        within = None
        if looking == "people":
            within = team_queries.ideas_looking_for_people()
        elif looking == "my_skills":
            within = team_queries.ideas_looking_for_skills_of(request.user.id)
        filters = queries.BoardFilters(
            q=q[:200],
            sort=sort if sort in queries.SORTS else "newest",
            challenge_id=challenge_id,
            tag=tag[:40],
            stage=stage,
            within=within,
        )
        results = await queries.idea_board(
            request.user.id, filters, page, after=after[:40], before=before[:40]
        )
        context = {
            "results": results,
            "filters": filters,
            "sort_names": sort_names(),
            "looking": looking if within is not None else "",
            "looking_names": looking_names(),
            **_labels(),
            "challenge_title": await challenge_queries.challenge_title(challenge_id)
            if challenge_id
            else None,
        }
        return render(request, "ideas/board.html.jinja2", context, block="results")

    @get("/new", name="idea_new")
    async def new_form(self, request: ActorRequest, challenge_id: FromQuery[str] = "") -> Template:
        values = {"challenge_id": challenge_id if challenge_id.isdigit() else ""}
        return render(request, "ideas/form.html.jinja2", await _form_context(values, {}))

    @post("/new")
    async def create(self, request: ActorRequest) -> Response[Any]:
        draft = _draft(await read_form(request))
        try:
            idea_id = await services.propose_idea(request.user, draft)
        except ValidationFailed as failed:
            context = await _form_context(_values(draft), failed.errors)
            return render(request, "ideas/form.html.jinja2", context, status_code=400)
        flash(
            request,
            _("Your idea is posted. Invite colleagues to support it and to join you."),
            category="success",
        )
        return redirect_after_post(request, f"/ideas/{idea_id}")

    @get("/similar", name="ideas_similar")
    async def similar(self, request: ActorRequest, title: FromQuery[str] = "") -> Template:
        """Ideas like the one being typed, shown beside the form to avoid duplicates."""
        ideas = await queries.similar_ideas(request.user.id, title[:200]) if len(title) >= 3 else []
        return render(request, "ideas/similar.html.jinja2", {"similar": ideas, **_labels()})

    @get("/{idea_id:int}", name="idea")
    async def show(
        self, request: ActorRequest, idea_id: FromPath[int], comments_page: FromQuery[int] = 1
    ) -> Template | Redirect:
        try:
            context = await detail_context(request.user, idea_id, comments_page)
        except MergedIdea as merged:
            return Redirect(f"/ideas/{merged.into_id}", status_code=301)
        return render(request, "ideas/detail.html.jinja2", context)

    @get("/{idea_id:int}/edit", name="idea_edit")
    async def edit_form(self, request: ActorRequest, idea_id: FromPath[int]) -> Template:
        row = await services.live_idea(idea_id)
        on_team = await services.is_team_member(idea_id, request.user.id)
        if not can_edit_idea(request.user, row["author"], on_team=on_team):
            raise NotAllowed(_("Only the idea's team or a steward can edit it."))
        idea = await queries.idea_detail(idea_id, request.user.id)
        assert idea is not None
        values = {
            "title": idea["title"],
            "summary": idea["summary"],
            "description": idea["description"],
            "tags": ", ".join(idea["tags"]),
            "challenge_id": str(idea["challenge_id"] or ""),
            "blind": idea["blind"],
        }
        return render(request, "ideas/form.html.jinja2", await _form_context(values, {}, idea))

    @post("/{idea_id:int}/edit")
    async def update(self, request: ActorRequest, idea_id: FromPath[int]) -> Response[Any]:
        draft = _draft(await read_form(request))
        try:
            await services.edit_idea(request.user, idea_id, draft)
        except ValidationFailed as failed:
            editing = await queries.idea_detail(idea_id, request.user.id)
            context = await _form_context(_values(draft), failed.errors, editing)
            return render(request, "ideas/form.html.jinja2", context, status_code=400)
        flash(request, _("Your changes are saved."), category="success")
        return redirect_after_post(request, f"/ideas/{idea_id}")

    @get("/{idea_id:int}/support", name="idea_support_box")
    async def support_box(self, request: ActorRequest, idea_id: FromPath[int]) -> Response[Any]:
        """The support box alone, re-fetched by open pages when someone supports."""
        if not is_htmx(request):
            return Redirect(f"/ideas/{idea_id}", status_code=303)
        await services.live_idea(idea_id)
        state = await queries.support_state(idea_id, request.user.id)
        return render(request, "ideas/detail.html.jinja2", {"idea": state}, block="support")

    @post("/{idea_id:int}/support")
    async def support(self, request: ActorRequest, idea_id: FromPath[int]) -> Response[Any]:
        """Support, or withdraw support. htmx swaps the button and count in place."""
        supported, count = await services.toggle_support(request.user, idea_id)
        if is_htmx(request):
            # Only someone else's idea can be supported, so the box is never "mine".
            state = {
                "id": idea_id,
                "support_count": count,
                "supported": supported,
                "is_mine": False,
            }
            return render(request, "ideas/detail.html.jinja2", {"idea": state}, block="support")
        return redirect_after_post(request, f"/ideas/{idea_id}")

    @post("/{idea_id:int}/follow")
    async def follow(self, request: ActorRequest, idea_id: FromPath[int]) -> Response[Any]:
        await services.live_idea(idea_id)
        following = await discussion.toggle_follow(request.user.id, "idea", idea_id)
        if is_htmx(request):
            idea = {"id": idea_id, "following": following}
            return render(request, "ideas/detail.html.jinja2", {"idea": idea}, block="follow")
        return redirect_after_post(request, f"/ideas/{idea_id}")

    @post("/{idea_id:int}/comments")
    async def comment(self, request: ActorRequest, idea_id: FromPath[int]) -> Response[Any]:
        form = await read_form(request)
        try:
            await services.comment_on_idea(
                request.user, idea_id, form.text("body"), form.id("parent_id")
            )
        except ValidationFailed as failed:
            context = await detail_context(
                request.user, idea_id, errors=failed.errors, body=form.text("body")
            )
            return render(
                request, "ideas/detail.html.jinja2", context, block="comments", status_code=400
            )
        if is_htmx(request):
            context = await detail_context(request.user, idea_id, comments_page=None)
            return render(request, "ideas/detail.html.jinja2", context, block="comments")
        return redirect_after_post(request, f"/ideas/{idea_id}#comments")

    @get("/{idea_id:int}/merge-candidates", name="idea_merge_candidates")
    async def merge_candidates(
        self, request: ActorRequest, idea_id: FromPath[int]
    ) -> Template | Redirect:
        """For the merge form (htmx, when a steward opens it): ideas with similar titles."""
        if not can_merge_ideas(request.user):
            raise NotAllowed(_("Only a steward can merge ideas."))
        idea = await services.live_idea(idea_id)
        if not is_htmx(request):
            return Redirect(f"/ideas/{idea_id}#merge", status_code=303)
        context = {
            "candidates": await queries.merge_candidates(idea_id, idea["title"]),
            **_labels(),
        }
        return render(request, "ideas/merge_candidates.html.jinja2", context)

    @post("/{idea_id:int}/merge")
    async def merge(self, request: ActorRequest, idea_id: FromPath[int]) -> Response[Any]:
        form = await read_form(request)
        into = form.id("into_id")
        try:
            await services.merge_ideas(request.user, idea_id, into)
        except ValidationFailed as failed:
            context = await detail_context(
                request.user,
                idea_id,
                merge_errors=failed.errors,
                merge_value=form.text("into_id")[:20],
            )
            return render(request, "ideas/detail.html.jinja2", context, status_code=400)
        flash(
            request,
            _("The ideas are merged: supports, comments and followers moved over."),
            category="success",
        )
        return redirect_after_post(request, f"/ideas/{into}")
