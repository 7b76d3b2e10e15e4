"""The audit log: complete, readable by stewards and leadership, closed to members."""

from __future__ import annotations

import pytest

from incubator.accounts.identity import Actor
from incubator.gates import services
from incubator.gates.tables import Gate
from tests import factories
from tests.conftest import Browser, Persona, Run, query_count
from tests.gates.helpers import ballot, idea_with_team, peers


async def submitted_round(author_id: int, voters: int) -> int:
    idea_id = await idea_with_team(author_id)
    round_id = await services.submit_to_gate(await factories.actor(author_id), idea_id)
    for voter in await peers(voters) if voters else []:
        await services.cast_vote(voter, round_id, ballot("go"))
    return idea_id


@pytest.mark.parametrize("persona", ["cleo", "dan", "ida"])
def test_oversight_roles_read_every_decision(
    browser: Browser, personas: dict[str, Persona], run: Run, persona: str
) -> None:
    run(submitted_round(personas["ada"].id, 3))
    browser.login(personas[persona].email)
    page = browser.get("/admin/audit").text
    for action in ("round.opened", "vote.cast", "round.decided", "idea.stage_changed"):
        assert action in page
    fragment = browser.get("/admin/audit?action=round.", htmx=True).text
    assert "<html" not in fragment
    assert "vote.cast" not in fragment


@pytest.mark.parametrize("persona", ["ada", "bob", "eve"])
def test_members_cannot_read_the_audit_log(
    browser: Browser, personas: dict[str, Persona], persona: str
) -> None:
    browser.login(personas[persona].email)
    assert browser.get("/admin/audit").status_code == 403


def test_the_idea_history_shows_the_decisions(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    idea_id = run(submitted_round(personas["ada"].id, 3))
    browser.login(personas["eve"].email)
    page = browser.get(f"/ideas/{idea_id}").text
    assert "Round decided: Passed" in page
    assert "Moved to Explore" in page


def test_the_audit_log_costs_the_same_queries_whatever_its_length(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    run(Gate.update({Gate.quorum: 100}).where(Gate.id > 0).run())  # every vote lands
    browser.login(personas["cleo"].email)
    run(submitted_round(personas["ada"].id, 0))
    small = query_count(browser.get("/admin/audit"))
    run(submitted_round(personas["ada"].id, 30))
    assert query_count(browser.get("/admin/audit")) == small


def test_votes_in_the_log_stay_sealed_until_the_round_is_decided(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    """Stewards read the log and may vote too: what others voted must not herd them."""
    run(Gate.update({Gate.quorum: 2}).where(Gate.id > 0).run())

    async def first_vote() -> tuple[int, Actor]:
        idea_id = await idea_with_team(personas["ada"].id)
        round_id = await services.submit_to_gate(await factories.actor(personas["ada"].id), idea_id)
        voter, second = await peers(2)
        await services.cast_vote(voter, round_id, ballot("kill", rationale="Seen it fail"))
        return round_id, second

    round_id, second = run(first_vote())
    browser.login(personas["cleo"].email)
    sealed = browser.get("/admin/audit?action=vote.").text
    assert "vote.cast" in sealed
    assert "Seen it fail" not in sealed
    assert "kill" not in sealed

    run(
        services.cast_vote(second, round_id, ballot("kill", rationale="Too costly"))
    )  # the quorum is reached: the round is decided
    opened = browser.get("/admin/audit?action=vote.").text
    assert "Seen it fail" in opened
    assert "Too costly" in opened
