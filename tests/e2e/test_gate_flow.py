"""A team submits its idea to the gate; three peers vote — one with the keyboard only —
and the idea moves to the next stage. With JavaScript (htmx) and without."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import SCREENSHOTS, register


def vote_with_the_mouse(page: Page) -> None:
    for criterion in ("Customer value", "Feasibility", "Strategic fit"):
        page.get_by_role("group", name=re.compile(criterion)).get_by_text("4", exact=True).click()
    page.get_by_text("It should move on").click()
    page.get_by_role("button", name="Cast my vote").click()


def vote_with_the_keyboard(page: Page) -> None:
    """Tab to each scale, arrows to move within it: no mouse."""
    page.locator("#f-score_customer_value input").first.focus()
    page.keyboard.press("Space")
    for _step in range(3):
        page.keyboard.press("ArrowRight")  # 1 → 4
    for _criterion in range(2):
        page.keyboard.press("Tab")
        page.keyboard.press("Space")
        for _step in range(3):
            page.keyboard.press("ArrowRight")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # the decision group: Go
    page.get_by_label("Why").focus()
    page.keyboard.type("Worth a pilot.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_three_peers_move_an_idea_to_the_next_stage(
    chromium: Browser, server_url: str, javascript: bool
) -> None:
    suffix = "js" if javascript else "nojs"
    contexts = [
        chromium.new_context(base_url=server_url, java_script_enabled=javascript, locale="en-GB")
        for _ in range(4)
    ]
    author, *peers = (context.new_page() for context in contexts)
    register(author, name="Ada Lovelace", department="Marketing")
    author.goto("/ideas/new")
    author.get_by_label("Title").fill(f"Repair café in every store ({suffix})")
    author.get_by_label("In a sentence or two").fill("Customers bring broken furniture; we fix it.")
    author.get_by_role("button", name="Post the idea").click()
    expect(author).to_have_url(re.compile(r"/ideas/\d+$"))
    idea_url = author.url
    author.get_by_role("button", name="Submit to the next gate").click()
    expect(author).to_have_url(re.compile(r"/gates/\d+$"))
    round_url = author.url
    expect(author.locator("#ballot")).to_contain_text("You are on this idea's team")

    for number, (page, department) in enumerate(
        zip(peers, ("Opérations", "Finance", "IT"), strict=True)
    ):
        register(page, name=f"Peer {number}", department=department)
        page.goto(round_url)
        if number == 2:
            vote_with_the_keyboard(page)
        else:
            vote_with_the_mouse(page)
        expect(page.locator("#ballot")).to_contain_text(
            "Your vote is in" if number < 2 else "Passed"
        )
    final = peers[2]
    final.goto(round_url)
    expect(final.locator("#ballot")).to_contain_text("Passed")
    expect(final.locator("#ballot")).to_contain_text("Worth a pilot.")
    final.screenshot(path=str(SCREENSHOTS / f"gate-decided-{suffix}.png"), full_page=True)
    author.goto(idea_url)
    expect(author.locator(".stage-timeline [aria-current=step]")).to_contain_text("Explore")
    for context in contexts:
        context.close()
