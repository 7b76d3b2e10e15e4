"""The pooled SQLite engine: persistent readers and one writer must keep every guarantee
of a connection per statement — each commit lands exactly once, nobody reads what is not
committed, a rollback or a cancelled request leaves nothing behind."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from pathlib import Path

import pytest
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString

from incubator.accounts.tables import Skill
from incubator.db.engines import (
    INLINE_WRITES_PER_CHECKPOINT,
    IncubatorSQLiteEngine,
    _InlineConnection,
)
from incubator.db.transactions import engine, is_sqlite, transaction
from tests.conftest import Run

pytestmark = pytest.mark.skipif(not is_sqlite(), reason="the SQLite engine's own pool")


def sqlite_path() -> str:
    db = engine()
    assert isinstance(db, SQLiteEngine)
    return str(db.connection_kwargs["database"])


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


# Counts to a few million inside SQLite: far beyond the event loop's budget for a read.
_LONG_READ = (
    "SELECT count(*) AS total FROM (WITH RECURSIVE n(i) AS "
    "(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) SELECT i FROM n)"
)


def test_a_long_read_moves_off_the_event_loop_with_its_full_answer(run: Run) -> None:
    """Quick reads run on the loop's own connection; one that overruns its CPU budget
    is interrupted there, answered completely by a reader thread, and sent straight to
    a thread from then on."""

    async def long_read_twice() -> tuple[list[object], list[object], float]:
        db = engine()
        first = list(await db.run_querystring(QueryString(_LONG_READ)))
        loop = asyncio.get_running_loop()
        ticks: list[float] = []
        ticker = loop.call_later(0.005, lambda: ticks.append(loop.time()))
        started = loop.time()
        second = list(await db.run_querystring(QueryString(_LONG_READ)))
        ticker.cancel()
        return first, second, (ticks[0] - started) if ticks else float("inf")

    first, second, loop_stalled_for = run(long_read_twice())
    assert first == second == [{"total": 3_000_000}]
    # Known slow, the second run stays on a thread: the loop keeps serving meanwhile.
    assert loop_stalled_for < 0.2


def test_quick_reads_see_each_commit_at_once(run: Run) -> None:
    """The loop's own reader and the writer are separate connections: a read right
    after a commit must already see it."""

    async def write_then_read(count: int) -> list[bool]:
        seen = []
        for index in range(count):
            await Skill.insert(Skill(name=f"seen-{index}")).run()
            seen.append(bool(await Skill.exists().where(Skill.name == f"seen-{index}").run()))
        return seen

    assert run(write_then_read(50)) == [True] * 50


def test_a_long_write_is_undone_on_the_loop_and_lands_once_from_a_thread(run: Run) -> None:
    """Writes outside a transaction run on the loop's own connection too. One that
    overruns the CPU budget is interrupted there — SQLite rolls the statement back —
    and runs again on the writer's thread: its row is stored once, and the statement
    goes straight to the thread from then on, so the loop keeps serving."""
    long_insert = "INSERT INTO skill (name) SELECT {} || total FROM (" + _LONG_READ + ")"  # noqa: S608

    async def long_write_twice() -> float:
        db = engine()
        await db.run_querystring(QueryString(long_insert, "first-"))
        loop = asyncio.get_running_loop()
        ticks: list[float] = []
        ticker = loop.call_later(0.005, lambda: ticks.append(loop.time()))
        started = loop.time()
        await db.run_querystring(QueryString(long_insert, "second-"))
        ticker.cancel()
        return (ticks[0] - started) if ticks else float("inf")

    loop_stalled_for = run(long_write_twice())
    assert run(names()) == {"first-3000000", "second-3000000"}
    assert loop_stalled_for < 0.2


def test_a_write_waits_for_the_open_transaction_and_both_land(run: Run) -> None:
    async def scenario() -> tuple[set[str], set[str]]:
        inside = asyncio.Event()
        release = asyncio.Event()

        async def slow_transaction() -> None:
            async with transaction():
                await Skill.insert(Skill(name="in-transaction")).run()
                inside.set()
                await release.wait()

        holder = asyncio.create_task(slow_transaction())
        await inside.wait()
        single = asyncio.create_task(Skill.insert(Skill(name="single")).run())
        await asyncio.sleep(0.05)
        during = await names()
        release.set()
        await asyncio.gather(holder, single)
        return during, await names()

    during, after = run(scenario())
    assert during == set()
    assert after == {"in-transaction", "single"}


def test_a_single_write_does_not_queue_while_the_writer_is_lent_without_a_lock(
    run: Run,
) -> None:
    """The writer lent for something that holds no lock on the database (a checkpoint, a
    statement that has finished but whose answer the loop has not picked up yet) does not
    hold up a single statement: it runs on the loop at once. Queued behind the writer,
    writes arriving under load made a convoy that delayed sign-ins by seconds."""

    async def scenario() -> set[str]:
        db = engine()
        assert isinstance(db, IncubatorSQLiteEngine)
        writer = await db.acquire_writer()
        try:
            await asyncio.wait_for(Skill.insert(Skill(name="single")).run(), timeout=5)
            landed = await names()
        finally:
            await db.release_writer(writer, settled=True)
        return landed

    assert run(scenario()) == {"single"}


def test_a_write_waits_while_another_process_holds_the_database(run: Run) -> None:
    """The loop never waits on a lock (busy_timeout 0 there): when another process (a
    second worker, the scheduler) is writing, the statement goes to the writer's thread,
    which waits its turn, instead of failing with "database is locked"."""
    path = sqlite_path()

    async def scenario() -> set[str]:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO skill (name) VALUES ('other-process')")
        loop = asyncio.get_running_loop()
        loop.call_later(0.3, other.execute, "COMMIT")
        try:
            await Skill.insert(Skill(name="this-process")).run()
        finally:
            other.close()
        return await names()

    assert run(scenario()) == {"other-process", "this-process"}


def test_the_wal_stays_small_when_every_write_runs_on_the_loop(run: Run) -> None:
    """The loop's connection never checkpoints (a checkpoint copies megabytes); the
    writer's thread does it every INLINE_WRITES_PER_CHECKPOINT of them, so the WAL is
    reused instead of growing with every write."""
    path = sqlite_path()
    writes = 5 * INLINE_WRITES_PER_CHECKPOINT

    async def many_single_writes() -> None:
        for index in range(writes):
            await Skill.insert(Skill(name=f"skill-{index:05}")).run()
            if index % 50 == 0:
                await asyncio.sleep(0.01)  # lets a pending checkpoint take the writer

    run(many_single_writes())
    assert len(run(names())) == writes
    wal_pages = os.path.getsize(f"{path}-wal") // 4096
    # Unchecked, each write appends two pages or more (the table, the index on name).
    assert wal_pages < writes


def test_a_statement_leaves_the_loop_after_two_overruns_and_comes_back_after_a_spell(
    tmp_path: Path,
) -> None:
    """One overrun (a cold cache, a garbage collection in the middle) keeps a statement
    on the loop; two in a row send it to the threads for a spell, not for good: the
    board's query once stayed there for good after a single cold start."""
    counting = (
        "SELECT count(*) AS n FROM (WITH RECURSIVE n(i) AS "
        "(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) SELECT i FROM n)"
    )
    inline = _InlineConnection(
        sqlite3.connect(tmp_path / "spell.db"), writes=False, slow_spell_seconds=0.2
    )
    try:
        assert inline.try_run(counting, [3_000_000]) is None  # over budget: to a thread
        assert inline.try_run(counting, [10]) == [{"n": 10}]  # one overrun: still on the loop
        assert inline.try_run(counting, [3_000_000]) is None
        assert inline.try_run(counting, [3_000_000]) is None  # twice in a row: a spell
        assert inline.try_run(counting, [10]) is None  # quick now, but in its spell
        time.sleep(0.25)
        assert inline.try_run(counting, [10]) == [{"n": 10}]  # back on the loop
    finally:
        inline.close()
