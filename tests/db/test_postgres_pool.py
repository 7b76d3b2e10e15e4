"""The PostgreSQL pool hands a connection back without a reset query (asyncpg's pool sent
one more round trip after every statement), opens connections only when needed, and
never lends one in an unknown state: inside a transaction, or interrupted mid-statement."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
import uuid

import asyncpg
import pytest
from piccolo.querystring import QueryString

from incubator.accounts.tables import Skill
from incubator.db.pg_pool import PostgresPool
from incubator.db.transactions import engine, is_sqlite, transaction
from incubator.settings import get_settings
from tests.conftest import Run

pytestmark = pytest.mark.skipif(is_sqlite(), reason="the PostgreSQL pool")


async def _rows(sql: str, *args: object) -> list[dict[str, object]]:
    return [dict(row) for row in await engine().run_querystring(QueryString(sql, *args))]


def test_a_released_connection_has_run_no_reset_query(run: Run) -> None:
    marker = f"probe-{uuid.uuid4().hex}"

    async def last_statement() -> tuple[object, str]:
        probed = await _rows(f"SELECT '{marker}' AS probe, pg_backend_pid() AS pid")
        # From outside the pool: what the pooled connection ran last, once released.
        observer = await asyncpg.connect(get_settings().database_url)
        try:
            last = await observer.fetchval(
                "SELECT query FROM pg_stat_activity WHERE pid = $1", probed[0]["pid"]
            )
        finally:
            await observer.close()
        return probed[0]["probe"], str(last)

    probe, last = run(last_statement())
    assert probe == marker
    assert marker in last  # with asyncpg's default reset: "SELECT pg_advisory_unlock_all()…"


def test_a_failed_transaction_leaves_nothing_for_the_next_borrower(run: Run) -> None:
    class Refused(Exception):
        pass

    async def scenario() -> tuple[list[dict[str, object]], int]:
        try:
            async with transaction():
                await Skill.insert(Skill(name="left behind")).run()
                raise Refused
        except Refused:
            pass
        states = await _rows(
            "SELECT state FROM pg_stat_activity WHERE datname = current_database() "
            "AND state LIKE 'idle in transaction%'"
        )
        return states, await Skill.count().where(Skill.name == "left behind").run()

    assert run(scenario()) == ([], 0)


class _Counted:
    """Real connections to the test database, counted as they open."""

    def __init__(self) -> None:
        self.opened: list[asyncpg.Connection] = []

    async def __call__(self) -> asyncpg.Connection:
        connection = await asyncpg.connect(get_settings().database_url)
        self.opened.append(connection)
        return connection


def test_connections_open_only_when_a_statement_needs_one() -> None:
    async def scenario() -> tuple[int, int, int]:
        connect = _Counted()
        pool = PostgresPool(connect, 3)
        before = len(connect.opened)
        await pool.fetch("SELECT 1", [])
        await pool.fetch("SELECT 2", [])  # the same connection again
        after_two = len(connect.opened)
        await asyncio.gather(*(pool.fetch("SELECT pg_sleep(0.05)", []) for _ in range(5)))
        await pool.close()
        return before, after_two, len(connect.opened)

    assert asyncio.run(scenario()) == (0, 1, 3)  # never more than the pool's size


def test_an_interrupted_statement_closes_its_connection_and_frees_its_place() -> None:
    async def scenario() -> tuple[bool, int]:
        connect = _Counted()
        pool = PostgresPool(connect, 1)
        slow = asyncio.create_task(pool.fetch("SELECT pg_sleep(10)", []))
        await asyncio.sleep(0.2)
        slow.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await slow
        # The one place is free again, on a new connection, not the interrupted one.
        rows = await asyncio.wait_for(pool.fetch("SELECT 7 AS n", []), timeout=5)
        await pool.close()
        return connect.opened[0].is_closed(), rows[0]["n"]

    assert asyncio.run(scenario()) == (True, 7)


def test_a_connection_the_server_dropped_is_replaced() -> None:
    async def scenario() -> tuple[bool, int]:
        pool = PostgresPool(_Counted(), 1)
        first = (await pool.fetch("SELECT pg_backend_pid() AS pid", []))[0]["pid"]
        await _terminate(first)
        await asyncio.sleep(0.3)  # the loop reads the server's goodbye
        second = (await pool.fetch("SELECT pg_backend_pid() AS pid", []))[0]["pid"]
        await pool.close()
        return second != first, second

    changed, _pid = asyncio.run(scenario())
    assert changed


def test_a_refused_statement_keeps_its_connection() -> None:
    async def scenario() -> int:
        connect = _Counted()
        pool = PostgresPool(connect, 1)
        with pytest.raises(asyncpg.PostgresError):
            await pool.fetch("SELECT 1 / 0", [])
        await pool.fetch("SELECT 1", [])
        await pool.close()
        return len(connect.opened)

    assert asyncio.run(scenario()) == 1


def test_idle_connections_close_after_their_lifetime() -> None:
    async def scenario() -> tuple[bool, bool]:
        connect = _Counted()
        pool = PostgresPool(connect, 2, idle_lifetime=0.1)
        first, second = await pool.take(), await pool.take()
        await pool.release(first)
        await asyncio.sleep(0.2)
        await pool.release(second)  # returning one closes those idle for too long
        await pool.close()
        return first.is_closed(), connect.opened == [first, second]

    assert asyncio.run(scenario()) == (True, True)


def test_a_transaction_whose_connection_dropped_gives_its_place_back(run: Run) -> None:
    """Piccolo's own transaction keeps its connection when ROLLBACK fails (the server
    went away mid-transaction): the pool lost that place for good, and once every place
    was lost every page waited forever."""

    async def scenario() -> int:
        for _ in range(get_settings().db_pool_size + 1):
            with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, OSError)):
                await _lose_the_connection_in_a_transaction()
        return await asyncio.wait_for(_write_and_count(), timeout=10)

    assert run(scenario()) == 1


async def _lose_the_connection_in_a_transaction() -> None:
    async with transaction():
        pid = await engine().run_querystring(QueryString("SELECT pg_backend_pid() AS pid"))
        await _terminate(pid[0]["pid"])
        await engine().run_querystring(QueryString("SELECT 1"))


async def _terminate(pid: int) -> None:
    observer = await asyncpg.connect(get_settings().database_url)
    try:
        await observer.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await observer.close()


async def _write_and_count() -> int:
    async with transaction():
        await Skill.insert(Skill(name="after the dropped connections")).run()
    return int(await Skill.count().where(Skill.name == "after the dropped connections").run())


def test_closing_does_not_wait_for_a_server_that_stopped_answering() -> None:
    """A frozen backend (SIGSTOP) never answers the goodbye: closing the pool gives up on
    it after its timeout and still closes the others."""

    async def scenario() -> tuple[bool, bool, float]:
        connect = _Counted()
        pool = PostgresPool(connect, 2, close_timeout=0.5)
        frozen, healthy = await pool.take(), await pool.take()
        pid = await frozen.fetchval("SELECT pg_backend_pid()")
        await pool.release(frozen)  # the longest idle: closed first
        await pool.release(healthy)
        os.kill(pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            await asyncio.wait_for(pool.close(), timeout=10)
            took = time.monotonic() - started
        finally:
            os.kill(pid, signal.SIGCONT)
        return frozen.is_closed(), healthy.is_closed(), took

    frozen_closed, healthy_closed, took = asyncio.run(scenario())
    assert frozen_closed
    assert healthy_closed
    assert took < 5
