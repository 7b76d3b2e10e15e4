"""The PostgreSQL pool hands a connection back without asyncpg's reset query (one more
round trip after every statement) and still never hands on an open transaction."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from piccolo.querystring import QueryString

from incubator.accounts.tables import Skill
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
