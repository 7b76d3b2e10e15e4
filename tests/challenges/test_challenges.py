"""Challenges: anyone posts one; its author or a steward looks after it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from incubator.challenges import services
from incubator.challenges.tables import Challenge
from incubator.db.tables import AuditEvent
from tests import factories
from tests.accounts.test_routes import field_error
from tests.conftest import Browser, Persona, Run, text_of

CHALLENGE = {
    "title": "How might customer service market our products?",
    "problem": "Our advisers talk to **10,000** customers a day.",
    "source": "customer",
    "closes_on": "",
    "tags": "customer service, marketing",
}


def test_any_member_posts_a_challenge(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    browser.login(personas["eve"].email)
    assert browser.get("/challenges/new").status_code == 200
    response = browser.post("/challenges/new", CHALLENGE)
    assert response.status_code == 303
    challenge_id = run(Challenge.select(Challenge.id).first().run())["id"]
    assert response.headers["location"] == f"/challenges/{challenge_id}"
    page = browser.get(f"/challenges/{challenge_id}").text
    assert "<strong>10,000</strong>" in page
    assert "Propose an idea" in page
    assert "customer service" in page


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("title", {"title": ""}),
        ("title", {"title": "t" * 121}),
        ("problem", {"problem": ""}),
        ("source", {"source": "gossip"}),
        ("closes_on", {"closes_on": "31/12/2030"}),
        ("closes_on", {"closes_on": (date.today() - timedelta(days=2)).isoformat()}),
    ],
)
def test_bad_challenges_are_refused_beside_the_field(
    browser: Browser, personas: dict[str, Persona], run: Run, field: str, changes: dict[str, str]
) -> None:
    browser.login(personas["eve"].email)
    response = browser.post("/challenges/new", {**CHALLENGE, **changes})
    assert response.status_code == 400
    assert field_error(response.text, field)
    assert run(Challenge.count().run()) == 0


def test_only_the_author_or_a_steward_edits_and_closes(
    browser: Browser, new_browser: Callable[..., Browser], personas: dict[str, Persona], run: Run
) -> None:
    challenge_id = run(factories.challenge(personas["ada"].id))
    browser.login(personas["eve"].email)
    assert browser.get(f"/challenges/{challenge_id}/edit").status_code == 403
    assert browser.post(f"/challenges/{challenge_id}/edit", CHALLENGE).status_code == 403
    assert (
        browser.post(f"/challenges/{challenge_id}/status", {"status": "closed"}).status_code == 403
    )
    assert run(Challenge.select(Challenge.status).first().run()) == {"status": "open"}
    ada = new_browser()
    ada.login(personas["ada"].email)
    assert ada.post(f"/challenges/{challenge_id}/edit", CHALLENGE).status_code == 303
    assert ada.post(f"/challenges/{challenge_id}/status", {"status": "closed"}).status_code == 303
    assert ada.post(f"/challenges/{challenge_id}/status", {"status": "archived"}).status_code == 403
    cleo = new_browser()
    cleo.login(personas["cleo"].email)
    assert (
        cleo.post(f"/challenges/{challenge_id}/status", {"status": "archived"}).status_code == 303
    )
    events = run(
        AuditEvent.select(AuditEvent.data)
        .where(AuditEvent.action == "challenge.status_changed")
        .run()
    )
    assert len(events) == 2


def test_a_closed_challenge_takes_no_new_ideas(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    challenge_id = run(factories.challenge(personas["ada"].id))
    browser.login(personas["ada"].email)
    browser.post(f"/challenges/{challenge_id}/status", {"status": "closed"})
    page = browser.get(f"/challenges/{challenge_id}").text
    assert f"/ideas/new?challenge_id={challenge_id}" not in page
    response = browser.post(
        "/ideas/new", {"title": "Late", "summary": "Too late", "challenge_id": str(challenge_id)}
    )
    assert response.status_code == 400
    assert "closed" in field_error(response.text, "challenge_id")


def test_the_list_puts_open_challenges_first_and_filters(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    closed = run(factories.challenge(personas["ada"].id, title="Old question", source="internal"))
    run(factories.challenge(personas["ada"].id, title="Customer question", source="customer"))
    ada = run(factories.actor(personas["ada"].id))
    run(services.change_status(ada, closed, "closed"))
    browser.login(personas["bob"].email)
    page = text_of(browser.get("/challenges").text)
    assert page.index("Customer question") < page.index("Old question")
    filtered = browser.get("/challenges?source=customer", htmx=True)
    assert "<html" not in filtered.text
    assert "Customer question" in filtered.text
    assert "Old question" not in filtered.text
    assert "Old question" not in browser.get("/challenges?status=open").text


def test_comments_and_follows_on_a_challenge(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    challenge_id = run(factories.challenge(personas["ada"].id))
    browser.login(personas["bob"].email)
    follow = browser.post(f"/challenges/{challenge_id}/follow", htmx=True)
    assert 'aria-pressed="true"' in follow.text
    assert "<html" not in follow.text
    comment = browser.post(
        f"/challenges/{challenge_id}/comments", {"body": "Good question"}, htmx=True
    )
    assert "Good question" in comment.text
    assert browser.post("/challenges/999/comments", {"body": "x"}).status_code == 404


def test_a_closing_date_shows_on_every_page_that_lists_the_challenge(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    closes = date.today() + timedelta(days=30)
    challenge_id = run(factories.challenge(personas["ada"].id, closes_on=closes.isoformat()))
    browser.login(personas["bob"].email)
    for path in ("/", "/challenges", f"/challenges/{challenge_id}"):
        response = browser.get(path)
        assert response.status_code == 200, path
        assert str(closes.year) in response.text
