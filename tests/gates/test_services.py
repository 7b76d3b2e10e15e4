"""Gate rules on the real database: rounds, panels, votes, the decision rule, deadlines."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from incubator.db.tables import AuditEvent
from incubator.db.transactions import engine, is_sqlite, transaction
from incubator.errors import NotAllowed, ValidationFailed
from incubator.gates import queries, services
from incubator.gates.rules import tally
from incubator.gates.tables import Gate, GateRound, PanelMember, Vote
from incubator.ideas.tables import Idea
from incubator.notifications.tables import Notification
from tests import factories
from tests.conftest import Persona, Run
from tests.gates.helpers import GO, LOW, ballot, idea_with_team, peers

CRITERIA = [{"key": "a", "weight": 1.0}, {"key": "b", "weight": 2.0}]


def votes(*decisions: tuple[str, int, int]) -> list[dict[str, Any]]:
    return [{"decision": d, "scores": {"a": a, "b": b}, "rationale": ""} for d, a, b in decisions]


@pytest.mark.parametrize(
    ("ballots", "outcome"),
    [
        ([("go", 4, 4), ("go", 3, 3), ("hold", 3, 3)], "passed"),  # 2/3 go ≥ 0.6, mean 3.33
        ([("go", 4, 2), ("go", 2, 2), ("go", 3, 3)], "recycled"),  # all go but mean 2.56 < 3
        ([("go", 5, 5), ("hold", 5, 5), ("hold", 5, 5)], "recycled"),  # 1/3 go < 0.6
        ([("kill", 1, 1), ("kill", 1, 1), ("go", 5, 5)], "killed"),  # 2/3 kill > 50%
        ([("kill", 1, 1), ("go", 5, 5), ("hold", 5, 5), ("kill", 1, 1)], "recycled"),  # kill = 50%
        ([("go", 5, 5), ("go", 5, 5)], None),  # below quorum: no decision
    ],
)
def test_the_decision_rule(ballots: list[tuple[str, int, int]], outcome: str | None) -> None:
    assert tally(votes(*ballots), CRITERIA, quorum=3, threshold=0.6).outcome == outcome


def test_weights_count_in_the_mean() -> None:
    result = tally(
        votes(("go", 1, 4), ("go", 1, 4), ("go", 1, 4)), CRITERIA, quorum=3, threshold=0.6
    )
    assert result.weighted_mean == 3.0
    assert result.outcome == "passed"


def test_three_go_votes_move_the_idea_to_the_next_stage(
    run: Run, personas: dict[str, Persona]
) -> None:
    async def scenario() -> tuple[str | None, dict[str, Any]]:
        idea_id = await idea_with_team(personas["ada"].id)
        ada = await factories.actor(personas["ada"].id)
        round_id = await services.submit_to_gate(ada, idea_id, rng=random.Random(1))
        outcomes = [await services.cast_vote(p, round_id, ballot("go")) for p in await peers(3)]
        idea = await Idea.select(Idea.stage, Idea.status).where(Idea.id == idea_id).first().run()
        assert idea is not None
        return outcomes[-1], idea

    outcome, idea = run(scenario())
    assert outcome == "passed"
    assert idea == {"stage": "explore", "status": "active"}
    actions = {row["action"] for row in run(AuditEvent.select(AuditEvent.action).run())}
    assert {"round.opened", "vote.cast", "round.decided", "idea.stage_changed"} <= actions


def test_two_kills_stop_the_idea_and_a_mixed_vote_recycles_it(
    run: Run, personas: dict[str, Persona]
) -> None:
    async def scenario() -> tuple[list[str | None], str]:
        killed = await idea_with_team(personas["ada"].id, title="Doomed")
        mixed = await idea_with_team(personas["ada"].id, title="Unsure")
        ada = await factories.actor(personas["ada"].id)
        voters = await peers(3)
        first = await services.submit_to_gate(ada, killed)
        await services.cast_vote(voters[0], first, ballot("kill", LOW, "Too costly"))
        await services.cast_vote(voters[1], first, ballot("kill", LOW, "No demand"))
        killed_outcome = await services.cast_vote(voters[2], first, ballot("go"))
        second = await services.submit_to_gate(ada, mixed)
        await services.cast_vote(voters[0], second, ballot("go"))
        await services.cast_vote(voters[1], second, ballot("hold"))
        mixed_outcome = await services.cast_vote(voters[2], second, ballot("kill", LOW, "Not yet"))
        resubmitted = await services.submit_to_gate(ada, mixed)
        number = (
            await GateRound.select(GateRound.number)
            .where(GateRound.id == resubmitted)
            .first()
            .run()
        )
        status = await Idea.select(Idea.status).where(Idea.id == killed).first().run()
        assert number is not None
        assert status is not None
        return [killed_outcome, mixed_outcome, number["number"]], status["status"]

    outcomes, status = run(scenario())
    assert outcomes == ["killed", "recycled", 2]
    assert status == "killed"


def test_team_members_cannot_vote_and_bad_ballots_record_nothing(
    run: Run, personas: dict[str, Persona]
) -> None:
    async def scenario() -> None:
        idea_id = await idea_with_team(personas["ada"].id, personas["bob"].id)
        ada, bob = (
            await factories.actor(personas["ada"].id),
            await factories.actor(personas["bob"].id),
        )
        round_id = await services.submit_to_gate(ada, idea_id)
        with pytest.raises(NotAllowed):
            await services.cast_vote(bob, round_id, ballot("go"))
        eve = await factories.actor(personas["eve"].id)
        for bad in (
            ballot("maybe"),
            ballot("go", {**GO, "feasibility": "7"}),
            ballot("go", {"customer_value": "3"}),
            ballot("kill", LOW, ""),
        ):
            with pytest.raises(ValidationFailed):
                await services.cast_vote(eve, round_id, bad)

    run(scenario())
    assert run(Vote.count().run()) == 0
    assert run(AuditEvent.count().where(AuditEvent.action.like("vote.%")).run()) == 0


def test_voting_again_replaces_the_earlier_vote(run: Run, personas: dict[str, Persona]) -> None:
    async def scenario() -> None:
        idea_id = await idea_with_team(personas["ada"].id)
        round_id = await services.submit_to_gate(await factories.actor(personas["ada"].id), idea_id)
        eve = await factories.actor(personas["eve"].id)
        await services.cast_vote(eve, round_id, ballot("hold"))
        await services.cast_vote(eve, round_id, ballot("go"))

    run(scenario())
    assert run(Vote.select(Vote.decision).run()) == [{"decision": "go"}]
    assert run(GateRound.select(GateRound.vote_count).first().run()) == {"vote_count": 1}
    assert run(AuditEvent.count().where(AuditEvent.action == "vote.replaced").run()) == 1


def test_the_panel_is_drawn_outside_the_team_by_skill_and_department(
    run: Run, personas: dict[str, Persona]
) -> None:
    async def scenario() -> tuple[list[int], set[int], int]:
        idea_id = await idea_with_team(personas["ada"].id, personas["bob"].id, tags="data")
        await peers(6)
        ada = await factories.actor(personas["ada"].id)
        round_id = await services.submit_to_gate(ada, idea_id, rng=random.Random(7))
        panel = [row["person"] for row in await PanelMember.select(PanelMember.person).run()]
        notified = {
            row["recipient"]
            for row in await Notification.select(Notification.recipient)
            .where(Notification.kind == "panel_invited")
            .run()
        }
        return panel, notified, round_id

    panel, notified, _round = run(scenario())
    assert len(panel) == 5  # quorum 3 + 2
    assert personas["ada"].id not in panel
    assert personas["bob"].id not in panel
    assert set(panel) == notified


def test_the_cross_functional_rule_guards_the_prototype_gate(
    run: Run, personas: dict[str, Persona]
) -> None:
    async def scenario() -> str:
        idea_id = await idea_with_team(personas["ada"].id)
        await Idea.update({Idea.stage: "explore"}).where(Idea.id == idea_id).run()
        with pytest.raises(ValidationFailed) as refused:
            await services.submit_to_gate(await factories.actor(personas["ada"].id), idea_id)
        return refused.value.errors["gate"]

    assert "two departments" in run(scenario())


def test_one_open_round_per_idea(run: Run, personas: dict[str, Persona]) -> None:
    async def scenario() -> list[Any]:
        idea_id = await idea_with_team(personas["ada"].id)
        ada = await factories.actor(personas["ada"].id)
        return await asyncio.gather(
            *(services.submit_to_gate(ada, idea_id) for _ in range(4)), return_exceptions=True
        )

    outcomes = run(scenario())
    assert sum(isinstance(o, int) for o in outcomes) == 1
    assert run(GateRound.count().run()) == 1


def test_the_deadline_extends_once_then_gives_no_quorum(
    run: Run, personas: dict[str, Persona]
) -> None:
    async def scenario() -> list[dict[int, str]]:
        idea_id = await idea_with_team(personas["ada"].id)
        ada = await factories.actor(personas["ada"].id)
        round_id = await services.submit_to_gate(ada, idea_id)
        await services.cast_vote((await peers(1))[0], round_id, ballot("go"))
        opened = (await services.load_round(round_id))["opened_at"]
        return [
            await services.sweep_due_rounds(now=opened + timedelta(days=6)),
            await services.sweep_due_rounds(now=opened + timedelta(days=7, minutes=1)),
            await services.sweep_due_rounds(now=opened + timedelta(days=10)),
            await services.sweep_due_rounds(now=opened + timedelta(days=14, minutes=1)),
            await services.sweep_due_rounds(now=opened + timedelta(days=30)),
        ]

    sweeps = run(scenario())
    assert [list(s.values()) for s in sweeps] == [[], ["extended"], [], ["no_quorum"], []]
    leaders = {
        row["recipient"]
        for row in run(
            Notification.select(Notification.recipient)
            .where(Notification.kind == "round_escalated")
            .run()
        )
    }
    assert personas["dan"].id in leaders
    assert personas["ida"].id in leaders


def test_the_sweep_reads_the_index_of_open_rounds(run: Run) -> None:
    """The scheduler's pass reads the open rounds only, not the index of every round ever
    run (whose past rounds it would filter out one by one, a pass growing with history)."""
    statement = str(queries.due_rounds(datetime.now(UTC), 200))

    async def plan() -> str:
        if is_sqlite():
            rows = await engine().run_ddl(f"EXPLAIN QUERY PLAN {statement}")
            return " ".join(row["detail"] for row in rows)
        async with transaction() as started:  # one connection for both statements
            # An empty table reads fastest whole; ask which index the planner would take.
            await started.connection.execute("SET LOCAL enable_seqscan = off")
            rows = await started.connection.fetch(f"EXPLAIN {statement}")
            return " ".join(row[0] for row in rows)

    used = run(plan())
    open_only = ["gate_round_open_closes_at"]
    if is_sqlite():
        # SQLite may find the open rounds through the status index and sort them: as narrow.
        open_only.append("USING INDEX gate_round_status (status=?)")
    assert any(index in used for index in open_only), used


def test_two_decisions_at_once_make_one(run: Run, personas: dict[str, Persona]) -> None:
    async def scenario() -> list[Any]:
        idea_id = await idea_with_team(personas["ada"].id)
        ada = await factories.actor(personas["ada"].id)
        round_id = await services.submit_to_gate(ada, idea_id)
        await Gate.update({Gate.early_close: False}).where(Gate.id > 0).run()
        await GateRound.update({GateRound.early_close: False}).where(GateRound.id == round_id).run()
        for voter in await peers(3):
            await services.cast_vote(voter, round_id, ballot("go"))
        due = (await services.load_round(round_id))["closes_at"]
        return list(
            await asyncio.gather(
                services.decide_round(round_id, now=due),
                services.decide_round(round_id, now=due),
                services.sweep_due_rounds(now=due),
            )
        )

    outcomes = run(scenario())
    decisions = [o for o in outcomes[:2] if o is not None] + list(outcomes[2].values())
    assert decisions == ["passed"]
    assert run(AuditEvent.count().where(AuditEvent.action == "round.decided").run()) == 1
    assert run(AuditEvent.count().where(AuditEvent.action == "idea.stage_changed").run()) == 1


def test_fifty_concurrent_votes_leave_fifty_votes_and_one_decision(
    run: Run, personas: dict[str, Persona]
) -> None:
    async def scenario() -> list[Any]:
        idea_id = await idea_with_team(personas["ada"].id)
        await Gate.update({Gate.quorum: 50}).where(Gate.id > 0).run()
        round_id = await services.submit_to_gate(await factories.actor(personas["ada"].id), idea_id)
        voters = await peers(50)
        return await asyncio.gather(
            *(services.cast_vote(v, round_id, ballot("go")) for v in voters)
        )

    outcomes = run(scenario())
    assert run(Vote.count().run()) == 50
    assert run(GateRound.select(GateRound.vote_count, GateRound.status).first().run()) == {
        "vote_count": 50,
        "status": "passed",
    }
    assert outcomes.count("passed") == 1
    assert run(AuditEvent.count().where(AuditEvent.action == "round.decided").run()) == 1
