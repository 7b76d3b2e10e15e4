"""Idea rules on the real database: proposing, supporting, search, merging, blind ideas."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from importlib import import_module

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incubator.challenges import services as challenge_services
from incubator.challenges.tables import Challenge
from incubator.db.tables import AuditEvent
from incubator.discussion.tables import Comment, Follow
from incubator.errors import NotAllowed, NotFound, ValidationFailed
from incubator.ideas import queries, search, services
from incubator.ideas.tables import Idea, IdeaTag, Support
from tests import factories
from tests.conftest import Persona, Run

FILL_TAGS = import_module("incubator.ideas.piccolo_migrations.ideas_2026_12_06t09_46_00_000000")


def test_proposing_an_idea_indexes_it_and_the_author_follows(
    run: Run, personas: dict[str, Persona]
) -> None:
    idea_id = run(factories.idea(personas["ada"].id, tags="Customer Service, refunds"))
    row = run(Idea.select().where(Idea.id == idea_id).first().run())
    assert row["stage"] == "spark"
    assert row["status"] == "active"
    assert run(
        Follow.exists()
        .where((Follow.person == personas["ada"].id) & (Follow.subject_id == idea_id))
        .run()
    )
    assert run(search.matching_ids("refunds", limit=5)) == ([idea_id], 1, False)
    assert run(AuditEvent.exists().where(AuditEvent.action == "idea.proposed").run())


def test_the_migration_fills_each_ideas_tags_from_its_tag_rows_in_their_order(
    run: Run, personas: dict[str, Persona]
) -> None:
    tagged = run(factories.idea(personas["ada"].id, tags="zeta, alpha, mid"))
    bare = run(factories.idea(personas["ada"].id, tags=""))

    async def refill() -> None:
        # The rows as they were before ideas kept their tags.
        await Idea.update({Idea.tags: []}, force=True).run()
        await IdeaTag.update({IdeaTag.tag: "beta"}).where(IdeaTag.tag == "alpha").run()
        manager = await FILL_TAGS.forwards()
        await manager.run()

    run(refill())
    rows = run(Idea.select(Idea.id, Idea.tags).order_by(Idea.id).run())
    assert rows == [{"id": tagged, "tags": ["zeta", "beta", "mid"]}, {"id": bare, "tags": []}]


@pytest.mark.parametrize(
    ("field", "fields"),
    [
        ("title", {"title": ""}),
        ("title", {"title": "t" * 121}),
        ("summary", {"summary": ""}),
        ("summary", {"summary": "s" * 281}),
        ("description", {"description": "d" * 20_001}),
        ("tags", {"tags": ",".join(f"t{i}" for i in range(11))}),
        ("challenge_id", {"challenge_id": "999"}),
        ("challenge_id", {"challenge_id": "abc"}),
    ],
)
def test_invalid_ideas_name_the_field_and_save_nothing(
    run: Run, personas: dict[str, Persona], field: str, fields: dict[str, str]
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        run(factories.idea(personas["ada"].id, **fields))
    assert field in refused.value.errors
    assert run(Idea.count().run()) == 0


def test_a_closed_challenge_takes_no_new_ideas(run: Run, personas: dict[str, Persona]) -> None:
    challenge_id = run(factories.challenge(personas["ada"].id))
    run(factories.idea(personas["bob"].id, challenge_id=str(challenge_id)))
    ada = run(factories.actor(personas["ada"].id))
    run(challenge_services.change_status(ada, challenge_id, "closed"))
    with pytest.raises(ValidationFailed) as refused:
        run(factories.idea(personas["bob"].id, challenge_id=str(challenge_id)))
    assert "closed" in refused.value.errors["challenge_id"]
    count = run(
        Challenge.select(Challenge.idea_count).where(Challenge.id == challenge_id).first().run()
    )
    assert count == {"idea_count": 1}


def test_support_toggles_and_the_author_cannot_support(
    run: Run, personas: dict[str, Persona]
) -> None:
    idea_id = run(factories.idea(personas["ada"].id))
    bob = run(factories.actor(personas["bob"].id))
    assert run(services.toggle_support(bob, idea_id)) == (True, 1)
    assert run(services.toggle_support(bob, idea_id)) == (False, 0)
    assert run(services.toggle_support(bob, idea_id)) == (True, 1)
    with pytest.raises(NotAllowed):
        run(services.toggle_support(run(factories.actor(personas["ada"].id)), idea_id))


def test_twenty_concurrent_supports_are_counted_exactly(
    run: Run, personas: dict[str, Persona]
) -> None:
    idea_id = run(factories.idea(personas["ada"].id))
    supporters = run(factories.people(20))

    async def everyone_at_once() -> list[tuple[bool, int]]:
        actors = [await factories.actor(person) for person in supporters]
        return await asyncio.gather(*(services.toggle_support(a, idea_id) for a in actors))

    results = run(everyone_at_once())
    assert all(supported for supported, _count in results)
    assert run(Support.count().where(Support.idea == idea_id).run()) == 20
    assert run(Idea.select(Idea.support_count).where(Idea.id == idea_id).first().run()) == {
        "support_count": 20
    }


def test_a_support_is_dated_and_refused_on_missing_or_merged_ideas(
    run: Run, personas: dict[str, Persona]
) -> None:
    kept = run(factories.idea(personas["ada"].id, title="Kept"))
    merged = run(factories.idea(personas["ada"].id, title="Merged away"))
    run(services.merge_ideas(run(factories.actor(personas["cleo"].id)), merged, kept))
    bob = run(factories.actor(personas["bob"].id))
    before = datetime.now(UTC)
    assert run(services.toggle_support(bob, kept)) == (True, 1)
    dated = run(Support.select(Support.created_at).where(Support.idea == kept).first().run())
    assert before - timedelta(seconds=1) <= dated["created_at"] <= datetime.now(UTC)
    for refused in (merged, 10**6):
        with pytest.raises(NotFound):
            run(services.toggle_support(bob, refused))
    assert run(Support.count().where(Support.person == bob.id).run()) == 1
    counts = run(Idea.select(Idea.id, Idea.support_count).run())
    assert {row["id"]: row["support_count"] for row in counts} == {kept: 1, merged: 0}


def test_presses_at_once_keep_the_counter_equal_to_the_supports(
    run: Run, personas: dict[str, Persona]
) -> None:
    """Each of ten people presses three times at once, half of them already supporting:
    whatever order the presses land in, the counter equals the rows, once each."""
    idea_id = run(factories.idea(personas["ada"].id))
    people = run(factories.people(10))

    async def everyone_presses() -> None:
        actors = [await factories.actor(person) for person in people]
        for actor in actors[:5]:
            await services.toggle_support(actor, idea_id)
        await asyncio.gather(
            *(services.toggle_support(actor, idea_id) for actor in actors for _ in range(3))
        )

    run(everyone_presses())
    rows = run(Support.select(Support.person).where(Support.idea == idea_id).run())
    assert len(rows) == len({row["person"] for row in rows})
    assert run(Idea.select(Idea.support_count).where(Idea.id == idea_id).first().run()) == {
        "support_count": len(rows)
    }


def test_search_finds_a_word_of_the_description_and_ranks_titles_first(
    run: Run, personas: dict[str, Persona]
) -> None:
    in_description = run(
        factories.idea(
            personas["ada"].id, title="Faster refunds", description="Use a kiosk in stores."
        )
    )
    in_title = run(
        factories.idea(
            personas["ada"].id, title="A kiosk for returns", summary="Self-service returns."
        )
    )
    run(factories.idea(personas["ada"].id, title="Unrelated", summary="Nothing to see."))
    ids, total, _capped = run(search.matching_ids("kiosk", limit=10))
    assert total == 2
    assert ids == [in_title, in_description]


def test_search_ignores_accents_and_matches_plurals_in_french(
    run: Run, personas: dict[str, Persona]
) -> None:
    plural = run(
        factories.idea(
            personas["ada"].id, title="Boîte à idées numérique", summary="Des idées pour tous."
        )
    )
    accented = run(
        factories.idea(
            personas["ada"].id, title="Une idée pour l'accueil", summary="Accueil client."
        )
    )
    assert set(run(search.matching_ids("idée", limit=10))[0]) == {plural, accented}
    assert set(run(search.matching_ids("Idee", limit=10))[0]) == {plural, accented}
    assert run(search.matching_ids("ACCUEIL", limit=10))[0] == [accented]
    assert run(search.matching_ids("boite numerique", limit=10))[0] == [plural]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.text(max_size=300))
def test_no_search_input_breaks_the_query(run: Run, query: str) -> None:
    ids, total, _capped = run(search.matching_ids(query, limit=5))
    assert total >= len(ids)


@pytest.mark.parametrize(
    "query",
    ['"', "'", "*", "a OR b", "NEAR(a b)", "a & | ! b", ":*", "\\", "a:b", "(((", "%_", "\x00x"],
)
def test_hostile_search_syntax_is_reduced_to_words(
    run: Run, personas: dict[str, Persona], query: str
) -> None:
    run(factories.idea(personas["ada"].id, title="Plain idea"))
    ids, total, _capped = run(search.matching_ids(query, limit=5))
    assert total == len(ids)


def test_blind_ideas_hide_the_author_from_everyone_else(
    run: Run, personas: dict[str, Persona]
) -> None:
    idea_id = run(factories.idea(personas["ada"].id, blind=True))
    other = run(queries.idea_detail(idea_id, personas["bob"].id))
    assert other["author_id"] is None
    assert other["author_name"] is None
    assert other["author_department"] is None
    mine = run(queries.idea_detail(idea_id, personas["ada"].id))
    assert mine["author_name"] == "Ada Author"


def test_merging_moves_supports_once_comments_and_followers(
    run: Run, personas: dict[str, Persona]
) -> None:
    original = run(factories.idea(personas["ada"].id, title="Self-checkout"))
    duplicate = run(factories.idea(personas["eve"].id, title="Self checkout lanes"))
    bob, dan, cleo = (run(factories.actor(personas[key].id)) for key in ("bob", "dan", "cleo"))
    run(services.toggle_support(bob, original))
    run(services.toggle_support(bob, duplicate))  # supports both: must count once
    run(services.toggle_support(dan, duplicate))
    run(services.comment_on_idea(dan, duplicate, "Same as the other one?"))
    with pytest.raises(NotAllowed):
        run(services.merge_ideas(bob, duplicate, original))
    run(services.merge_ideas(cleo, duplicate, original))
    assert run(Idea.select(Idea.support_count).where(Idea.id == original).first().run()) == {
        "support_count": 2
    }
    assert run(Support.count().where(Support.idea == original).run()) == 2
    assert run(Comment.count().where(Comment.subject_id == original).run()) == 1
    followers = {
        r["person"]
        for r in run(Follow.select(Follow.person).where(Follow.subject_id == original).run())
    }
    assert {personas["ada"].id, personas["eve"].id, personas["dan"].id} <= followers
    assert run(queries.merged_into(duplicate)) == original
    assert run(search.matching_ids("lanes", limit=5)) == ([], 0, False)
    assert run(AuditEvent.exists().where(AuditEvent.action == "idea.merged").run())


def test_an_idea_cannot_be_merged_into_itself_or_a_merged_one(
    run: Run, personas: dict[str, Persona]
) -> None:
    first = run(factories.idea(personas["ada"].id))
    second = run(factories.idea(personas["ada"].id, title="Second"))
    cleo = run(factories.actor(personas["cleo"].id))
    with pytest.raises(ValidationFailed):
        run(services.merge_ideas(cleo, first, first))
    run(services.merge_ideas(cleo, second, first))
    third = run(factories.idea(personas["ada"].id, title="Third"))
    with pytest.raises(ValidationFailed):
        run(services.merge_ideas(cleo, third, second))
