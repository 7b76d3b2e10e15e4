"""The pooled SQLite engine: persistent readers and one writer must keep every guarantee
of a connection per statement — each commit lands exactly once, nobody reads what is not
committed, a rollback or a cancelled request leaves nothing behind."""

from __future__ import annotations

import asyncio

import pytest

from incubator.accounts.tables import Skill
from incubator.db.transactions import engine, is_sqlite, transaction
from tests.conftest import Run

pytestmark = pytest.mark.skipif(not is_sqlite(), reason="the SQLite engine's own pool")


async def names() -> set[str]:
    return {row["name"] for row in await Skill.select(Skill.name).run()}


def test_the_writer_connection_persists_between_statements(run: Run) -> None:
    """A TEMP table lives only as long as its connection: with a connection per
    statement (stock Piccolo), the second statement would not find it."""

    async def check() -> list[dict[str, int]]:
        db = engine()
        await db.run_ddl("CREATE TEMP TABLE connection_probe (x INTEGER)")
        try:
            await db.run_ddl("INSERT INTO temp.connection_probe (x) VALUES (1)")
            return list(await db.run_ddl("SELECT count(*) AS n FROM temp.connection_probe"))
        finally:
            await db.run_ddl("DROP TABLE temp.connection_probe")

    assert run(check()) == [{"n": 1}]


def test_concurrent_reads_and_writes_each_land_exactly_once(run: Run) -> None:
    async def write(index: int) -> None:
        if index % 2:
            async with transaction():
                await Skill.insert(Skill(name=f"tx-{index}")).run()
                assert await Skill.exists().where(Skill.name == f"tx-{index}").run()
        else:
            await Skill.insert(Skill(name=f"auto-{index}")).run()

    async def read() -> int:
        return int(await Skill.count().run())

    async def mixed() -> list[object]:
        tasks = [write(index) for index in range(200)] + [read() for _ in range(200)]
        return list(await asyncio.gather(*tasks, return_exceptions=True))

    results = run(mixed())
    assert not [result for result in results if isinstance(result, BaseException)]
    stored = run(names())
    assert len(stored) == 200
    assert stored == {f"tx-{i}" for i in range(1, 200, 2)} | {f"auto-{i}" for i in range(0, 200, 2)}


def test_readers_never_see_uncommitted_rows_and_rollback_leaves_nothing(run: Run) -> None:
    async def scenario() -> tuple[set[str], set[str], set[str]]:
        inside = asyncio.Event()
        release = asyncio.Event()

        async def writer(name: str, fail: bool) -> None:
            async with transaction():
                await Skill.insert(Skill(name=name)).run()
                inside.set()
                await release.wait()
                if fail:
                    raise RuntimeError("rolled back")

        task = asyncio.create_task(writer("pending", fail=False))
        await inside.wait()
        during = await names()
        release.set()
        await task
        after_commit = await names()

        inside.clear()
        release.clear()
        failing = asyncio.create_task(writer("doomed", fail=True))
        await inside.wait()
        release.set()
        with pytest.raises(RuntimeError):
            await failing
        return during, after_commit, await names()

    during, after_commit, after_rollback = run(scenario())
    assert during == set()
    assert after_commit == {"pending"}
    assert after_rollback == {"pending"}


def test_a_cancelled_transaction_hands_back_a_clean_writer(run: Run) -> None:
    async def scenario() -> set[str]:
        inside = asyncio.Event()

        async def slow_request() -> None:
            async with transaction():
                await Skill.insert(Skill(name="abandoned")).run()
                inside.set()
                await asyncio.sleep(60)

        task = asyncio.create_task(slow_request())
        await inside.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The next autocommit write must commit on its own, not inside a leftover
        # transaction: a reader (another connection) sees it at once.
        await Skill.insert(Skill(name="next")).run()
        return await names()

    assert run(scenario()) == {"next"}
