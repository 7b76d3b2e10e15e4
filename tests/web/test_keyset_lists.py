"""Lists that only grow (the audit log, an inbox) page by keyset like the idea board:
following Next gives what page numbers give, at the cost of page 1 however deep."""

from __future__ import annotations

import re
from html import unescape

from incubator.db.tables import AuditEvent
from incubator.notifications.tables import Notification
from tests.conftest import Browser, Persona, Run, query_count


def next_link(html: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" rel="next"', html)
    return unescape(found.group(1)) if found else None


def walk(browser: Browser, url: str, pattern: str) -> tuple[list[list[str]], list[int]]:
    """Every page's matches, following Next from the first page, and each page's cost."""
    pages, costs = [], []
    next_url: str | None = url
    while next_url is not None:
        response = browser.get(next_url)
        pages.append(re.findall(pattern, response.text))
        costs.append(query_count(response))
        next_url = next_link(response.text)
    return pages, costs


def test_the_audit_log_pages_by_keyset(
    run: Run, personas: dict[str, Persona], browser: Browser
) -> None:
    events = [
        AuditEvent(
            actor_id=personas["ida"].id, action="idea.proposed", subject_type="idea", subject_id=n
        )
        for n in range(1, 131)
    ]
    run(AuditEvent.insert(*events).run())
    browser.login(personas["cleo"].email)
    numbered = [
        re.findall(r"/ideas/(\d+)", browser.get(f"/admin/audit?action=idea.&page={n}").text)
        for n in (1, 2, 3)
    ]
    pages, costs = walk(browser, "/admin/audit?action=idea.", r"/ideas/(\d+)")
    assert pages == numbered
    assert [len(set(page)) for page in pages] == [50, 50, 30]
    assert "after=" in (next_link(browser.get("/admin/audit?action=idea.").text) or "")
    assert len(set(costs)) == 1


def test_the_inbox_pages_by_keyset(
    run: Run, personas: dict[str, Persona], browser: Browser
) -> None:
    bob = personas["bob"].id
    notes = [
        Notification(
            recipient=bob,
            kind="comment_posted",
            subject_type="idea",
            subject_id=n,
            data={"title": f"Idea {n:03d}", "author": "Ada"},
        )
        for n in range(1, 71)
    ]
    run(Notification.insert(*notes).run())
    browser.login(personas["bob"].email)
    pages, costs = walk(browser, "/notifications", r"Idea (\d{3})")
    seen = [title for page in pages for title in page]
    assert [len(set(page)) for page in pages] == [30, 30, 10]
    assert sorted(set(seen), reverse=True) == [f"{n:03d}" for n in range(70, 0, -1)]
    assert len(set(costs)) == 1
