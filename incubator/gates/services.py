"""Gate rules: submitting an idea to its next gate, voting, and deciding — by early close,
by the deadline sweep or by a steward, always through the same `decide_round`."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from incubator.accounts.identity import Actor
from incubator.accounts.roles import Role
from incubator.db.audit import record_event
from incubator.db.transactions import is_unique_violation, transaction
from incubator.errors import NotAllowed, NotFound, ValidationFailed
from incubator.events import PanelInvited, RoundDecided, RoundEscalated, publish
from incubator.gates import pipelines
from incubator.gates.panel import draw_panel
from incubator.gates.queries import due_rounds
from incubator.gates.rules import tally
from incubator.gates.tables import Decision, GateRound, PanelMember, RoundStatus, Vote
from incubator.i18n import gettext as _
from incubator.ideas.services import is_team_member, live_idea
from incubator.ideas.tables import Idea, IdeaStatus, TeamMember
from incubator.live import signal
from incubator.teams.queries import team_panel

RATIONALE_MAX = 2_000
PANEL_EXTRA = 2  # invited beyond the quorum, for absences


def utcnow() -> datetime:
    return datetime.now(UTC)


async def open_round_of(idea_id: int) -> int | None:
    row = (
        await GateRound.select(GateRound.id)
        .where((GateRound.idea == idea_id) & (GateRound.status == RoundStatus.OPEN.value))
        .first()
        .run()
    )
    return None if row is None else int(row["id"])


async def submit_to_gate(
    actor: Actor, idea_id: int, *, now: datetime | None = None, rng: random.Random | None = None
) -> int:
    """A team member submits the idea to its next gate: opens round n, draws the panel."""
    now = now or utcnow()
    idea = await live_idea(idea_id)
    if not await is_team_member(idea_id, actor.id):
        raise NotAllowed(_("Only the idea's team can submit it to a gate."))
    if idea["status"] != IdeaStatus.ACTIVE.value:
        raise ValidationFailed({"gate": _("Only an active idea can go to a gate.")})
    if await open_round_of(idea_id) is not None:
        raise ValidationFailed({"gate": _("This idea is already waiting for a decision.")})
    row = (
        await Idea.select(Idea.title, Idea.summary, Idea.description, Idea.stage, Idea.tags)
        .where(Idea.id == idea_id)
        .first()
        .run()
    )
    assert row is not None
    pipeline_id = await pipelines.pipeline_of_idea(idea_id)
    upcoming = await pipelines.next_gate(pipeline_id, row["stage"])
    if upcoming is None:
        raise ValidationFailed({"gate": _("This idea has passed its last gate.")})
    gate = upcoming.gate
    if gate["require_cross_functional"]:
        team = await team_panel(idea_id, actor.id, identity_visible=True)
        if not team["cross_functional"]:
            raise ValidationFailed(
                {
                    "gate": _(
                        "The team must span at least two departments to enter this stage: "
                        "invite someone from another department first."
                    )
                }
            )
    previous = await GateRound.count().where(GateRound.idea == idea_id).run()
    try:
        async with transaction():
            round_ = GateRound(
                idea=idea_id,
                gate=gate["id"],
                number=previous + 1,
                from_stage=upcoming.from_stage,
                to_stage=upcoming.to_stage,
                final=upcoming.final,
                quorum=gate["quorum"],
                threshold=gate["threshold"],
                window_days=gate["window_days"],
                early_close=gate["early_close"],
                criteria=upcoming.criteria,
                snapshot={
                    "title": row["title"],
                    "summary": row["summary"],
                    "description": row["description"],
                    "tags": row["tags"],
                },
                opened_by=actor.id,
                opened_at=now,
                closes_at=now + timedelta(days=gate["window_days"]),
            )
            await round_.save().run()
            panel = await draw_panel(
                idea_id, gate["quorum"] + PANEL_EXTRA, rng or random.SystemRandom()
            )
            if panel:
                await PanelMember.insert(
                    *(
                        PanelMember(round=round_.id, person=person, invited_at=now)
                        for person in panel
                    )
                ).run()
            await record_event(
                actor_id=actor.id,
                action="round.opened",
                subject_type="idea",
                subject_id=idea_id,
                data={
                    "round": round_.id,
                    "number": round_.number,
                    "to_stage": upcoming.to_stage,
                    "panel": panel,
                },
            )
            await publish(
                PanelInvited(
                    round_id=round_.id,
                    idea_id=idea_id,
                    idea_title=row["title"],
                    closes_at=round_.closes_at.isoformat(),
                    panel_ids=tuple(panel),
                )
            )
    except Exception as error:
        if is_unique_violation(error):  # another member submitted at the same moment
            raise ValidationFailed(
                {"gate": _("This idea is already waiting for a decision.")}
            ) from error
        raise
    return int(round_.id)


@dataclass(frozen=True)
class Ballot:
    decision: str
    scores: dict[str, str]
    rationale: str


def _validate_ballot(ballot: Ballot, criteria: list[dict[str, Any]]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if ballot.decision not in {d.value for d in Decision}:
        errors["decision"] = _("Choose go, hold or kill.")
    scores: dict[str, int] = {}
    for criterion in criteria:
        raw = ballot.scores.get(criterion["key"], "").strip()
        if raw not in {"1", "2", "3", "4", "5"}:
            errors[f"score_{criterion['key']}"] = _("Give a score from 1 to 5.")
        else:
            scores[criterion["key"]] = int(raw)
    rationale = ballot.rationale.strip()
    if len(rationale) > RATIONALE_MAX:
        errors["rationale"] = _("Keep your rationale under %(max)s characters.", max=RATIONALE_MAX)
    elif ballot.decision == Decision.KILL.value and not rationale:
        errors["rationale"] = _("Say why the idea should stop: the team deserves to know.")
    if errors:
        raise ValidationFailed(errors)
    return {"decision": ballot.decision, "scores": scores, "rationale": rationale}


_JSON_FIELDS = ("criteria", "snapshot", "tally")


def _loaded(row: dict[str, Any]) -> dict[str, Any]:
    """JSON columns as Python values, whatever the driver or query returned."""
    for field in _JSON_FIELDS:
        if isinstance(row.get(field), str):
            row[field] = json.loads(row[field])
    if isinstance(row.get("closes_at"), str):
        row["closes_at"] = datetime.fromisoformat(row["closes_at"])
    return row


async def _lock_open_round(round_id: int) -> dict[str, Any] | None:
    """The round, locked for this transaction (a no-op update takes the row lock on
    PostgreSQL; SQLite's IMMEDIATE transaction already holds the write lock)."""
    rows = (
        await GateRound.update({GateRound.vote_count: GateRound.vote_count})
        .where((GateRound.id == round_id) & (GateRound.status == RoundStatus.OPEN.value))
        .returning(*GateRound.all_columns())
        .run()
    )
    return _loaded(rows[0]) if rows else None


async def load_round(round_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await GateRound.select().where(GateRound.id == round_id).first().run()
    )
    if row is None:
        raise NotFound(_("This gate round does not exist."))
    return _loaded(row)


async def cast_vote(
    actor: Actor, round_id: int, ballot: Ballot, *, now: datetime | None = None
) -> str | None:
    """A peer votes (again: the earlier vote is replaced). Returns the outcome when the
    vote closed the round early."""
    now = now or utcnow()
    round_ = await load_round(round_id)
    if await is_team_member(round_["idea"], actor.id):
        raise NotAllowed(_("Team members cannot vote on their own idea."))
    clean = _validate_ballot(ballot, round_["criteria"])
    async with transaction():
        locked = await _lock_open_round(round_id)
        if locked is None or now >= locked["closes_at"]:
            raise ValidationFailed({"decision": _("Voting on this round has closed.")})
        previous = (
            await Vote.select(Vote.id)
            .where((Vote.round == round_id) & (Vote.voter == actor.id))
            .first()
            .run()
        )
        if previous is None:
            await Vote.insert(
                Vote(round=round_id, voter=actor.id, cast_at=now, updated_at=now, **clean)
            ).run()
            await (
                GateRound.update({GateRound.vote_count: GateRound.vote_count + 1})
                .where(GateRound.id == round_id)
                .run()
            )
            locked["vote_count"] += 1
        else:
            await (
                Vote.update(
                    {
                        Vote.decision: clean["decision"],
                        Vote.scores: clean["scores"],
                        Vote.rationale: clean["rationale"],
                        Vote.updated_at: now,
                    }
                )
                .where(Vote.id == previous["id"])
                .run()
            )
        signal(f"round:{round_id}", "vote")
        await record_event(
            actor_id=actor.id,
            action="vote.replaced" if previous else "vote.cast",
            subject_type="round",
            subject_id=round_id,
            data={"idea": round_["idea"], **clean},
        )
        if locked["early_close"] and locked["vote_count"] >= locked["quorum"]:
            return await _decide_locked(locked, now=now, actor_id=None)
    return None


async def decide_round(
    round_id: int, *, now: datetime | None = None, actor_id: int | None = None
) -> str | None:
    """Decide the round if the rule allows it now. Idempotent: a decided round is left
    alone, and two processes deciding at once produce one decision."""
    now = now or utcnow()
    async with transaction():
        locked = await _lock_open_round(round_id)
        if locked is None:
            return None
        return await _decide_locked(locked, now=now, actor_id=actor_id)


async def _decide_locked(
    round_: dict[str, Any], *, now: datetime, actor_id: int | None
) -> str | None:
    votes = (
        await Vote.select(Vote.decision, Vote.scores, Vote.rationale)
        .where(Vote.round == round_["id"])
        .order_by(Vote.id)
        .output(load_json=True)
        .run()
    )
    result = tally(
        votes, round_["criteria"], quorum=round_["quorum"], threshold=round_["threshold"]
    )
    due = now >= round_["closes_at"]
    outcome = result.outcome
    if outcome is not None and not (round_["early_close"] or due or actor_id is not None):
        return None  # enough votes, but this gate waits for its deadline
    if outcome is None:
        if not due:
            return None
        if not round_["extended"]:
            closes_at = round_["closes_at"] + timedelta(days=round_["window_days"])
            await (
                GateRound.update({GateRound.closes_at: closes_at, GateRound.extended: True})
                .where(GateRound.id == round_["id"])
                .run()
            )
            await record_event(
                actor_id=actor_id,
                action="round.extended",
                subject_type="idea",
                subject_id=round_["idea"],
                data={
                    "round": round_["id"],
                    "votes": result.votes,
                    "closes_at": closes_at.isoformat(),
                },
            )
            return "extended"
        outcome = RoundStatus.NO_QUORUM.value
    await (
        GateRound.update(
            {
                GateRound.status: outcome,
                GateRound.decided_at: now,
                GateRound.decided_by: actor_id,
                GateRound.tally: result.as_json(),
            }
        )
        .where(GateRound.id == round_["id"])
        .run()
    )
    await record_event(
        actor_id=actor_id,
        action="round.decided",
        subject_type="idea",
        subject_id=round_["idea"],
        data={
            "round": round_["id"],
            "outcome": outcome,
            "votes": result.votes,
            "go_share": result.go_share,
            "weighted_mean": result.weighted_mean,
        },
    )
    await _apply_outcome(round_, outcome, now, actor_id)
    signal(f"round:{round_['id']}", "vote")
    return outcome


async def _apply_outcome(
    round_: dict[str, Any], outcome: str, now: datetime, actor_id: int | None
) -> None:
    idea_id = round_["idea"]
    title = (
        await Idea.select(Idea.title, Idea.blind, Idea.revealed_at)
        .where(Idea.id == idea_id)
        .first()
        .run()
    )
    assert title is not None
    if outcome == RoundStatus.PASSED.value:
        changes: dict[Any, Any] = {Idea.stage: round_["to_stage"], Idea.stage_entered_at: now}
        if round_["final"]:
            changes[Idea.status] = IdeaStatus.GRADUATED.value
        if title["blind"] and title["revealed_at"] is None:
            changes[Idea.revealed_at] = now  # judged on merit; now the people can be known
        await Idea.update(changes).where(Idea.id == idea_id).run()
        await record_event(
            actor_id=actor_id,
            action="idea.stage_changed",
            subject_type="idea",
            subject_id=idea_id,
            data={
                "from": round_["from_stage"],
                "to": round_["to_stage"],
                "round": round_["id"],
                "graduated": bool(round_["final"]),
            },
        )
    elif outcome == RoundStatus.KILLED.value:
        await Idea.update({Idea.status: IdeaStatus.KILLED.value}).where(Idea.id == idea_id).run()
    await publish(
        RoundDecided(
            round_id=round_["id"],
            idea_id=idea_id,
            idea_title=title["title"],
            outcome=outcome,
            to_stage=round_["to_stage"],
        )
    )
    if outcome == RoundStatus.NO_QUORUM.value:
        await publish(
            RoundEscalated(round_id=round_["id"], idea_id=idea_id, idea_title=title["title"])
        )


async def decide_now(actor: Actor, round_id: int, *, now: datetime | None = None) -> str:
    """A steward decides a round that is due (or already has its quorum)."""
    if not actor.has_role(Role.STEWARD):
        raise NotAllowed(_("Only a steward can decide a round."))
    now = now or utcnow()
    round_ = await load_round(round_id)
    if round_["status"] != RoundStatus.OPEN.value:
        raise ValidationFailed({"decide": _("This round is already decided.")})
    if now < round_["closes_at"] and round_["vote_count"] < round_["quorum"]:
        raise ValidationFailed(
            {"decide": _("This round is not due yet and has not reached its quorum.")}
        )
    outcome = await decide_round(round_id, now=now, actor_id=actor.id)
    if outcome is None:
        raise ValidationFailed({"decide": _("This round is already decided.")})
    return outcome


async def sweep_due_rounds(*, now: datetime | None = None, limit: int = 200) -> dict[int, str]:
    """Decide every open round past its deadline (extend once, then no quorum). Safe to
    run in several processes at once: each decision is a conditional update."""
    now = now or utcnow()
    results: dict[int, str] = {}
    for row in await due_rounds(now, limit).run():
        outcome = await decide_round(row["id"], now=now)
        if outcome is not None:
            results[row["id"]] = outcome
    return results


async def team_ids(idea_id: int) -> list[int]:
    rows = await TeamMember.select(TeamMember.person).where(TeamMember.idea == idea_id).run()
    return [row["person"] for row in rows]
