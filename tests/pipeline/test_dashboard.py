"""The dashboard's figures against hand-computed values, on both databases.

Five ideas, clocks set so every duration is a whole number of days:
  A  proposed T+0,  passes Spark at T+11                    → Explore (Spark: 11 days)
  B  proposed T+5,  passes Spark at T+25, Explore at T+55   → Prototype (20 and 30 days)
  C  proposed T+10, passes Spark at T+14                    → Explore (Spark: 4 days)
  D  proposed T+20, killed at the Spark gate at T+30
  E  proposed five days ago, never submitted
Every round is decided one day after it opened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incubator.accounts.identity import Actor
from incubator.gates import services
from incubator.ideas.tables import Idea
from incubator.pipeline.queries import Filters, dashboard
from tests import factories
from tests.conftest import Browser, Persona, Run, query_count
from tests.gates.helpers import ballot, idea_with_team, peers

NOW = datetime.now(UTC).replace(microsecond=0)
T = NOW - timedelta(days=100)


async def _proposed(idea_id: int, day: float) -> None:
    at = T + timedelta(days=day)
    await (
        Idea.update({Idea.created_at: at, Idea.stage_entered_at: at})
        .where(Idea.id == idea_id)
        .run()
    )


async def _decide(
    author_id: int, idea_id: int, day: float, decisions: list[str], voters: list[Actor]
) -> None:
    decided_at = T + timedelta(days=day)
    author = await factories.actor(author_id)
    round_id = await services.submit_to_gate(author, idea_id, now=decided_at - timedelta(days=1))
    for voter, decision in zip(voters, decisions, strict=True):
        await services.cast_vote(voter, round_id, ballot(decision, rationale="no"), now=decided_at)


async def build(personas: dict[str, Persona]) -> dict[str, int]:
    voters = await peers(3)
    ada, bob = personas["ada"].id, personas["bob"].id
    ids = {
        "A": await idea_with_team(ada, title="A"),
        "B": await idea_with_team(ada, bob, title="B"),
        "C": await idea_with_team(ada, title="C"),
        "D": await idea_with_team(ada, title="D"),
        "E": await idea_with_team(ada, title="E"),
    }
    for key, day in (("A", 0), ("B", 5), ("C", 10), ("D", 20)):
        await _proposed(ids[key], day)
    await _proposed(ids["E"], 95)
    await _decide(ada, ids["A"], 11, ["go"] * 3, voters)
    await _decide(ada, ids["B"], 25, ["go"] * 3, voters)
    await _decide(ada, ids["B"], 55, ["go"] * 3, voters)
    await _decide(ada, ids["C"], 14, ["go"] * 3, voters)
    await _decide(ada, ids["D"], 30, ["kill"] * 3, voters)
    return ids


def test_the_figures_match_hand_computed_values(run: Run, personas: dict[str, Persona]) -> None:
    ids = run(build(personas))
    figures = run(dashboard(Filters(stalled_days=30), NOW))
    funnel = {
        row["stage"]: (row["now"], row["reached"], row["share"], row["stopped"])
        for row in figures["funnel"]
    }
    assert funnel == {
        "spark": (2, 5, 1.0, 1),
        "explore": (2, 3, 0.6, 0),
        "prototype": (1, 1, 0.2, 0),
        "pilot": (0, 0, 0.0, 0),
        "scale": (0, 0, 0.0, 0),
    }
    conversion = {
        row["from_stage"]: (row["decided"], row["passed"], row["rate"])
        for row in figures["conversion"]
    }
    assert conversion["spark"] == (4, 3, 0.75)
    assert conversion["explore"] == (1, 1, 1.0)
    assert conversion["prototype"] == (0, 0, None)
    times = {
        row["stage"]: (row["count"], row["median"], row["p90"]) for row in figures["time_in_stage"]
    }
    assert times["spark"] == (
        3,
        11.0,
        11.0,
    )  # sorted 4, 11, 20: ranks floor(2×0.5) and floor(2×0.9)
    assert times["explore"] == (1, 30.0, 30.0)
    assert figures["decision_latency"] == {"count": 5, "median": 1.0, "p90": 1.0}
    assert [idea["id"] for idea in figures["stalled"]["ideas"]] == [ids["A"], ids["C"], ids["B"]]
    assert [idea["days"] for idea in figures["stalled"]["ideas"]] == [89, 86, 45]
    months = {row["month"]: row for row in figures["throughput"]}
    assert sum(row["proposed"] for row in months.values()) == 5
    assert sum(row["decided"] for row in months.values()) == 5


def test_filters_narrow_the_figures(run: Run, personas: dict[str, Persona]) -> None:
    run(build(personas))
    recent = run(dashboard(Filters(period_days=30), NOW))
    assert [row["reached"] for row in recent["funnel"]] == [1, 0, 0, 0, 0]
    assert run(dashboard(Filters(stalled_days=60), NOW))["stalled"]["total"] == 2


@pytest.mark.parametrize("htmx", [False, True])
def test_every_member_sees_the_pipeline(
    browser: Browser, personas: dict[str, Persona], run: Run, htmx: bool
) -> None:
    run(build(personas))
    browser.login(personas["eve"].email)
    response = browser.get("/pipeline?stalled_days=30", htmx=htmx)
    assert response.status_code == 200
    assert "<svg" in response.text
    assert ("<html" in response.text) is not htmx
    assert 'role="img"' in response.text
    api = browser.get("/api/v1/pipeline").json()
    assert api["conversion"][0]["rate"] == 0.75


def test_the_dashboard_costs_the_same_queries_whatever_the_data(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    browser.login(personas["eve"].email)
    empty = query_count(browser.get("/pipeline"))
    run(build(personas))

    async def more(count: int) -> None:
        for number in range(count):
            await factories.idea(personas["dan"].id, title=f"Extra {number}")

    run(more(30))
    browser.get("/")  # what was built notified eve: this page reads her afresh, once
    assert query_count(browser.get("/pipeline")) == empty
    assert query_count(browser.get("/pipeline?period=90&department_id=1")) == empty
