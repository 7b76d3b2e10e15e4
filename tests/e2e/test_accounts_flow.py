"""Register, edit the profile, switch to French, sign out and in — as a person does it,
with JavaScript (htmx) and without."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import SCREENSHOTS


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_register_profile_french_and_sign_in_again(
    chromium: Browser, server_url: str, javascript: bool
) -> None:
    context = chromium.new_context(
        base_url=server_url,
        java_script_enabled=javascript,
        locale="en-GB",
        viewport={"width": 1280, "height": 900},
    )
    page = context.new_page()
    email = f"camille-{uuid.uuid4().hex[:6]}@example.com"
    suffix = "js" if javascript else "nojs"

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    page.get_by_role("link", name="Create an account").first.click()

    # A mistake first: the message appears beside the field and nothing is lost.
    page.get_by_label("Work email").fill(email)
    page.get_by_label("Your name").fill("Camille Durand")
    page.get_by_label("Department").fill("Service client")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create my account").click()
    expect(page.locator("#f-password-error")).to_contain_text("at least 8 characters")
    expect(page.get_by_label("Work email")).to_have_value(email)
    _shot(page, f"register-error-{suffix}")

    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Create my account").click()
    expect(page).to_have_url(re.compile(r"/profile$"))
    expect(page.get_by_role("status").first).to_contain_text("Welcome, Camille Durand")

    page.get_by_label("Skills").fill("relation client, réseaux sociaux")
    page.get_by_label("About you").fill("J'écoute nos clients.")
    page.get_by_role("button", name="Save my profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    expect(page.get_by_label("Skills")).to_have_value("relation client, réseaux sociaux")
    _shot(page, f"profile-{suffix}")

    page.get_by_label("Language", exact=True).first.select_option("fr")
    page.get_by_role("button", name="Save my profile").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", name="Votre profil")).to_be_visible()
    _shot(page, f"profile-fr-{suffix}")

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_label("E-mail professionnel").fill(email.upper())
    page.get_by_label("Mot de passe").fill("a long enough password")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Camille Durand")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    _shot(page, f"home-fr-{suffix}")
    context.close()


def test_the_directory_search_updates_in_place_with_htmx(
    chromium: Browser, server_url: str
) -> None:
    context = chromium.new_context(base_url=server_url, locale="en-GB")
    page = context.new_page()
    page.goto("/register")
    page.get_by_label("Work email").fill(f"hugo-{uuid.uuid4().hex[:6]}@example.com")
    page.get_by_label("Your name").fill("Hugo Moreau")
    page.get_by_label("Department").fill("Opérations")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Create my account").click()
    page.goto("/people")
    page.get_by_label("Search people").fill("opérations")
    expect(page).to_have_url(re.compile(r"/people\?q=op%C3%A9rations"))
    expect(page.locator("#results")).to_contain_text("Hugo Moreau")
    page.get_by_label("Search people").fill("zzzz-nobody")
    expect(page.locator("#results")).to_contain_text("Nobody matches this search")
    _shot(page, "people-empty-search")
    context.close()
