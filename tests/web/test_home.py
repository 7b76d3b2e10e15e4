"""The first screen answers "what should I do now?"."""

from __future__ import annotations

from incubator.discussion import services as discussion
from incubator.gates import services as gates
from incubator.gates.tables import PanelMember
from tests import factories
from tests.conftest import Browser, Persona, Run, query_count, text_of
from tests.gates.helpers import ballot, idea_with_team, peers


def test_an_invitation_to_vote_waits_on_the_home_page_until_the_vote(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    async def scenario() -> int:
        idea_id = await idea_with_team(personas["ada"].id, title="Kiosk in every store")
        round_id = await gates.submit_to_gate(await factories.actor(personas["ada"].id), idea_id)
        await (
            PanelMember.insert(PanelMember(round=round_id, person=personas["eve"].id))
            .on_conflict(action="DO NOTHING")
            .run()
        )
        return round_id

    round_id = run(scenario())
    browser.login(personas["eve"].email)
    home = text_of(browser.get("/").text)
    assert "You are invited to review “Kiosk in every store”." in home
    run(gates.cast_vote(run(factories.actor(personas["eve"].id)), round_id, ballot("go")))
    assert "You are invited to review" not in text_of(browser.get("/").text)


def test_ideas_i_follow_that_moved_show_on_the_home_page(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    async def scenario() -> None:
        idea_id = await idea_with_team(personas["ada"].id, title="Repair café")
        await discussion.follow(personas["eve"].id, "idea", idea_id)
        round_id = await gates.submit_to_gate(await factories.actor(personas["ada"].id), idea_id)
        for voter in await peers(3):
            await gates.cast_vote(voter, round_id, ballot("go"))

    run(factories.idea(personas["dan"].id, title="Already there"))  # a non-empty baseline
    browser.login(personas["eve"].email)
    before = query_count(browser.get("/"))
    run(scenario())
    home = text_of(browser.get("/").text)
    assert "“Repair café”, which you follow, moved to Explore." in home
    assert query_count(browser.get("/")) == before
