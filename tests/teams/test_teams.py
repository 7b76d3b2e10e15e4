"""Teams across departments: roles wanted, join requests, matching, the directory."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from incubator.accounts import services as accounts
from incubator.db.tables import AuditEvent
from incubator.errors import NotAllowed, NotFound, ValidationFailed
from incubator.ideas.tables import TeamMember
from incubator.notifications.tables import Notification
from incubator.teams import queries, services
from incubator.teams.tables import JoinRequest, RoleWanted
from tests import factories
from tests.accounts.test_routes import field_error
from tests.conftest import PASSWORD, Browser, Persona, Run, query_count, text_of


def members(run: Run, idea_id: int) -> set[int]:
    rows = run(TeamMember.select(TeamMember.person).where(TeamMember.idea == idea_id).run())
    return {row["person"] for row in rows}


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_role_request_accept_flow(
    browser: Browser,
    new_browser: Callable[..., Browser],
    personas: dict[str, Persona],
    run: Run,
    htmx: bool,
) -> None:
    idea_id = run(factories.idea(personas["ada"].id))
    browser.login(personas["ada"].email)
    added = browser.post(
        f"/ideas/{idea_id}/roles",
        {"skill": "Data Analysis", "description": "Measure it"},
        htmx=htmx,
    )
    assert added.status_code == (200 if htmx else 303)
    role_id = run(RoleWanted.select(RoleWanted.id).first().run())["id"]

    bob = new_browser()
    bob.login(personas["bob"].email)
    asked = bob.post(
        f"/ideas/{idea_id}/join", {"message": "I know the data", "role_id": str(role_id)}, htmx=htmx
    )
    assert asked.status_code == (200 if htmx else 303)
    if htmx:
        assert "<html" not in asked.text
        assert "waiting for the team" in asked.text

    panel = browser.get(f"/ideas/{idea_id}").text
    assert "I know the data" in panel
    request_id = run(JoinRequest.select(JoinRequest.id).first().run())["id"]
    accepted = browser.post(f"/ideas/{idea_id}/join-requests/{request_id}/accept", htmx=htmx)
    assert accepted.status_code == (200 if htmx else 303)
    if htmx:
        assert 'id="team"' in accepted.text
        assert "<html" not in accepted.text
        assert "Bob Peer" in accepted.text
    assert members(run, idea_id) == {personas["ada"].id, personas["bob"].id}
    page = text_of(bob.get(f"/ideas/{idea_id}").text)
    assert "Bob Peer" in page
    assert "Cross-functional" in page  # Marketing + Opérations
    assert run(RoleWanted.select(RoleWanted.filled).first().run()) == {"filled": True}
    kinds = {row["kind"] for row in run(Notification.select(Notification.kind).run())}
    assert kinds == {"join_requested", "join_accepted"}


def test_an_outsider_cannot_answer_a_request(
    browser: Browser, new_browser: Callable[..., Browser], personas: dict[str, Persona], run: Run
) -> None:
    idea_id = run(factories.idea(personas["ada"].id))
    bob = run(factories.actor(personas["bob"].id))
    request_id = run(services.request_to_join(bob, idea_id, "Let me in"))
    browser.login(personas["eve"].email)
    events = run(AuditEvent.count().run())
    for verb in ("accept", "decline"):
        response = browser.post(f"/ideas/{idea_id}/join-requests/{request_id}/{verb}")
        assert response.status_code == 403
    assert run(JoinRequest.select(JoinRequest.status).first().run()) == {"status": "pending"}
    assert members(run, idea_id) == {personas["ada"].id}
    assert run(AuditEvent.count().run()) == events
    assert browser.post(f"/ideas/{idea_id}/roles", {"skill": "ux"}).status_code == 403


def test_a_second_pending_request_is_refused_with_a_message(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    idea_id = run(factories.idea(personas["ada"].id))
    browser.login(personas["bob"].email)
    assert browser.post(f"/ideas/{idea_id}/join", {"message": "First"}).status_code == 303
    again = browser.post(f"/ideas/{idea_id}/join", {"message": "Second"}, htmx=True)
    assert again.status_code == 400
    assert "already asked to join" in field_error(again.text, "message")
    assert run(JoinRequest.count().run()) == 1


def test_concurrent_requests_from_one_person_leave_one_pending(
    run: Run, personas: dict[str, Persona]
) -> None:
    idea_id = run(factories.idea(personas["ada"].id))

    async def race() -> list[Any]:
        bob = await factories.actor(personas["bob"].id)
        return await asyncio.gather(
            *(services.request_to_join(bob, idea_id, "me") for _ in range(5)),
            return_exceptions=True,
        )

    outcomes = run(race())
    assert sum(isinstance(o, int) for o in outcomes) == 1
    assert all(isinstance(o, int | ValidationFailed) for o in outcomes)
    assert run(JoinRequest.count().run()) == 1


def test_two_answers_at_once_make_one_decision(run: Run, personas: dict[str, Persona]) -> None:
    idea_id = run(factories.idea(personas["ada"].id))

    async def scenario() -> list[Any]:
        ada, bob, cleo = [await factories.actor(personas[k].id) for k in ("ada", "bob", "cleo")]
        cleo_request = await services.request_to_join(cleo, idea_id, "hi")
        bob_request = await services.request_to_join(bob, idea_id, "hi")
        await services.answer_request(ada, idea_id, bob_request, accept=True)
        return list(
            await asyncio.gather(
                services.answer_request(ada, idea_id, cleo_request, accept=True),
                services.answer_request(bob, idea_id, cleo_request, accept=False),
                return_exceptions=True,
            )
        )

    outcomes = run(scenario())
    assert sum(o is None for o in outcomes) == 1
    assert sum(isinstance(o, NotFound) for o in outcomes) == 1
    decided = run(AuditEvent.count().where(AuditEvent.action.like("team.request_%")).run())
    assert decided == 2


def test_leaving_passes_ownership_and_the_last_member_stays(
    run: Run, personas: dict[str, Persona]
) -> None:
    idea_id = run(factories.idea(personas["ada"].id))

    async def scenario() -> None:
        ada, bob = (
            await factories.actor(personas["ada"].id),
            await factories.actor(personas["bob"].id),
        )
        request_id = await services.request_to_join(bob, idea_id, "hi")
        await services.answer_request(ada, idea_id, request_id, accept=True)
        await services.leave_team(ada, idea_id)
        with pytest.raises(ValidationFailed):
            await services.leave_team(bob, idea_id)
        with pytest.raises(NotAllowed):
            await services.leave_team(ada, idea_id)

    run(scenario())
    rows = run(
        TeamMember.select(TeamMember.person, TeamMember.role)
        .where(TeamMember.idea == idea_id)
        .run()
    )
    assert rows == [{"person": personas["bob"].id, "role": "owner"}]


def test_the_team_page_lets_the_new_owner_edit(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    idea_id = run(factories.idea(personas["ada"].id))

    async def join() -> None:
        ada, bob = (
            await factories.actor(personas["ada"].id),
            await factories.actor(personas["bob"].id),
        )
        await services.answer_request(
            ada, idea_id, await services.request_to_join(bob, idea_id, ""), accept=True
        )

    run(join())
    browser.login(personas["bob"].email)
    assert browser.get(f"/ideas/{idea_id}/edit").status_code == 200


@pytest.mark.parametrize(("joiner", "expected"), [("eve", True), (None, False)])
def test_the_cross_functional_badge_and_filter(
    browser: Browser, personas: dict[str, Persona], run: Run, joiner: str | None, expected: bool
) -> None:
    idea_id = run(factories.idea(personas["ada"].id, title="Team idea"))
    if joiner:

        async def join() -> None:
            ada, other = (
                await factories.actor(personas["ada"].id),
                await factories.actor(personas[joiner].id),
            )
            request_id = await services.request_to_join(other, idea_id, "")
            await services.answer_request(ada, idea_id, request_id, accept=True)

        run(join())
    panel = run(queries.team_panel(idea_id, personas["ada"].id, identity_visible=True))
    assert panel["cross_functional"] is expected
    assert len(panel["departments"]) == (2 if expected else 1)
    browser.login(personas["dan"].email)
    assert ("Cross-functional" in browser.get(f"/ideas/{idea_id}").text) is expected


def test_looking_for_people_and_for_my_skills(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    wants_data = run(factories.idea(personas["ada"].id, title="Wants data"))
    wants_ux = run(factories.idea(personas["ada"].id, title="Wants design"))
    run(factories.idea(personas["ada"].id, title="Complete team"))

    async def setup() -> None:
        ada = await factories.actor(personas["ada"].id)
        await services.add_role_wanted(ada, wants_data, "data", "")
        await services.add_role_wanted(ada, wants_ux, "ux", "")
        bob = await factories.actor(personas["bob"].id)
        await accounts.update_profile(
            bob, accounts.ProfileChange("Bob Peer", "Opérations", "Data, lean", "", "en")
        )

    run(setup())
    browser.login(personas["bob"].email)
    people = text_of(browser.get("/ideas?looking=people").text)
    assert "Wants data" in people
    assert "Wants design" in people
    assert "Complete team" not in people
    mine = text_of(browser.get("/ideas?looking=my_skills", htmx=True).text)
    assert "Wants data" in mine
    assert "Wants design" not in mine
    home = text_of(browser.get("/").text)
    assert "“Wants data” needs your skill: data." in home


def test_matching_suggests_people_from_other_departments_by_skill(
    run: Run, personas: dict[str, Persona]
) -> None:
    idea_id = run(factories.idea(personas["ada"].id))

    async def setup() -> None:
        ada = await factories.actor(personas["ada"].id)
        await services.add_role_wanted(ada, idea_id, "ux", "")
        for key, department in (("bob", "Opérations"), ("eve", "Ventes"), ("dan", "Marketing")):
            person = await factories.actor(personas[key].id)
            await accounts.update_profile(
                person, accounts.ProfileChange(person.name, department, "UX", "", "en")
            )

    run(setup())
    panel = run(queries.team_panel(idea_id, personas["ada"].id, identity_visible=True))
    names = [person["name"] for person in panel["suggestions"]["ux"]]
    assert sorted(names) == ["Bob Peer", "Eve Outsider"]  # Dan is in the team's department


def test_a_blind_ideas_team_stays_hidden(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    idea_id = run(factories.idea(personas["ada"].id, blind=True))

    async def join() -> None:
        ada, bob = (
            await factories.actor(personas["ada"].id),
            await factories.actor(personas["bob"].id),
        )
        await services.answer_request(
            ada, idea_id, await services.request_to_join(bob, idea_id, ""), accept=True
        )

    run(join())
    browser.login(personas["eve"].email)
    page = browser.get(f"/ideas/{idea_id}").text
    for secret in ("Ada Author", "Bob Peer", "Marketing", "Opérations"):
        assert secret not in page
    assert "2 members — names hidden until the first gate." in text_of(page)
    browser.post("/logout")
    browser.login(personas["bob"].email)  # on the team: he knows his teammate
    assert "Ada Author" in browser.get(f"/ideas/{idea_id}").text


def test_profiles_list_what_people_work_on_and_post(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    run(factories.idea(personas["ada"].id, title="Public idea"))
    run(factories.idea(personas["ada"].id, title="Secret idea", blind=True))
    run(factories.challenge(personas["ada"].id, title="Ada's question"))
    browser.login(personas["bob"].email)
    page = browser.get(f"/people/{personas['ada'].id}").text
    assert "Public idea" in page
    assert "Secret idea" not in page
    assert "Ada&#39;s question" in page


def test_idea_and_people_pages_cost_the_same_queries_whatever_the_sizes(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    idea_id = run(factories.idea(personas["ada"].id))

    async def grow(start: int, count: int) -> None:
        ada = await factories.actor(personas["ada"].id)
        await services.add_role_wanted(ada, idea_id, f"skill{start}", "")
        for person_id in await factories.people(count, prefix=f"p{start}x"):
            person = await factories.actor(person_id)
            await accounts.update_profile(
                person,
                accounts.ProfileChange(person.name, f"D{person_id % 4}", f"skill{start}", "", "en"),
            )
            request_id = await services.request_to_join(person, idea_id, "")
            if person_id % 2:
                await services.answer_request(ada, idea_id, request_id, accept=True)

    browser.login(personas["ada"].email)
    paths = [
        f"/ideas/{idea_id}",
        "/people",
        "/people?q=skill",
        f"/people/{personas['ada'].id}",
        "/",
    ]
    run(grow(0, 2))
    small = {path: query_count(browser.get(path)) for path in paths}
    run(grow(1, 30))
    large = {path: query_count(browser.get(path)) for path in paths}
    assert large == small
    assert PASSWORD  # the grown people can sign in like anyone else
