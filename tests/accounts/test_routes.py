"""Account pages through real HTTP: register, sign in/out, sessions, profile, roles."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

import pytest

from incubator.accounts.tables import Person
from incubator.app import create_app
from incubator.db.tables import AuditEvent
from incubator.settings import get_settings
from tests.conftest import PASSWORD, Browser, Persona, Run, count_people, text_of

ADA = {"email": "ada@x.io", "name": "Ada", "password": PASSWORD, "department": "Marketing"}


def field_error(html: str, field: str) -> str:
    """The message shown beside a field (the element its input points to)."""
    marker = f'id="f-{field}-error"'
    assert marker in html, f"no error beside {field}"
    start = html.index(">", html.index(marker)) + 1
    return text_of(html[start : html.index("</p>", start)])


def test_register_then_signed_in(browser: Browser, run: Run) -> None:
    assert browser.get("/register").status_code == 200
    response = browser.post("/register", ADA)
    assert response.status_code == 303
    assert response.headers["location"] == "/profile"
    home = browser.get("/")
    assert home.status_code == 200
    assert "Hello, Ada" in text_of(home.text)
    assert run(count_people()) == 1


def test_register_with_htmx_gets_hx_redirect(browser: Browser) -> None:
    response = browser.post("/register", ADA, htmx=True)
    assert response.status_code == 200
    assert response.headers["hx-redirect"] == "/profile"


def test_registering_the_same_email_in_another_case_is_refused(
    browser: Browser, new_browser: Callable[..., Browser], run: Run
) -> None:
    assert browser.post("/register", ADA).status_code == 303
    other = new_browser()
    response = other.post("/register", {**ADA, "email": "Ada@x.io", "name": "Impostor"})
    assert response.status_code == 400
    assert "already uses this email" in field_error(response.text, "email")
    assert 'value="Ada@x.io"' in response.text  # what was typed is kept
    assert run(count_people()) == 1


def test_invalid_registration_shows_each_message_beside_its_field(
    browser: Browser, run: Run
) -> None:
    response = browser.post(
        "/register", {"email": "nope", "name": "", "password": "x", "department": ""}
    )
    assert response.status_code == 400
    assert "name@company.com" in field_error(response.text, "email")
    assert field_error(response.text, "name")
    assert field_error(response.text, "password")
    assert field_error(response.text, "department")
    assert 'aria-invalid="true"' in response.text
    assert run(count_people()) == 0


def test_post_without_csrf_token_is_refused_and_saves_nothing(browser: Browser, run: Run) -> None:
    browser.get("/register")
    response = browser.post("/register", ADA, csrf=False)
    assert response.status_code == 403
    assert run(count_people()) == 0


def test_post_with_a_forged_csrf_token_is_refused(browser: Browser, run: Run) -> None:
    browser.get("/register")
    response = browser.post("/register", {**ADA, "_csrf_token": "forged"}, csrf=False)
    assert response.status_code == 403
    assert run(count_people()) == 0


def test_csrf_token_in_the_htmx_header_is_accepted(browser: Browser, run: Run) -> None:
    token = browser.csrf_token()
    response = browser.post("/register", ADA, csrf=False, htmx=True, headers={"x-csrftoken": token})
    assert response.status_code == 200
    assert run(count_people()) == 1


def test_sign_in_rotates_the_session_id_and_sets_safe_cookies(
    browser: Browser, personas: dict[str, Persona]
) -> None:
    browser.client.cookies.set("incubator_session", "planted-by-an-attacker")
    response = browser.login(personas["ada"].email)
    cookie = next(
        header
        for header in response.headers.get_list("set-cookie")
        if header.startswith("incubator_session=")
    )
    session_id = cookie.split(";", 1)[0].split("=", 1)[1]
    assert session_id not in {"planted-by-an-attacker", "null"}
    # 32 random bytes, after the person's id (read with the session: see web/identities)
    assert re.fullmatch(rf"{personas['ada'].id}-[0-9a-f]{{64}}", session_id)
    lowered = cookie.lower()
    assert "httponly" in lowered
    assert "samesite=lax" in lowered
    assert "secure" not in lowered.replace("samesite", "")


def test_session_cookie_is_secure_when_the_base_url_is_https(
    new_browser: Callable[..., Browser], personas: dict[str, Persona]
) -> None:
    app = create_app(replace(get_settings(), base_url="https://incubator.example"))
    response = new_browser(app, "https://incubator.example").login(personas["ada"].email)
    cookie = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith("incubator_session=")
    )
    assert "; secure" in cookie.lower()
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_login_redirects_to_a_safe_next_page_only(
    browser: Browser, personas: dict[str, Persona]
) -> None:
    response = browser.post(
        "/login", {"email": personas["ada"].email, "password": PASSWORD, "next": "/people?q=x"}
    )
    assert response.headers["location"] == "/people?q=x"
    browser.post("/logout")
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = browser.post(
            "/login", {"email": personas["ada"].email, "password": PASSWORD, "next": evil}
        )
        assert response.headers["location"] == "/"
        browser.post("/logout")


def test_wrong_password_gives_one_message_for_both_fields(
    browser: Browser, personas: dict[str, Persona]
) -> None:
    wrong = browser.post("/login", {"email": personas["ada"].email, "password": "nope nope"})
    unknown = browser.post("/login", {"email": "nobody@example.com", "password": "nope nope"})
    assert wrong.status_code == unknown.status_code == 400
    assert "do not match an account" in text_of(wrong.text)
    assert text_of(wrong.text).replace(personas["ada"].email, "") == text_of(unknown.text).replace(
        "nobody@example.com", ""
    )


def test_the_sixth_failed_login_in_a_row_answers_429(
    browser: Browser, personas: dict[str, Persona]
) -> None:
    credentials = {"email": personas["ada"].email, "password": "wrong password"}
    statuses = [browser.post("/login", credentials).status_code for _attempt in range(6)]
    assert statuses == [400] * 5 + [429]
    locked = browser.post("/login", {**credentials, "password": PASSWORD})
    assert locked.status_code == 429  # even the right password waits
    assert "Too many failed attempts" in text_of(locked.text)
    assert int(locked.headers["retry-after"]) > 0


def test_logout_ends_the_session(browser: Browser, personas: dict[str, Persona]) -> None:
    browser.login(personas["ada"].email)
    assert browser.get("/").status_code == 200
    response = browser.post("/logout")
    assert response.status_code == 303
    assert browser.get("/").status_code == 303


def test_logout_destroys_the_server_side_session(
    browser: Browser, new_browser: Callable[..., Browser], personas: dict[str, Persona]
) -> None:
    browser.login(personas["ada"].email)
    stolen = browser.client.cookies["incubator_session"]
    browser.post("/logout")
    thief = new_browser()
    thief.client.cookies.set("incubator_session", stolen)
    assert thief.get("/").status_code == 303


@pytest.mark.parametrize("path", ["/", "/profile", "/people", "/people/1", "/admin/people"])
def test_pages_send_anonymous_visitors_to_sign_in(browser: Browser, path: str) -> None:
    response = browser.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=" + path


def test_htmx_requests_of_anonymous_visitors_get_hx_redirect(browser: Browser) -> None:
    response = browser.get("/people?q=a", htmx=True)
    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/login?next=/people%3Fq%3Da"


def test_profile_edit_saves_and_shows_the_values(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    browser.login(personas["ada"].email)
    response = browser.post(
        "/profile",
        {
            "name": "Ada L.",
            "department": "R&D",
            "skills": "python, data",
            "bio": "Hi <b>there</b>",
            "locale": "en",
        },
    )
    assert response.status_code == 303
    page = browser.get("/profile").text
    assert 'value="Ada L."' in page
    assert 'value="data, python"' in page
    assert "Your profile is saved." in page
    public = browser.get(f"/people/{personas['ada'].id}").text
    assert "Hi &lt;b&gt;there&lt;/b&gt;" in public


def test_invalid_profile_answers_400_with_the_message_and_saves_nothing(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    browser.login(personas["ada"].email)
    response = browser.post(
        "/profile", {"name": "", "department": "IT", "skills": "", "bio": "", "locale": "en"}
    )
    assert response.status_code == 400
    assert field_error(response.text, "name")
    name = run(Person.select(Person.name).where(Person.id == personas["ada"].id).first().run())
    assert name == {"name": "Ada Author"}


def test_switching_to_french_in_the_profile(browser: Browser, personas: dict[str, Persona]) -> None:
    browser.login(personas["ada"].email)
    browser.post(
        "/profile",
        {"name": "Ada", "department": "Marketing", "skills": "", "bio": "", "locale": "fr"},
    )
    page = browser.get("/profile", headers={"Accept-Language": "en"})
    assert '<html lang="fr">' in page.text
    assert "Votre profil" in page.text


def test_anonymous_language_switch_is_remembered(browser: Browser) -> None:
    assert "Sign in to Incubator" in browser.get("/login").text
    response = browser.post("/locale", {"locale": "fr", "next": "/login"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert '<html lang="fr">' in browser.get("/login").text


def test_accept_language_picks_french(browser: Browser) -> None:
    page = browser.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert '<html lang="fr">' in page.text
    assert "Se connecter" in page.text


def test_people_directory_searches_and_answers_htmx_with_the_results_only(
    browser: Browser, personas: dict[str, Persona]
) -> None:
    browser.login(personas["ada"].email)
    full = browser.get("/people?q=finance")
    assert "<html" in full.text
    assert "Cleo Steward" in full.text
    assert "Bob Peer" not in full.text
    fragment = browser.get("/people?q=finance", htmx=True)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'id="results"' in fragment.text
    assert "Cleo Steward" in fragment.text
    assert "HX-Request" in full.headers["vary"]


def test_a_missing_person_is_404(browser: Browser, personas: dict[str, Persona]) -> None:
    browser.login(personas["ada"].email)
    response = browser.get("/people/999999")
    assert response.status_code == 404
    assert "Page not found" in response.text


def test_a_member_cannot_change_roles(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    browser.login(personas["ada"].email)
    before = run(AuditEvent.count().run())
    response = browser.post(f"/admin/people/{personas['bob'].id}/roles", [("roles", "admin")])
    assert response.status_code == 403
    roles = run(Person.select(Person.roles).where(Person.id == personas["bob"].id).first().run())
    assert roles == {"roles": []}
    assert run(AuditEvent.count().run()) == before
    assert browser.get("/admin/people").status_code == 403


@pytest.mark.parametrize("persona", ["cleo", "dan"])
def test_stewards_and_leaders_cannot_change_roles_either(
    browser: Browser, personas: dict[str, Persona], persona: str
) -> None:
    browser.login(personas[persona].email)
    response = browser.post(f"/admin/people/{personas['bob'].id}/roles", [("roles", "admin")])
    assert response.status_code == 403


def test_an_admin_changes_roles_and_it_is_audited(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    browser.login(personas["ida"].email)
    response = browser.post(
        f"/admin/people/{personas['bob'].id}/roles", [("roles", "steward"), ("roles", "leadership")]
    )
    assert response.status_code == 303
    roles = run(Person.select(Person.roles).where(Person.id == personas["bob"].id).first().run())
    assert sorted(roles["roles"]) == ["leadership", "steward"]
    events = run(
        AuditEvent.select(AuditEvent.actor_id)
        .where(
            (AuditEvent.action == "person.roles_changed")
            & (AuditEvent.subject_id == personas["bob"].id)
        )
        .run()
    )
    assert events == [{"actor_id": personas["ida"].id}]
    assert browser.get("/admin/people").status_code == 200


def test_an_admin_gets_a_message_when_demoting_the_last_admin(
    browser: Browser, personas: dict[str, Persona]
) -> None:
    browser.login(personas["ida"].email)
    response = browser.post(f"/admin/people/{personas['ida'].id}/roles", [("roles", "steward")])
    assert response.status_code == 400
    assert "at least one administrator" in text_of(response.text)


def test_anonymous_role_change_is_redirected(
    browser: Browser, personas: dict[str, Persona]
) -> None:
    response = browser.post(f"/admin/people/{personas['bob'].id}/roles", [("roles", "admin")])
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_signing_out_keeps_the_language(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    browser.login(personas["ada"].email)
    browser.post(
        "/profile",
        {"name": "Ada", "department": "Marketing", "skills": "", "bio": "", "locale": "fr"},
    )
    before = browser.client.cookies["incubator_session"]
    browser.post("/logout")
    assert browser.client.cookies["incubator_session"] != before
    page = browser.get("/login", headers={"Accept-Language": "en"})
    assert '<html lang="fr">' in page.text
    assert browser.get("/").status_code == 303
