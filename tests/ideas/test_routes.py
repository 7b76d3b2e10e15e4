"""Idea pages through HTTP: forms, support, comments, search, merge, blind, API, query counts."""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from incubator.db.tables import AuditEvent
from incubator.discussion.tables import Comment
from incubator.ideas import services
from incubator.ideas.tables import Idea, IdeaTag
from tests import factories
from tests.accounts.test_routes import field_error
from tests.conftest import PASSWORD, Browser, Persona, Run, query_count, text_of

IDEA = {
    "title": "Refunds at the counter",
    "summary": "Refund in store, in one minute.",
    "description": "Customers *hate* waiting.",
    "tags": "refunds, stores",
}


def test_proposing_an_idea_redirects_to_its_page(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    browser.login(personas["ada"].email)
    assert 'name="_csrf_token"' in browser.get("/ideas/new").text
    response = browser.post("/ideas/new", IDEA)
    assert response.status_code == 303
    idea_id = run(Idea.select(Idea.id).first().run())["id"]
    assert response.headers["location"] == f"/ideas/{idea_id}"
    page = browser.get(f"/ideas/{idea_id}").text
    assert "Refunds at the counter" in page
    assert "<em>hate</em>" in page
    assert browser.post("/ideas/new", IDEA, htmx=True).headers["hx-redirect"].startswith("/ideas/")


def test_the_board_shows_each_cards_tags_in_the_order_given_and_the_total(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    """The board reads its cards, their tags and its total in one statement."""
    run(factories.idea(personas["ada"].id, "Zebra crossings", tags="zeta, alpha, mid"))
    run(factories.idea(personas["ada"].id, "Quiet rooms", tags="b, a"))
    browser.login(personas["bob"].email)
    page = browser.get("/ideas").text
    assert "2 ideas" in page
    assert page.index(">zeta<") < page.index(">alpha<") < page.index(">mid<")
    assert page.index(">b<") < page.index(">a<")
    assert page.index("Quiet rooms") < page.index("Zebra crossings")  # newest first


def _card_tags(page: str) -> list[str]:
    return re.findall(r'<a class="tag" href="/ideas\?tag=[^"]*">([^<]*)</a>', page)


def test_edited_tags_show_on_the_board_at_once_in_their_new_order(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    """Cards read the tags kept in the idea's row: an edit rewrites them with the IdeaTag
    rows (which the tag filter searches), in one transaction."""
    browser.login(personas["ada"].email)
    browser.post("/ideas/new", IDEA)
    idea_id = run(Idea.select(Idea.id).first().run())["id"]
    assert _card_tags(browser.get("/ideas").text) == ["refunds", "stores"]
    edited = {**IDEA, "tags": "Kiosks, refunds,  self  service"}
    assert browser.post(f"/ideas/{idea_id}/edit", edited).status_code == 303
    assert _card_tags(browser.get("/ideas").text) == ["kiosks", "refunds", "self service"]
    assert run(Idea.select(Idea.tags).where(Idea.id == idea_id).first().run())["tags"] == [
        "kiosks",
        "refunds",
        "self service",
    ]
    listed = run(IdeaTag.select(IdeaTag.tag).where(IdeaTag.idea == idea_id).run())
    assert [row["tag"] for row in listed] == ["kiosks", "refunds", "self service"]
    assert _card_tags(browser.get("/ideas?tag=kiosks").text) == [
        "kiosks",
        "refunds",
        "self service",
    ]
    assert _card_tags(browser.get("/ideas?tag=stores").text) == []
    assert browser.post(f"/ideas/{idea_id}/edit", {**IDEA, "tags": ""}).status_code == 303
    assert run(Idea.select(Idea.tags).where(Idea.id == idea_id).first().run())["tags"] == []
    assert _card_tags(browser.get("/ideas").text) == []


@pytest.mark.parametrize("title", ["", "   ", "x" * 121])
def test_a_bad_title_is_refused_beside_the_field_and_nothing_is_saved(
    browser: Browser, personas: dict[str, Persona], run: Run, title: str
) -> None:
    browser.login(personas["ada"].email)
    response = browser.post("/ideas/new", {**IDEA, "title": title})
    assert response.status_code == 400
    assert "Give your idea a title (up to 120 characters)." in field_error(response.text, "title")
    assert 'value="Refund in store, in one minute."' in response.text
    assert run(Idea.count().run()) == 0


def test_markup_in_a_description_is_shown_without_scripts_or_handlers(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    browser.login(personas["ada"].email)
    hostile = (
        "Hello <script>alert('x')</script> <img src=x onerror=alert(1)> [link](javascript:alert(1))"
    )
    browser.post("/ideas/new", {**IDEA, "description": hostile, "title": "<b>Bold</b> title"})
    idea_id = run(Idea.select(Idea.id).first().run())["id"]
    page = browser.get(f"/ideas/{idea_id}").text
    assert "<script>alert" not in page
    assert "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
    assert "<img" not in page
    assert 'href="javascript:' not in page
    assert "&lt;b&gt;Bold&lt;/b&gt; title" in page


def test_support_updates_in_place_with_htmx_and_by_full_page_without(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    idea_id = run(factories.idea(personas["ada"].id))
    browser.login(personas["bob"].email)
    fragment = browser.post(f"/ideas/{idea_id}/support", htmx=True)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'id="support"' in fragment.text
    assert '<span class="stat__value">1</span>' in fragment.text
    assert 'aria-pressed="true"' in fragment.text
    plain = browser.post(f"/ideas/{idea_id}/support")
    assert plain.status_code == 303
    assert '<span class="stat__value">0</span>' in browser.get(f"/ideas/{idea_id}").text


def test_twenty_people_supporting_at_once_over_http_are_all_counted(
    new_browser: Callable[..., Browser], personas: dict[str, Persona], run: Run
) -> None:
    idea_id = run(factories.idea(personas["ada"].id))
    people = run(factories.people(20))
    browsers = []
    for number in range(len(people)):
        person = new_browser()
        person.login(f"peer{number}@example.com", PASSWORD)
        person.csrf_token()
        browsers.append(person)
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(
            pool.map(lambda b: b.post(f"/ideas/{idea_id}/support").status_code, browsers)
        )
    assert statuses == [303] * 20
    assert run(Idea.select(Idea.support_count).where(Idea.id == idea_id).first().run()) == {
        "support_count": 20
    }


def test_the_author_cannot_support_their_own_idea(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    idea_id = run(factories.idea(personas["ada"].id))
    browser.login(personas["ada"].email)
    assert browser.post(f"/ideas/{idea_id}/support").status_code == 403


def test_comments_with_and_without_htmx(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    idea_id = run(factories.idea(personas["ada"].id))
    browser.login(personas["bob"].email)
    fragment = browser.post(
        f"/ideas/{idea_id}/comments", {"body": "Have you tried **kiosks**?"}, htmx=True
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'id="comments"' in fragment.text
    assert "<strong>kiosks</strong>" in fragment.text
    top = run(Comment.select(Comment.id).first().run())["id"]
    reply = browser.post(f"/ideas/{idea_id}/comments", {"body": "A reply", "parent_id": str(top)})
    assert reply.status_code == 303
    page = browser.get(f"/ideas/{idea_id}").text
    assert "A reply" in page
    empty = browser.post(f"/ideas/{idea_id}/comments", {"body": "  "}, htmx=True)
    assert empty.status_code == 400
    assert "Write something before posting." in field_error(empty.text, "body")
    assert run(Comment.count().run()) == 2


def test_a_comment_is_edited_by_its_author_and_deleted_softly(
    browser: Browser, new_browser: Callable[..., Browser], personas: dict[str, Persona], run: Run
) -> None:
    idea_id = run(factories.idea(personas["ada"].id))
    browser.login(personas["bob"].email)
    browser.post(f"/ideas/{idea_id}/comments", {"body": "Frist"})
    comment_id = run(Comment.select(Comment.id).first().run())["id"]
    assert browser.get(f"/comments/{comment_id}/edit").status_code == 200
    assert browser.post(f"/comments/{comment_id}/edit", {"body": "First"}).status_code == 303
    assert "First" in browser.get(f"/ideas/{idea_id}").text
    eve = new_browser()
    eve.login(personas["eve"].email)
    assert eve.post(f"/comments/{comment_id}/edit", {"body": "Hacked"}).status_code == 403
    assert eve.post(f"/comments/{comment_id}/delete").status_code == 403
    cleo = new_browser()
    cleo.login(personas["cleo"].email)
    assert cleo.post(f"/comments/{comment_id}/delete").status_code == 303
    page = browser.get(f"/ideas/{idea_id}").text
    assert "This comment was deleted." in page
    assert "First" not in text_of(page.split('id="comments"')[1])
    assert run(AuditEvent.exists().where(AuditEvent.action == "comment.moderated").run())


def test_search_answers_htmx_with_the_results_only(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    run(factories.idea(personas["ada"].id, title="Kiosk for refunds"))
    run(factories.idea(personas["ada"].id, title="Night shift rota", summary="Fairer rotas."))
    browser.login(personas["bob"].email)
    full = browser.get("/ideas?q=kiosk")
    assert "<html" in full.text
    assert "Kiosk for refunds" in full.text
    assert "Night shift rota" not in full.text
    fragment = browser.get("/ideas?q=kiosk", htmx=True)
    assert "<html" not in fragment.text
    assert 'id="results"' in fragment.text
    assert "Kiosk for refunds" in fragment.text
    for hostile in ['"', "*", "NEAR(", "%", "a:*", "<script>", "' OR 1=1 --"]:
        assert browser.get("/ideas", params={"q": hostile}).status_code == 200


def test_similar_ideas_appear_while_typing_a_title(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    run(factories.idea(personas["ada"].id, title="Kiosk for refunds"))
    browser.login(personas["bob"].email)
    response = browser.get("/ideas/similar?title=refund+kiosks", htmx=True)
    assert "Kiosk for refunds" in response.text
    assert browser.get("/ideas/similar?title=zz", htmx=True).text.strip() == ""


def test_merging_is_for_stewards_and_the_old_address_redirects(
    browser: Browser, new_browser: Callable[..., Browser], personas: dict[str, Persona], run: Run
) -> None:
    original = run(factories.idea(personas["ada"].id, title="Original"))
    duplicate = run(factories.idea(personas["eve"].id, title="Duplicate"))
    browser.login(personas["bob"].email)
    assert browser.post(f"/ideas/{duplicate}/merge", {"into_id": str(original)}).status_code == 403
    cleo = new_browser()
    cleo.login(personas["cleo"].email)
    assert "Merge into another idea" in cleo.get(f"/ideas/{duplicate}").text
    assert cleo.post(f"/ideas/{duplicate}/merge", {"into_id": str(original)}).status_code == 303
    moved = browser.get(f"/ideas/{duplicate}")
    assert moved.status_code == 301
    assert moved.headers["location"] == f"/ideas/{original}"
    assert "Duplicate" not in browser.get("/ideas").text
    assert browser.post(f"/ideas/{duplicate}/comments", {"body": "Here?"}).status_code == 404
    assert browser.get(f"/ideas/{duplicate + original + 1}").status_code == 404


def test_a_steward_is_offered_the_ideas_with_similar_titles_to_merge_into(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    original = run(factories.idea(personas["ada"].id, title="Refund kiosk in every store"))
    unrelated = run(
        factories.idea(personas["ada"].id, title="Night shift canteen", summary="Hot meals.")
    )
    gone = run(factories.idea(personas["ada"].id, title="Kiosk refunds, again"))
    duplicate = run(factories.idea(personas["eve"].id, title="A kiosk for refunds"))
    run(services.merge_ideas(run(factories.actor(personas["cleo"].id)), gone, original))
    browser.login(personas["bob"].email)
    url = f"/ideas/{duplicate}/merge-candidates"
    assert browser.get(url, htmx=True).status_code == 403
    assert "merge-candidates" not in browser.get(f"/ideas/{duplicate}").text
    browser.login(personas["cleo"].email)
    page = browser.get(f"/ideas/{duplicate}").text
    assert 'name="into_id"' in page
    assert f'hx-get="{url}"' in page
    offered = browser.get(url, htmx=True)
    assert offered.status_code == 200
    assert f'<option value="{original}">' in offered.text
    assert "Refund kiosk in every store" in text_of(offered.text)
    for not_offered in (duplicate, unrelated, gone):
        assert f'<option value="{not_offered}">' not in offered.text
    assert browser.get(url).status_code == 303  # without htmx: back to the idea page


def test_merging_into_a_wrong_number_says_so_beside_the_field_and_changes_nothing(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    duplicate = run(factories.idea(personas["eve"].id, title="A kiosk for refunds"))
    browser.login(personas["cleo"].email)
    for typed, message in (
        ("", "Enter the number of the idea to merge into"),
        ("kiosk", "Enter the number of the idea to merge into"),
        (str(duplicate), "Choose another idea to merge into"),
        ("99999", "Choose an idea that still exists"),
    ):
        answer = browser.post(f"/ideas/{duplicate}/merge", {"into_id": typed})
        assert answer.status_code == 400
        assert message in field_error(answer.text, "into_id")
        assert '<details class="card" id="merge" open' in answer.text
        assert f'value="{typed}"' in answer.text or not typed
    assert browser.get(f"/ideas/{duplicate}").status_code == 200
    assert run(Idea.select(Idea.merged_into).where(Idea.id == duplicate).first().run()) == {
        "merged_into": None
    }


def _blind_fixture(run: Run, personas: dict[str, Persona]) -> int:
    challenge_id = run(factories.challenge(personas["cleo"].id))
    idea_id: int = run(
        factories.idea(
            personas["ada"].id, title="Anonymous kiosk", blind=True, challenge_id=str(challenge_id)
        )
    )

    async def discuss() -> None:
        ada = await factories.actor(personas["ada"].id)
        await services.comment_on_idea(ada, idea_id, "Thanks for the feedback (the author)")

    run(discuss())
    return idea_id


def test_a_blind_ideas_author_appears_nowhere_for_others(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    idea_id = _blind_fixture(run, personas)
    ada = personas["ada"]
    browser.login(personas["bob"].email)
    pages = [
        browser.get("/ideas").text,
        browser.get(f"/ideas/{idea_id}").text,
        browser.get("/ideas?q=kiosk").text,
        browser.get("/ideas?q=kiosk", htmx=True).text,
        browser.get("/challenges/1").text,
        browser.get("/ideas/similar?title=anonymous+kiosk").text,
        browser.get("/api/v1/ideas").text,
        browser.get(f"/api/v1/ideas/{idea_id}").text,
        browser.get("/api/v1/ideas?q=kiosk").text,
    ]
    for text in pages:
        assert "Anonymous kiosk" in text
        assert ada.name not in text
        assert ada.email not in text
        assert f'/people/{ada.id}"' not in text
        assert ada.department not in text
    api = browser.get(f"/api/v1/ideas/{idea_id}").json()
    assert api["author_id"] is None
    assert api["author_name"] is None
    assert api["identity_hidden"] is True


def test_a_blind_ideas_author_still_sees_their_name(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    idea_id = _blind_fixture(run, personas)
    browser.login(personas["ada"].email)
    assert "Ada Author" in browser.get(f"/ideas/{idea_id}").text


def test_the_api_lists_ideas_in_pages_and_needs_a_session(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    for number in range(3):
        run(factories.idea(personas["ada"].id, title=f"Idea {number}"))
    assert browser.get("/api/v1/ideas").status_code == 401
    assert browser.get("/api/v1/challenges").status_code == 401
    browser.login(personas["bob"].email)
    body = browser.get("/api/v1/ideas?per_page=2&page=2").json()
    assert body["page"] == 2
    assert body["per_page"] == 2
    assert body["total"] == 3
    assert [item["title"] for item in body["items"]] == ["Idea 0"]
    assert browser.get("/api/v1/ideas/999").status_code == 404
    assert browser.get("/api/v1/challenges").json()["total"] == 0


def test_board_and_challenges_cost_the_same_queries_with_5_or_200_ideas(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    challenge_id = run(factories.challenge(personas["cleo"].id))
    bob = run(factories.actor(personas["bob"].id))

    async def add(count: int, start: int) -> None:
        for number in range(start, start + count):
            idea_id = await factories.idea(
                personas["ada"].id,
                title=f"Idea {number}",
                tags=f"tag{number % 3}, common",
                challenge_id=str(challenge_id) if number % 2 else "",
            )
            await services.toggle_support(bob, idea_id)
            await services.comment_on_idea(bob, idea_id, f"Comment {number}")
            if number % 4 == 0:
                await factories.challenge(personas["dan"].id, title=f"Challenge {number}")

    browser.login(personas["eve"].email)
    paths = [
        "/ideas",
        "/ideas?sort=supported",
        "/ideas?sort=stage",
        "/ideas?q=idea",
        "/ideas?tag=common",
        "/challenges",
        f"/challenges/{challenge_id}",
        "/api/v1/ideas",
        "/api/v1/challenges",
    ]
    run(add(5, 0))
    small = {path: query_count(browser.get(path)) for path in paths}
    run(add(195, 5))
    large = {path: query_count(browser.get(path)) for path in paths}
    assert large == small
    assert browser.get("/ideas?page=3").status_code == 200


def test_an_idea_page_costs_the_same_queries_with_2_or_40_comments(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    idea_id = run(factories.idea(personas["ada"].id))
    bob = run(factories.actor(personas["bob"].id))

    async def discuss(count: int) -> None:
        for number in range(count):
            parent = await services.comment_on_idea(bob, idea_id, f"Top {number}")
            await services.comment_on_idea(bob, idea_id, f"Reply {number}", parent)

    browser.login(personas["eve"].email)
    run(discuss(1))
    small = query_count(browser.get(f"/ideas/{idea_id}"))
    run(discuss(20))
    assert query_count(browser.get(f"/ideas/{idea_id}")) == small


def test_the_edit_window_closes_after_fifteen_minutes(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    idea_id = run(factories.idea(personas["ada"].id))
    browser.login(personas["bob"].email)
    browser.post(f"/ideas/{idea_id}/comments", {"body": "Typo here"})
    comment_id = run(Comment.select(Comment.id).first().run())["id"]
    run(
        Comment.update({Comment.created_at: Comment.created_at - timedelta(minutes=16)})
        .where(Comment.id == comment_id)
        .run()
    )
    assert browser.post(f"/comments/{comment_id}/edit", {"body": "Fixed"}).status_code == 403
    assert run(Comment.select(Comment.body).first().run()) == {"body": "Typo here"}
