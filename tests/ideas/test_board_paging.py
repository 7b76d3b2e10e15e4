"""The board pages by keyset ("Next" carries the last row's sort key), counts no further
than a cap, and shows comment counts kept in the idea row."""

from __future__ import annotations

import re
import time
from html import unescape
from urllib.parse import quote

import pytest

from incubator.db.engines import recording_queries
from incubator.db.pagination import COUNT_CAP, LongLists, capped_count
from incubator.discussion import services as discussion
from incubator.ideas import queries, search, services
from incubator.ideas.tables import Idea, Support
from tests import factories
from tests.conftest import Browser, Persona, Run, query_count, text_of


async def bulk_ideas(author_id: int, count: int, *, supports: bool = False) -> list[int]:
    """Many ideas in one statement (the services would index and audit each one)."""
    rows = [
        Idea(
            title=f"Idea number {index:04d}",
            summary="Bulk",
            author=author_id,
            support_count=(index * 7) % 5 if supports else 0,
        )
        for index in range(count)
    ]
    inserted = await Idea.insert(*rows).returning(Idea.id).run()
    return [int(row["id"]) for row in inserted]


def card_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'href="/ideas/(\d+)"', html)]


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}"', html)
    return unescape(found.group(1)) if found else None


@pytest.mark.parametrize("sort", ["newest", "supported", "stage"])
def test_next_and_previous_walk_the_same_pages_as_page_numbers(
    run: Run, personas: dict[str, Persona], browser: Browser, sort: str
) -> None:
    run(bulk_ideas(personas["ada"].id, 55, supports=True))
    browser.login(personas["bob"].email)
    by_number = [
        card_ids(browser.get(f"/ideas?sort={sort}&page={page}").text) for page in (1, 2, 3)
    ]
    assert [len(ids) for ids in by_number] == [20, 20, 15]

    first = browser.get(f"/ideas?sort={sort}").text
    second_url = link(first, "next")
    assert second_url is not None
    assert "after=" in second_url
    assert "page=2" in second_url
    second = browser.get(second_url).text
    third_url = link(second, "next")
    assert third_url is not None
    third = browser.get(third_url).text
    assert [card_ids(first), card_ids(second), card_ids(third)] == by_number
    assert link(third, "next") is None

    back_url = link(third, "prev")
    assert back_url is not None
    assert "before=" in back_url
    assert card_ids(browser.get(back_url).text) == by_number[1]
    # Back to page 1 drops the cursor: the first page always shows the newest.
    assert link(second, "prev") == f"/ideas?q=&sort={sort}&stage=&looking=&tag=&page=1"


def test_a_deep_keyset_page_costs_the_queries_of_the_first(
    run: Run, personas: dict[str, Persona], browser: Browser
) -> None:
    ids = run(bulk_ideas(personas["ada"].id, 60))
    browser.login(personas["bob"].email)
    first = browser.get("/ideas")
    deep = browser.get(f"/ideas?page=3&after={sorted(ids)[25]}")
    assert card_ids(deep.text) == sorted(ids, reverse=True)[-25:][:20]
    assert query_count(deep) == query_count(first)


def test_a_garbled_cursor_falls_back_to_the_page_number(
    run: Run, personas: dict[str, Persona], browser: Browser
) -> None:
    ids = run(bulk_ideas(personas["ada"].id, 25))
    browser.login(personas["bob"].email)
    for garbled in ("1;DROP TABLE idea", "²", "99999999999", "1.2"):
        response = browser.get(f"/ideas?page=2&after={quote(garbled)}")
        assert response.status_code == 200, garbled
        assert card_ids(response.text) == sorted(ids, reverse=True)[20:]
    for path in ("/ideas?after=²&before=²", "/notifications?after=²", "/api/v1/ideas?after=²"):
        assert browser.get(path).status_code == 200, path


def test_the_total_stops_counting_at_the_cap(
    run: Run, personas: dict[str, Persona], browser: Browser
) -> None:
    run(bulk_ideas(personas["ada"].id, COUNT_CAP + 5))
    browser.login(personas["bob"].email)
    page = browser.get("/ideas").text
    assert f"More than {COUNT_CAP} ideas" in text_of(page)
    assert link(page, "next") is not None
    # The last page is unknown, so no page number past the current one is offered.
    assert 'aria-label="Page 51"' not in page
    api = browser.get("/api/v1/ideas").json()
    assert (api["total"], api["total_capped"]) == (COUNT_CAP, True)
    assert api["next_after"] == str(sorted(card_ids(page))[0])


@pytest.mark.parametrize(
    ("ideas", "expected"),
    [
        (COUNT_CAP - 1, (COUNT_CAP - 1, False)),
        (COUNT_CAP, (COUNT_CAP, False)),
        (COUNT_CAP + 1, (COUNT_CAP, True)),
    ],
)
def test_the_count_is_exact_up_to_the_cap_and_capped_past_it(
    run: Run, personas: dict[str, Persona], ideas: int, expected: tuple[int, bool]
) -> None:
    """The count probes for a row past the cap before counting: either way, the same
    answer at the edge."""
    run(bulk_ideas(personas["ada"].id, ideas - run(Idea.count().run())))
    assert run(capped_count(Idea.select(Idea.id))) == expected
    board = run(queries.idea_board(personas["bob"].id, queries.BoardFilters()))
    assert (board.total, board.total_capped) == expected
    assert len(board.items) == 20


