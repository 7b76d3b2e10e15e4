"""The customer's voice: logged, echoed once per person, linked as evidence."""

from __future__ import annotations

import asyncio

import pytest

from incubator.insights import services
from incubator.insights.tables import Insight, InsightLink, InsightSeen
from tests import factories
from tests.accounts.test_routes import field_error
from tests.conftest import Browser, Persona, Run, query_count, text_of

QUOTE = {
    "quote": "Vos conseillers m'ont rappelé le lendemain : bluffant !",
    "channel": "phone",
    "segment": "Familles",
    "sentiment": "praise",
}


async def logged(person_id: int, **fields: str) -> int:
    draft = services.InsightDraft(**{**QUOTE, **fields})
    return await services.log_insight(await factories.actor(person_id), draft)


def test_anyone_logs_what_a_customer_said(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    browser.login(personas["eve"].email)
    response = browser.post("/insights/new", QUOTE)
    assert response.status_code == 303
    page = browser.get(response.headers["location"]).text
    assert "bluffant" in page
    assert "Familles" in page


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("quote", {"quote": ""}),
        ("quote", {"quote": "q" * 2001}),
        ("channel", {"channel": "pigeon"}),
        ("sentiment", {"sentiment": "meh"}),
        ("segment", {"segment": "s" * 81}),
    ],
)
def test_bad_insights_are_refused_beside_the_field(
    browser: Browser, personas: dict[str, Persona], run: Run, field: str, changes: dict[str, str]
) -> None:
    browser.login(personas["eve"].email)
    response = browser.post("/insights/new", {**QUOTE, **changes})
    assert response.status_code == 400
    assert field_error(response.text, field)
    assert run(Insight.count().run()) == 0


def test_seen_it_too_toggles_in_place(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    insight_id = run(logged(personas["eve"].id))
    browser.login(personas["bob"].email)
    fragment = browser.post(f"/insights/{insight_id}/seen", htmx=True)
    assert "<html" not in fragment.text
    assert "1 person heard it too" in text_of(fragment.text)
    assert browser.post(f"/insights/{insight_id}/seen").status_code == 303
    assert run(Insight.select(Insight.seen_count).first().run()) == {"seen_count": 0}


def test_seen_it_too_is_unique_per_person_under_concurrency(
    run: Run, personas: dict[str, Persona]
) -> None:
    insight_id = run(logged(personas["eve"].id))

    async def crowd() -> None:
        people = [await factories.actor(p) for p in await factories.people(20)]
        await asyncio.gather(*(services.toggle_seen(person, insight_id) for person in people))

    run(crowd())
    assert run(InsightSeen.count().run()) == 20
    assert run(Insight.select(Insight.seen_count).first().run()) == {"seen_count": 20}


def test_insights_show_as_evidence_on_challenges_and_ideas(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    insight_id = run(logged(personas["eve"].id))
    challenge_id = run(factories.challenge(personas["ada"].id))
    idea_id = run(factories.idea(personas["ada"].id))
    browser.login(personas["bob"].email)
    assert (
        browser.post(
            f"/insights/{insight_id}/links", {"challenge_id": str(challenge_id)}
        ).status_code
        == 303
    )
    assert (
        browser.post(f"/insights/{insight_id}/links", {"idea_id": f"#{idea_id}"}).status_code == 303
    )
    assert (
        browser.post(f"/insights/{insight_id}/links", {"idea_id": str(idea_id)}).status_code == 303
    )  # once
    assert run(InsightLink.count().run()) == 2
    for path in (f"/challenges/{challenge_id}", f"/ideas/{idea_id}"):
        assert "bluffant" in browser.get(path).text
    refused = browser.post(f"/insights/{insight_id}/links", {"idea_id": "99999"})
    assert refused.status_code == 400
    assert field_error(refused.text, "challenge_id")


def test_a_cluster_of_insights_becomes_a_challenge(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    first = run(logged(personas["eve"].id))
    second = run(
        logged(
            personas["bob"].id, quote="Deux semaines pour un remboursement !", sentiment="complaint"
        )
    )
    browser.login(personas["cleo"].email)
    form = browser.get(f"/challenges/new?insights={first}&insights={second}").text
    assert "&gt; Deux semaines pour un remboursement !" in form
    assert f'value="{first},{second}"' in form
    created = browser.post(
        "/challenges/new",
        {
            "title": "How might we refund faster?",
            "problem": "> Deux semaines…",
            "source": "customer",
            "insight_ids": f"{first},{second}",
        },
    )
    assert created.status_code == 303
    assert run(InsightLink.count().where(InsightLink.subject_type == "challenge").run()) == 2


def test_the_list_filters_and_answers_htmx(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    run(logged(personas["eve"].id))
    run(
        logged(
            personas["eve"].id,
            quote="The app crashes at checkout",
            channel="social",
            sentiment="complaint",
        )
    )
    browser.login(personas["bob"].email)
    complaints = browser.get("/insights?sentiment=complaint", htmx=True).text
    assert "<html" not in complaints
    assert "crashes" in complaints
    assert "bluffant" not in complaints
    assert "bluffant" in browser.get("/insights?q=BLUFFANT").text
    browser.post(
        "/profile",
        {"name": "Bob Peer", "department": "Opérations", "skills": "", "bio": "", "locale": "fr"},
    )
    french = text_of(browser.get("/insights").text)
    assert "Voix du client" in french
    assert "2 retours clients" in french


def test_insight_pages_cost_the_same_queries_whatever_the_data(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    idea_id = run(factories.idea(personas["ada"].id))
    browser.login(personas["bob"].email)

    async def more(count: int) -> None:
        bob = await factories.actor(personas["bob"].id)
        for number in range(count):
            insight_id = await logged(personas["eve"].id, quote=f"Quote {number}")
            await services.link_insight(bob, insight_id, "idea", idea_id)
            await services.toggle_seen(bob, insight_id)

    run(more(1))
    small = (query_count(browser.get("/insights")), query_count(browser.get(f"/ideas/{idea_id}")))
    run(more(30))
    assert (
        query_count(browser.get("/insights")),
        query_count(browser.get(f"/ideas/{idea_id}")),
    ) == small
