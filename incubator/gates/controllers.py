"""Gate pages: submitting an idea, the round with its vote form, deciding, and the list of
rounds that need attention."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Response, Template

from incubator.accounts.identity import Actor
from incubator.accounts.roles import Role
from incubator.errors import ValidationFailed
from incubator.gates import queries, services
from incubator.i18n import gettext as _
from incubator.ideas.controllers import detail_context
from incubator.ideas.controllers import outcome_names as idea_outcome_names
from incubator.ideas.stages import stage_names
from incubator.web.forms import read_form
from incubator.web.rendering import is_htmx, redirect_after_post, render

ActorRequest = Request[Actor, Any, Any]


def decision_names() -> dict[str, str]:
    return {"go": _("Go"), "hold": _("Hold"), "kill": _("Kill")}


def outcome_names() -> dict[str, str]:
    return {**idea_outcome_names(), "extended": _("Extended once, for want of votes")}


def _labels() -> dict[str, Any]:
    return {
        "decision_names": decision_names(),
        "outcome_names": outcome_names(),
        "stage_names": stage_names(),
    }


async def round_context(
    actor: Actor,
    round_id: int,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    round_ = await queries.round_page(round_id, actor.id)
    if round_ is None:
        raise NotFoundException()
    if values is None and round_["my_vote"] is not None:
        vote = round_["my_vote"]
        values = {
            "decision": vote["decision"],
            "rationale": vote["rationale"],
            **{f"score_{key}": str(score) for key, score in vote["scores"].items()},
        }
    can_decide = (
        actor.has_role(Role.STEWARD)
        and round_["is_open"]
        and (round_["overdue"] or round_["vote_count"] >= round_["quorum"])
    )
    return {
        "round": round_,
        "errors": errors or {},
        "values": values or {},
        "can_decide": can_decide,
        **_labels(),
    }


class GateController(Controller):
    @post("/ideas/{idea_id:int}/gate")
    async def submit(self, request: ActorRequest, idea_id: FromPath[int]) -> Response[Any]:
        """The team submits the idea to its next gate: 303 to the new round."""
        try:
            round_id = await services.submit_to_gate(request.user, idea_id)
        except ValidationFailed as failed:
            context = await detail_context(request.user, idea_id, gate_errors=failed.errors)
            return render(
                request, "ideas/detail.html.jinja2", context, block="gate", status_code=400
            )
        flash(request, _("Submitted: peers are invited to review the idea."), category="success")
        return redirect_after_post(request, f"/gates/{round_id}")

    @get("/gates/{round_id:int}", name="gate_round")
    async def show(self, request: ActorRequest, round_id: FromPath[int]) -> Template:
        return render(
            request, "gates/round.html.jinja2", await round_context(request.user, round_id)
        )

    @get("/gates/{round_id:int}/progress", name="gate_progress")
    async def progress(self, request: ActorRequest, round_id: FromPath[int]) -> Template:
        """How many have voted, re-fetched by open pages when a vote comes in."""
        context = await round_context(request.user, round_id)
        return render(request, "gates/round.html.jinja2", context, block="progress")

    @post("/gates/{round_id:int}/votes")
    async def vote(self, request: ActorRequest, round_id: FromPath[int]) -> Response[Any]:
        form = await read_form(request)
        round_ = await services.load_round(round_id)
        scores = {c["key"]: form.text(f"score_{c['key']}") for c in round_["criteria"]}
        ballot = services.Ballot(
            decision=form.text("decision"), scores=scores, rationale=form.text("rationale")
        )
        try:
            outcome = await services.cast_vote(request.user, round_id, ballot)
        except ValidationFailed as failed:
            values = {
                "decision": ballot.decision,
                "rationale": ballot.rationale,
                **{f"score_{key}": value for key, value in scores.items()},
            }
            context = await round_context(request.user, round_id, failed.errors, values)
            return render(
                request, "gates/round.html.jinja2", context, block="ballot", status_code=400
            )
        if is_htmx(request):
            context = await round_context(request.user, round_id)
            return render(request, "gates/round.html.jinja2", context, block="ballot")
        message = (
            _("Your vote is in.")
            if outcome is None
            else _("Your vote is in, and it completed the round.")
        )
        flash(request, message, category="success")
        return redirect_after_post(request, f"/gates/{round_id}")

    @post("/gates/{round_id:int}/decide")
    async def decide(self, request: ActorRequest, round_id: FromPath[int]) -> Response[Any]:
        outcome = await services.decide_now(request.user, round_id)
        flash(
            request,
            _("The round is decided: %(outcome)s.", outcome=outcome_names().get(outcome, outcome)),
            category="success",
        )
        return redirect_after_post(request, f"/gates/{round_id}")

    @get("/gates", name="gates")
    async def attention(self, request: ActorRequest, page: FromQuery[int] = 1) -> Template:
        rounds = await queries.attention_rounds(datetime.now(UTC), page)
        return render(request, "gates/list.html.jinja2", {"rounds": rounds, **_labels()})
