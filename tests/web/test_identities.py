"""Who is signed in, kept by the worker between requests (incubator/web/identities.py):
read once, then kept until a change to what it says (roles, name, language, unread
notifications) gives the person a new version. Two workers: tests/scale."""

from __future__ import annotations

from incubator.accounts import services as accounts
from incubator.notifications import delivery
from incubator.notifications import services as notifications
from tests import factories
from tests.conftest import Browser, Persona, Run, query_count

NOTE = {"title": "Kiosk in every store", "author": "Ada"}


def test_later_pages_keep_who_is_signed_in(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    browser.login(personas["bob"].email)  # and lands on the home page, where bob is read
    kept = query_count(browser.get("/people"))
    assert query_count(browser.get("/people")) == kept
    # A new version (any change to bob) reads him again, once.
    run(accounts.set_locale(personas["bob"].id, "en"))
    assert query_count(browser.get("/people")) == kept + 1
    assert query_count(browser.get("/people")) == kept


def test_a_role_given_holds_on_the_next_request(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    browser.login(personas["bob"].email)
    assert browser.get("/admin/people").status_code == 403
    assert browser.get("/admin/people").status_code == 403  # kept, without the role
    admin = run(factories.actor(personas["ida"].id))
    run(accounts.set_roles(admin, personas["bob"].id, ["admin"]))
    assert browser.get("/admin/people").status_code == 200
    run(accounts.set_roles(admin, personas["bob"].id, []))
    assert browser.get("/admin/people").status_code == 403


def test_the_badge_counts_a_notification_on_the_next_page(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    bob = personas["bob"].id
    browser.login(personas["bob"].email)
    assert "unread-count" not in browser.get("/people").text
    run(delivery.deliver({bob}, "comment_posted", "idea", 1, NOTE))
    assert 'aria-label="1 unread">1</span>' in browser.get("/people").text
    run(notifications.mark_all_read(bob))
    assert "unread-count" not in browser.get("/people").text


def test_a_new_name_shows_on_the_next_page(browser: Browser, personas: dict[str, Persona]) -> None:
    browser.login(personas["bob"].email)
    assert personas["bob"].name in browser.get("/people").text
    changed = browser.post(
        "/profile",
        {"name": "Robert Renamed", "department": personas["bob"].department, "locale": "en"},
    )
    assert changed.status_code == 303, changed.text
    assert "<span>Robert Renamed</span>" in browser.get("/people").text


def test_a_session_id_edited_to_name_someone_else_signs_in_no_one(
    browser: Browser, personas: dict[str, Persona]
) -> None:
    browser.login(personas["bob"].email)
    session = str(browser.client.cookies["incubator_session"])
    bob, ada = personas["bob"].id, personas["ada"].id
    assert session.startswith(f"{bob}-")
    browser.client.cookies.set("incubator_session", f"{ada}-" + session.split("-", 1)[1])
    answer = browser.get("/people")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")


def test_a_session_from_before_versions_still_signs_in(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    """Sessions made before ids named their person (a plain token) read the identity
    afresh on every request, and keep working."""
    browser.login(personas["bob"].email)
    session = str(browser.client.cookies["incubator_session"])
    store = browser.client.app.stores.get("sessions")
    plain = session.split("-", 1)[1]
    run(store.set(plain, run(store.get(session))))
    browser.client.cookies.set("incubator_session", plain)
    first = browser.get("/people")
    assert first.status_code == 200
    assert query_count(browser.get("/people")) == query_count(first)