def test_a_list_found_past_the_cap_is_not_probed_again_for_a_while(
    run: Run, personas: dict[str, Persona]
) -> None:
    """Past the cap the page only says "more than 1,000": that verdict is reused for a
    while instead of walking 1,001 rows on every page. A list within the cap is counted
    every time, and the verdict runs out."""
    lists = LongLists(seconds=60)
    before = run(Idea.count().run())
    ids = run(bulk_ideas(personas["ada"].id, COUNT_CAP + 1))
    unmerged = Idea.select(Idea.id).where(Idea.merged_into.is_null())
    few = Idea.select(Idea.id).where((Idea.id >= ids[0]) & (Idea.id < ids[10]))

    with recording_queries() as first:
        assert run(capped_count(unmerged, lists)) == (COUNT_CAP, True)
        assert run(capped_count(few, lists)) == (10, False)
    assert all("EXISTS" in sql for sql in first)

    run(Idea.delete().where(Idea.id.is_in(ids[:5])).run())  # the list drops under the cap…
    run(Idea.delete().where(Idea.id == ids[5]).run())  # …and the short one changes too
    with recording_queries() as again:
        assert run(capped_count(unmerged, lists)) == (COUNT_CAP, True)  # as seen 60 s ago
        assert run(capped_count(few, lists)) == (4, False)  # counted again
    assert ["EXISTS" in sql for sql in again] == [False, True]

    expired = LongLists(seconds=0.05)
    more = run(bulk_ideas(personas["ada"].id, 7))  # back past the cap
    assert run(capped_count(unmerged, expired)) == (COUNT_CAP, True)
    run(Idea.delete().where(Idea.id.is_in(more)).run())
    time.sleep(0.1)
    assert run(capped_count(unmerged, expired)) == (before + COUNT_CAP - 5, False)


def test_comment_counts_live_in_the_idea_row(run: Run, personas: dict[str, Persona]) -> None:
    idea_id = run(factories.idea(personas["ada"].id))
    other = run(factories.idea(personas["ada"].id, title="A duplicate"))
    bob = run(factories.actor(personas["bob"].id))
    cleo = run(factories.actor(personas["cleo"].id))

    def count(of: int) -> int:
        row = run(Idea.select(Idea.comment_count).where(Idea.id == of).first().run())
        assert row is not None
        return int(row["comment_count"])

    first = run(discussion.add_comment(bob, "idea", idea_id, "Yes please"))
    run(discussion.add_comment(bob, "idea", idea_id, "A reply", parent_id=first))
    run(discussion.add_comment(bob, "idea", other, "Same as the other one"))
    assert (count(idea_id), count(other)) == (2, 1)

    run(discussion.delete_comment(cleo, first))
    assert count(idea_id) == 1

    run(services.merge_ideas(cleo, other, idea_id))
    assert (count(idea_id), count(other)) == (2, 0)


def test_a_common_word_ranks_among_the_newest_candidates_only(
    run: Run, personas: dict[str, Persona]
) -> None:
    """A word found in most ideas costs what a rare one costs: the ranking looks at the
    newest CANDIDATES matches and the count says "more than"."""
    ids = run(bulk_ideas(personas["ada"].id, search.CANDIDATES + 30))

    async def index_all() -> None:
        for idea_id in ids:
            await search.index_idea(idea_id, title="Kiosk refunds", summary="", body="")

    run(index_all())
    found, total, capped = run(search.matching_ids("kiosk", limit=10))
    assert (total, capped) == (search.CANDIDATES, True)
    assert min(found) > sorted(ids)[29]  # the oldest thirty were never candidates


def test_cards_show_the_viewers_supports_and_tags_however_many_they_have_made(
    run: Run, personas: dict[str, Persona]
) -> None:
    """Each card says whether the viewer supports it, the viewer having supported many
    other ideas (the lookup goes idea by idea, not through all of their supports)."""
    author, viewer = personas["ada"].id, personas["bob"].id

    async def scenario() -> tuple[list[int], list[dict[str, object]]]:
        older = await bulk_ideas(author, 300)
        await Support.insert(*(Support(person=viewer, idea=idea) for idea in older)).run()
        shown = [
            await factories.idea(author, title=f"Shown {n}", tags=f"refunds, shown{n}")
            for n in range(4)
        ]
        for idea in shown[:2]:
            await services.toggle_support(await factories.actor(viewer), idea)
        page = await queries.idea_board(viewer, queries.BoardFilters(), per_page=4)
        return shown, page.items

    shown, cards = run(scenario())
    by_id = {card["id"]: card for card in cards}
    assert set(by_id) == set(shown)
    assert [by_id[idea]["supported"] for idea in shown] == [True, True, False, False]
    assert [sorted(by_id[idea]["tags"]) for idea in shown] == [
        ["refunds", f"shown{n}"] for n in range(4)
    ]
