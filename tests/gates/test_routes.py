"""The gate contract through HTTP: submit, vote, decide; hidden votes; query counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from incubator.accounts.tables import Person
from incubator.gates import services
from incubator.gates.tables import Gate, GateRound, Vote
from incubator.ideas.tables import Idea
from tests import factories
from tests.accounts.test_routes import field_error
from tests.conftest import PASSWORD, Browser, Persona, Run, query_count, text_of
from tests.gates.helpers import ballot, idea_with_team, peers

GO_FORM = {
    "decision": "go",
    "score_customer_value": "4",
    "score_feasibility": "4",
    "score_strategic_fit": "3",
}


def voters(new_browser: Callable[..., Browser], run: Run, count: int) -> list[Browser]:
    run(peers(count))
    browsers = []
    for number in range(count):
        browser = new_browser()
        browser.login(f"voter{number}@example.com", PASSWORD)
        browsers.append(browser)
    return browsers


def submit(browser: Browser, idea_id: int) -> int:
    response = browser.post(f"/ideas/{idea_id}/gate")
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/gates/")
    return int(location.rsplit("/", 1)[1])


@pytest.mark.parametrize(
    ("decisions", "stage", "status"),
    [
        (["go", "go", "go"], "explore", "active"),
        (["kill", "kill", "go"], "spark", "killed"),
        (["go", "hold", "kill"], "spark", "active"),
    ],
    ids=["passed", "killed", "recycled"],
)
def test_the_contract_end_to_end(
    browser: Browser,
    new_browser: Callable[..., Browser],
    personas: dict[str, Persona],
    run: Run,
    decisions: list[str],
    stage: str,
    status: str,
) -> None:
    idea_id = run(idea_with_team(personas["ada"].id))
    browser.login(personas["ada"].email)
    round_id = submit(browser, idea_id)
    assert "Review and vote" not in browser.get(f"/ideas/{idea_id}").text
    for peer, decision in zip(voters(new_browser, run, 3), decisions, strict=True):
        form = {
            **GO_FORM,
            "decision": decision,
            "rationale": "Because." if decision == "kill" else "",
        }
        assert peer.post(f"/gates/{round_id}/votes", form).status_code == 303
    idea = run(Idea.select(Idea.stage, Idea.status).where(Idea.id == idea_id).first().run())
    assert idea == {"stage": stage, "status": status}
    if decisions == ["go", "hold", "kill"]:
        assert submit(browser, idea_id) != round_id  # recycled: resubmitted as round 2
        assert run(
            GateRound.select(GateRound.number).order_by(GateRound.id, ascending=False).first().run()
        ) == {"number": 2}


def test_team_members_get_403_and_bad_votes_400_with_nothing_recorded(
    browser: Browser, new_browser: Callable[..., Browser], personas: dict[str, Persona], run: Run
) -> None:
    idea_id = run(idea_with_team(personas["ada"].id, personas["bob"].id))
    browser.login(personas["ada"].email)
    round_id = submit(browser, idea_id)
    bob = new_browser()
    bob.login(personas["bob"].email)
    assert bob.post(f"/gates/{round_id}/votes", GO_FORM).status_code == 403
    eve = new_browser()
    eve.login(personas["eve"].email)
    bad = eve.post(f"/gates/{round_id}/votes", {**GO_FORM, "decision": "maybe"})
    assert bad.status_code == 400
    assert "Choose go, hold or kill." in field_error(bad.text, "decision")
    seven = eve.post(f"/gates/{round_id}/votes", {**GO_FORM, "score_feasibility": "7"}, htmx=True)
    assert seven.status_code == 400
    assert "from 1 to 5" in field_error(seven.text, "score_feasibility")
    assert "<html" not in seven.text
    assert eve.post(f"/gates/{round_id}/votes", {**GO_FORM, "decision": "kill"}).status_code == 400
    assert run(Vote.count().run()) == 0


def test_a_second_vote_replaces_the_first(
    browser: Browser, new_browser: Callable[..., Browser], personas: dict[str, Persona], run: Run
) -> None:
    idea_id = run(idea_with_team(personas["ada"].id))
    browser.login(personas["ada"].email)
    round_id = submit(browser, idea_id)
    eve = new_browser()
    eve.login(personas["eve"].email)
    eve.post(f"/gates/{round_id}/votes", {**GO_FORM, "decision": "hold"})
    fragment = eve.post(f"/gates/{round_id}/votes", GO_FORM, htmx=True)
    assert "Your vote is in" in fragment.text
    assert 'value="go" checked' in fragment.text
    assert run(Vote.select(Vote.decision).run()) == [{"decision": "go"}]
    assert "1 vote of 3 needed" in text_of(browser.get(f"/gates/{round_id}").text)


def test_votes_stay_hidden_until_the_decision(
    browser: Browser, new_browser: Callable[..., Browser], personas: dict[str, Persona], run: Run
) -> None:
    idea_id = run(idea_with_team(personas["ada"].id))
    run(Person.update({Person.job_title: "Chief Vote Officer"}).where(Person.id > 0).run())
    browser.login(personas["ada"].email)
    round_id = submit(browser, idea_id)
    first, second, third = voters(new_browser, run, 3)
    first.post(
        f"/gates/{round_id}/votes", {**GO_FORM, "decision": "kill", "rationale": "Secret reason"}
    )
    page = second.get(f"/gates/{round_id}").text
    assert "Secret reason" not in page
    assert "Voter 0" not in page
    second.post(f"/gates/{round_id}/votes", GO_FORM)
    third.post(f"/gates/{round_id}/votes", GO_FORM)
    decided = browser.get(f"/gates/{round_id}").text
    assert "Secret reason" in decided
    assert "Voter 0" not in decided  # reasons are shown without names
    assert "Chief Vote Officer" not in decided
    assert "Dept " not in decided  # nor departments


def test_only_a_steward_decides_and_only_a_due_round(
    browser: Browser, new_browser: Callable[..., Browser], personas: dict[str, Persona], run: Run
) -> None:
    idea_id = run(idea_with_team(personas["ada"].id))
    browser.login(personas["ada"].email)
    round_id = submit(browser, idea_id)
    assert browser.post(f"/gates/{round_id}/decide").status_code == 403
    cleo = new_browser()
    cleo.login(personas["cleo"].email)
    assert cleo.post(f"/gates/{round_id}/decide").status_code == 400
    run(
        GateRound.update({GateRound.closes_at: GateRound.opened_at - timedelta(days=1)})
        .where(GateRound.id == round_id)
        .run()
    )
    assert "Decide this round now" in cleo.get(f"/gates/{round_id}").text
    assert cleo.post(f"/gates/{round_id}/decide").status_code == 303
    row = run(GateRound.select(GateRound.status, GateRound.extended).first().run())
    assert row == {"status": "open", "extended": True}


def test_the_cross_functional_rule_is_explained_beside_the_button(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    idea_id = run(idea_with_team(personas["ada"].id))
    run(Idea.update({Idea.stage: "explore"}).where(Idea.id == idea_id).run())
    browser.login(personas["ada"].email)
    refused = browser.post(f"/ideas/{idea_id}/gate", htmx=True)
    assert refused.status_code == 400
    assert "two departments" in field_error(refused.text, "gate")
    assert run(GateRound.count().run()) == 0
    browser.post("/logout")
    browser.login(personas["eve"].email)  # not on the team
    assert browser.post(f"/ideas/{idea_id}/gate").status_code == 403


def test_rounds_without_quorum_are_listed_for_everyone(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    async def stale() -> None:
        idea_id = await idea_with_team(personas["ada"].id, title="Forgotten idea")
        round_id = await services.submit_to_gate(await factories.actor(personas["ada"].id), idea_id)
        opened = (await services.load_round(round_id))["opened_at"]
        await services.sweep_due_rounds(now=opened + timedelta(days=8))
        await services.sweep_due_rounds(now=opened + timedelta(days=15))

    run(stale())
    browser.login(personas["dan"].email)
    page = text_of(browser.get("/gates").text)
    assert "Forgotten idea" in page
    assert "No quorum" in page


def test_gate_and_idea_pages_cost_the_same_queries_whatever_the_votes(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    idea_id = run(idea_with_team(personas["ada"].id))

    async def open_round(quorum_votes: int) -> int:
        ada = await factories.actor(personas["ada"].id)
        round_id = await services.submit_to_gate(ada, idea_id)
        for voter in await peers(quorum_votes) if quorum_votes else []:
            await services.cast_vote(voter, round_id, ballot("hold"))
            await services.cast_vote(voter, round_id, ballot("go"))
        return round_id

    run(Gate.update({Gate.quorum: 100}).where(Gate.id > 0).run())
    browser.login(personas["eve"].email)
    first = run(open_round(1))
    small = (
        query_count(browser.get(f"/gates/{first}")),
        query_count(browser.get(f"/ideas/{idea_id}")),
    )
    run(GateRound.update({GateRound.status: "recycled"}).where(GateRound.id == first).run())
    second = run(open_round(0))
    for voter in run(factories.people(25, "late")):
        run(services.cast_vote(run(factories.actor(voter)), second, ballot("go")))
    large = (
        query_count(browser.get(f"/gates/{second}")),
        query_count(browser.get(f"/ideas/{idea_id}")),
    )
    assert large == small


def test_a_vote_after_the_round_closed_is_told_so_beside_the_decision(
    browser: Browser, new_browser: Callable[..., Browser], personas: dict[str, Persona], run: Run
) -> None:
    idea_id = run(idea_with_team(personas["ada"].id))
    browser.login(personas["ada"].email)
    round_id = submit(browser, idea_id)
    early, *rest = voters(new_browser, run, 4)
    for peer in rest:  # the quorum of three closes the round
        assert peer.post(f"/gates/{round_id}/votes", GO_FORM).status_code == 303
    for htmx in (False, True):
        late = early.post(f"/gates/{round_id}/votes", GO_FORM, htmx=htmx)
        assert late.status_code == 400
        assert "Voting on this round has closed." in text_of(late.text)
    assert run(Vote.count().where(Vote.round == round_id).run()) == 3
