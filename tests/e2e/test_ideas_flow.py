"""Post a challenge, answer it with an idea, support and discuss it, form a team across
departments — in a real browser, with JavaScript (htmx) and without."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import SCREENSHOTS, register
from tests.e2e.test_accessibility import sign_in


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_challenge_idea_support_comment_and_team(
    chromium: Browser, server_url: str, javascript: bool
) -> None:
    suffix = "js" if javascript else "nojs"
    author_context = chromium.new_context(
        base_url=server_url, java_script_enabled=javascript, locale="en-GB"
    )
    ada = author_context.new_page()
    register(ada, name="Ada Lovelace", department="Marketing")

    ada.goto("/challenges/new")
    ada.get_by_label("Title").fill(f"How might stores cut returns? ({suffix})")
    ada.get_by_label("The problem").fill("Returns cost us **8 %** of sales.")
    ada.get_by_label("Where it comes from").select_option("customer")
    ada.get_by_role("button", name="Post the challenge").click()
    expect(ada).to_have_url(re.compile(r"/challenges/\d+$"))
    expect(ada.locator(".prose strong")).to_have_text("8 %")

    ada.get_by_role("button", name="Propose an idea").first.click()
    ada.get_by_label("Title").fill(f"Photo checklist at the till {suffix}")
    ada.get_by_label("In a sentence or two").fill("A photo of the item before it leaves.")
    ada.get_by_label("Tags (optional)").fill("returns, stores")
    ada.get_by_role("button", name="Post the idea").click()
    expect(ada).to_have_url(re.compile(r"/ideas/\d+$"))
    idea_url = ada.url
    ada.get_by_text("Add a role wanted").click()
    ada.locator("#f-skill").fill("logistics")
    ada.get_by_role("button", name="Add the role").click()
    expect(ada.locator("#team")).to_contain_text("logistics")

    peer_context = chromium.new_context(
        base_url=server_url, java_script_enabled=javascript, locale="en-GB"
    )
    bob = peer_context.new_page()
    register(bob, name="Bob Marley", department="Opérations")
    bob.goto(idea_url)
    bob.get_by_role("button", name="I want this").click()
    expect(bob.locator("#support .stat__value")).to_have_text("1")
    expect(bob.get_by_role("button", name="You support this")).to_be_visible()

    bob.get_by_label("Add a comment").fill("Could the photo go on the **receipt**?")
    bob.get_by_role("button", name="Post the comment").click()
    expect(bob.locator("#comments strong")).to_have_text("receipt")

    bob.get_by_label("The role you would take").select_option(label="logistics")
    bob.get_by_label("Why you would like to join").fill("I run the returns desk in Lyon.")
    bob.get_by_role("button", name="Ask to join").click()
    expect(bob.locator("#team")).to_contain_text("waiting for the team")
    bob.screenshot(path=str(SCREENSHOTS / f"idea-peer-{suffix}.png"), full_page=True)

    ada.goto("/")
    expect(ada.get_by_text("Bob Marley asks to join your team")).to_be_visible()
    ada.get_by_role("button", name="Answer").first.click()
    expect(ada.locator("#team")).to_contain_text("I run the returns desk in Lyon.")
    ada.get_by_role("button", name="Accept").click()
    team = ada.locator("#team")
    expect(team).to_contain_text("Bob Marley")
    expect(team).to_contain_text("Cross-functional")
    expect(team).to_contain_text("Filled")
    ada.screenshot(path=str(SCREENSHOTS / f"idea-team-{suffix}.png"), full_page=True)
    author_context.close()
    peer_context.close()


def test_similar_ideas_appear_while_typing(chromium: Browser, server_url: str) -> None:
    context = chromium.new_context(base_url=server_url, locale="en-GB")
    page = context.new_page()
    register(page, name="Grace Hopper", department="IT")
    page.goto("/ideas/new")
    page.get_by_label("Title").fill("Kiosk for self-service refunds")
    page.get_by_label("In a sentence or two").fill("Refunds without queueing.")
    page.get_by_role("button", name="Post the idea").click()
    page.goto("/ideas/new")
    page.get_by_label("Title").press_sequentially("refund kiosk", delay=20)
    expect(page.locator("#similar")).to_contain_text("Kiosk for self-service refunds")
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_steward_merges_a_duplicate_by_its_number(
    chromium: Browser, server_url: str, javascript: bool
) -> None:
    """Opening the merge form offers the ideas with similar titles (htmx); a wrong number
    is refused beside the field; the right one moves the page to the original."""
    suffix = "js" if javascript else "nojs"
    context = chromium.new_context(
        base_url=server_url, java_script_enabled=javascript, locale="en-GB"
    )
    page = context.new_page()
    sign_in(page, "ada@demo.example")  # a steward in the demo company
    ids = []
    for title in (f"Badge printer at reception {suffix}", f"A reception badge printer {suffix}"):
        page.goto("/ideas/new")
        page.get_by_label("Title").fill(title)
        page.get_by_label("In a sentence or two").fill("Visitors wait for a paper badge.")
        page.get_by_role("button", name="Post the idea").click()
        expect(page).to_have_url(re.compile(r"/ideas/\d+$"))
        ids.append(page.url.rsplit("/", 1)[1])
    original, duplicate = ids

    # The candidates load on the details' first toggle: htmx must be listening by then
    # (the URL changes before the page has loaded).
    page.wait_for_load_state("load")
    page.get_by_text("Merge into another idea (stewards)").click()
    if javascript:
        expect(page.locator("#merge-candidates")).to_contain_text(
            f"Badge printer at reception {suffix}"
        )
    number = page.get_by_label("Number of the idea this one duplicates")
    number.fill(duplicate)
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(page.locator("#f-into_id-error")).to_contain_text("Choose another idea")
    page.get_by_label("Number of the idea this one duplicates").fill(original)
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/ideas/{original}$"))
    expect(page.get_by_role("status").first).to_contain_text("The ideas are merged")
    context.close()


def test_an_open_page_shows_a_new_support_without_reloading(
    chromium: Browser, server_url: str
) -> None:
    author_context = chromium.new_context(base_url=server_url, locale="en-GB")
    author = author_context.new_page()
    register(author, name="Ada Byron", department="Marketing")
    author.goto("/ideas/new")
    author.get_by_label("Title").fill("Live counter")
    author.get_by_label("In a sentence or two").fill("Watch the count move.")
    author.get_by_role("button", name="Post the idea").click()
    expect(author.locator("#support .stat__value")).to_have_text("0")
    author.wait_for_timeout(500)  # the page's event stream is open
    peer_context = chromium.new_context(base_url=server_url, locale="en-GB")
    peer = peer_context.new_page()
    register(peer, name="Bob Dylan", department="Ventes")
    peer.goto(author.url)
    peer.get_by_role("button", name="I want this").click()
    expect(author.locator("#support .stat__value")).to_have_text("1", timeout=10_000)
    author_context.close()
    peer_context.close()
