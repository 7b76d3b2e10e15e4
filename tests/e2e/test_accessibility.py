"""axe-core on every main page, in English and in French, desktop and mobile: no serious
or critical violation. Screenshots of each land in tests/e2e/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize

from incubator.demo import DEMO_PASSWORD
from tests.e2e.conftest import SCREENSHOTS

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
VIEWPORTS: dict[str, ViewportSize] = {
    "desktop": {"width": 1280, "height": 900},
    "mobile": {"width": 375, "height": 812},
}


def audit(page: Page) -> list[dict[str, Any]]:
    page.evaluate(AXE)
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.locator("#f-email").fill(email)
    page.locator("#f-password").fill(DEMO_PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/$"))


def first_link(page: Page, pattern: str) -> str:
    href = page.locator(f"a[href^='{pattern}']").first.get_attribute("href")
    assert href
    return href


@pytest.mark.parametrize("viewport", ["desktop", "mobile"])
@pytest.mark.parametrize(("locale", "person"), [("en", "ada"), ("fr", "camille")])
def test_main_pages_have_no_serious_accessibility_violations(
    chromium: Browser, server_url: str, locale: str, person: str, viewport: str
) -> None:
    context = chromium.new_context(
        base_url=server_url, locale=f"{locale}-{locale.upper()}", viewport=VIEWPORTS[viewport]
    )
    page = context.new_page()
    failures: dict[str, list[dict[str, Any]]] = {}

    def check(name: str, path: str) -> None:
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == locale, path
        if violations := audit(page):
            failures[name] = violations
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{locale}-{viewport}.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= VIEWPORTS[viewport]["width"] + 1, f"{path} scrolls sideways at {width}px"

    check("login", "/login")
    check("register", "/register")
    sign_in(page, f"{person}@demo.example")
    check("home", "/")
    check("ideas", "/ideas")
    check("idea", first_link(page, "/ideas/"))
    page.goto("/challenges")
    check("challenge", first_link(page, "/challenges/"))
    page.goto("/gates")
    check("gate", first_link(page, "/gates/"))
    check("pipeline", "/pipeline")
    check("people", "/people")
    check("profile", "/profile")
    context.close()
    assert not failures, failures
