"""The audit log: complete, readable by stewards and leadership, closed to members."""

from __future__ import annotations

import pytest

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
