"""New supports written together (incubator.ideas.supports), on the real database: the
presses of one moment go in one batch, each learns its idea's count, a double press is a
support then a withdrawal, and one press that fails does not fail the others."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from incubator.db.engines import recording_queries
from incubator.db.transactions import is_sqlite, is_unique_violation, transaction
from incubator.ideas import services, supports
from incubator.ideas.tables import Idea, Support
from tests import factories
from tests.conftest import Persona, Run


def _count_of(run: Run, idea_id: int) -> int:
    row = run(Idea.select(Idea.support_count).where(Idea.id == idea_id).first().run())
    return int(row["support_count"])


def test_presses_made_together_are_written_as_one_batch(
    run: Run, personas: dict[str, Persona]
) -> None:
    ideas = [run(factories.idea(personas["ada"].id, title=f"Idea {n}")) for n in range(3)]
    people = run(factories.people(8, "presser"))
    # Person n supports idea n % 3: 3, 3 and 2 supports.
    presses = [(person, ideas[n % 3]) for n, person in enumerate(people)]

    async def all_at_once() -> list[tuple[bool, int]]:
        actors = [await factories.actor(person) for person, _ in presses]
        return await asyncio.gather(
            *(
                services.toggle_support(actor, idea)
                for actor, (_, idea) in zip(actors, presses, strict=True)
            )
        )

    # Each press learns its idea's count once the whole batch is in.
    assert run(all_at_once()) == [(True, [3, 3, 2][n % 3]) for n in range(8)]
    rows = run(Support.select(Support.idea, Support.created_at).run())
    assert len(rows) == 8
    assert len({row["created_at"] for row in rows}) == 1  # one batch, one moment
    assert [_count_of(run, idea) for idea in ideas] == [3, 3, 2]


def test_a_double_press_at_once_supports_then_withdraws(
    run: Run, personas: dict[str, Persona]
) -> None:
    idea_id = run(factories.idea(personas["ada"].id))
    bob = run(factories.actor(personas["bob"].id))

    async def twice() -> tuple[tuple[bool, int], tuple[bool, int]]:
        return await asyncio.gather(
            services.toggle_support(bob, idea_id), services.toggle_support(bob, idea_id)
        )

    assert sorted(run(twice())) == [(False, 0), (True, 1)]
    assert run(Support.count().where(Support.idea == idea_id).run()) == 0
    assert _count_of(run, idea_id) == 0


def test_a_press_that_fails_leaves_the_others_of_its_batch_written(
    run: Run, personas: dict[str, Persona]
) -> None:
    """A support for a person who does not exist breaks the batch's statement (a foreign
    key); the batch is then written press by press, so only that press fails."""
    idea_id = run(factories.idea(personas["ada"].id))
    bob, cleo = personas["bob"].id, personas["cleo"].id

    async def with_a_bad_press() -> tuple[int | BaseException | None, ...]:
        return await asyncio.gather(
            supports.add_support(bob, idea_id),
            supports.add_support(999_999, idea_id),
            supports.add_support(cleo, idea_id),
            return_exceptions=True,
        )

    good_bob, bad, good_cleo = run(with_a_bad_press())
    assert sorted([good_bob, good_cleo]) == [1, 2]  # written one after the other
    assert isinstance(bad, Exception)
    assert not is_unique_violation(bad)
    stored = run(Support.select(Support.person).where(Support.idea == idea_id).run())
    assert sorted(row["person"] for row in stored) == sorted([bob, cleo])
    assert _count_of(run, idea_id) == 2


def test_nothing_is_added_for_the_author_a_merged_idea_or_a_second_support(
    run: Run, personas: dict[str, Persona]
) -> None:
    kept = run(factories.idea(personas["ada"].id, title="Kept"))
    merged = run(factories.idea(personas["ada"].id, title="Merged away"))
    run(services.merge_ideas(run(factories.actor(personas["cleo"].id)), merged, kept))
    ada, bob = personas["ada"].id, personas["bob"].id
    assert run(supports.add_support(bob, kept)) == 1

    async def refused_together() -> tuple[int | None, ...]:
        return await asyncio.gather(
            supports.add_support(ada, kept),  # her own idea
            supports.add_support(bob, merged),
            supports.add_support(bob, kept),  # already there
            supports.add_support(bob, 999_999),  # no such idea
        )

    assert list(run(refused_together())) == [None, None, None, None]
    assert run(Support.count().run()) == 1


def test_each_press_counts_its_batch_as_its_statements(
    run: Run, personas: dict[str, Persona]
) -> None:
    """What a request's query count (the x-sql-queries header) shows for a support: the
    batch it went in, whoever started it."""
    ideas = [run(factories.idea(personas["ada"].id, title=f"Idea {n}")) for n in range(2)]
    bob, cleo = personas["bob"].id, personas["cleo"].id

    async def press(person: int, idea: int) -> list[str]:
        with recording_queries() as queries:
            await supports.add_support(person, idea)
        return queries

    async def both() -> tuple[list[str], list[str]]:
        return await asyncio.gather(press(bob, ideas[0]), press(cleo, ideas[1]))

    first, second = run(both())
    assert first == second
    # PostgreSQL: the one statement. SQLite: an insert and a count per press.
    assert len(first) == (4 if is_sqlite() else 1)


@pytest.mark.parametrize("presses", [1, supports.BATCH_LIMIT + 6])
def test_more_presses_than_a_batch_holds_go_in_the_next(
    run: Run, personas: dict[str, Persona], presses: int
) -> None:
    idea_id = run(factories.idea(personas["ada"].id))
    people = run(factories.people(presses, "crowd"))

    async def crowd() -> list[int | None]:
        return await asyncio.gather(*(supports.add_support(p, idea_id) for p in people))

    counts = run(crowd())
    first_batch = min(presses, supports.BATCH_LIMIT)
    assert counts == [first_batch] * first_batch + [presses] * (presses - first_batch)
    assert _count_of(run, idea_id) == presses


def test_a_support_inside_a_transaction_is_written_in_it(
    run: Run, personas: dict[str, Persona]
) -> None:
    """Not handed to a batch, which would wait for the write lock (SQLite) or the idea's
    row lock (PostgreSQL) that the caller's transaction holds; and undone with it."""
    idea_id = run(factories.idea(personas["ada"].id))
    bob = run(factories.actor(personas["bob"].id))

    async def then_undone() -> tuple[bool, int]:
        with contextlib.suppress(RuntimeError):
            async with transaction():
                await Idea.update({Idea.title: "Locked"}).where(Idea.id == idea_id).run()
                pressed = await services.toggle_support(bob, idea_id)
                raise RuntimeError(repr(pressed))
        return pressed

    assert run(asyncio.wait_for(then_undone(), timeout=10)) == (True, 1)
    assert run(Support.count().where(Support.idea == idea_id).run()) == 0
