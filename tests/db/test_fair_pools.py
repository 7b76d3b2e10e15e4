"""Connections are lent in the order they were asked for: a task that asks just as one
comes back does not take it from the task that has been waiting (under load, such
barging left some requests waiting over a second while most took milliseconds)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from incubator.db.engines import FairPool
from incubator.db.pg_pool import PostgresPool
from incubator.db.transactions import is_sqlite
from incubator.settings import get_settings


async def lending_order(
    acquire: Callable[[], Awaitable[Any]], release: Callable[[Any], Awaitable[None]]
) -> list[str]:
    """Two tasks wait for the only connection; when it comes back, a newcomer asks at
    once, before either waiter has run again."""
    held = await acquire()
    order: list[str] = []

    async def borrow(name: str) -> None:
        connection = await acquire()
        order.append(name)
        await asyncio.sleep(0)
        await release(connection)

    waiting = [asyncio.create_task(borrow(name)) for name in ("first", "second")]
    await asyncio.sleep(0.01)
    await release(held)
    await borrow("newcomer")
    await asyncio.gather(*waiting)
    return order


def test_the_sqlite_readers_go_to_the_longest_waiting_first() -> None:
    async def scenario() -> list[str]:
        pool = FairPool(["reader"])

        async def release(item: str) -> None:
            pool.release(item)

        return await lending_order(pool.acquire, release)

    assert asyncio.run(scenario()) == ["first", "second", "newcomer"]


def test_a_waiter_cancelled_in_line_loses_no_connection() -> None:
    async def scenario() -> list[str]:
        pool = FairPool(["a", "b"])
        held = [await pool.acquire(), await pool.acquire()]
        gave_up = asyncio.create_task(pool.acquire())
        await asyncio.sleep(0)
        gave_up.cancel()
        for item in held:
            pool.release(item)
        return sorted([await pool.acquire(), await pool.acquire()])

    assert asyncio.run(scenario()) == ["a", "b"]


@pytest.mark.skipif(is_sqlite(), reason="the PostgreSQL pool")
def test_the_postgresql_pool_lends_in_turn_both_ways_piccolo_borrows() -> None:
    async def scenario() -> list[str]:
        url = get_settings().database_url
        pool = PostgresPool(lambda: asyncpg.connect(url), 1)
        try:
            order = await lending_order(pool.take, pool.release)
            async with pool.acquire() as connection:  # as Piccolo borrows for a statement
                assert await connection.fetchval("SELECT 1") == 1
            return order
        finally:
            await pool.close()

    assert asyncio.run(scenario()) == ["first", "second", "newcomer"]
