"""The audit log's hash chain: a clean chain verifies, and every kind of tampering is
caught at the right event, on the real database and through the real command line."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from piccolo.querystring import QueryString

from incubator.accounts import services as accounts
from incubator.db.audit import GENESIS, event_hash, record_event, verify_chain
from incubator.db.transactions import engine, is_sqlite
from tests import factories
from tests.conftest import PASSWORD, SQLITE_AUDIT_TRIGGERS, Persona, Run

BACKFILL = import_module("incubator.db.piccolo_migrations.core_2026_12_02t05_40_00_000000")


async def _sql(sql: str, *args: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await engine().run_querystring(QueryString(sql, *args))
    return rows


@asynccontextmanager
async def triggers_lifted() -> AsyncIterator[None]:
    """What an attacker with database access (or a careless script) would do first."""
    if is_sqlite():
        for name in SQLITE_AUDIT_TRIGGERS:
            await engine().run_ddl(f"DROP TRIGGER IF EXISTS {name}")
    else:
        await engine().run_ddl("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
    try:
        yield
    finally:
        if is_sqlite():
            for sql in SQLITE_AUDIT_TRIGGERS.values():
                await engine().run_ddl(sql)
        else:
            await engine().run_ddl("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")


async def _events(count: int) -> list[dict[str, Any]]:
    for number in range(count):
        await record_event(
            actor_id=number % 3 or None,
            action="test.event",
            subject_type="idea",
            subject_id=number,
            data={"n": number, "text": "idée n°" + str(number), "nested": {"b": [1, 2], "a": None}},
        )
    return await _sql("SELECT id, hash, prev_hash FROM audit_event ORDER BY id")


def verify_cli(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "incubator", "audit", "verify", "--batch", "7"],
        env={**os.environ, "INCUBATOR_DATA_DIR": str(tmp_path / "data")},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )


def test_a_clean_chain_verifies(personas: dict[str, Persona], run: Run, tmp_path: Path) -> None:
    rows = run(_events(25))  # more than a few batches of 7
    assert rows[0]["prev_hash"] == GENESIS
    assert all(row["prev_hash"] == before["hash"] for before, row in itertools.pairwise(rows))
    report = run(verify_chain(batch=7))
    assert report.ok
    assert report.count == len(rows)
    assert (report.head_id, report.head_hash) == (rows[-1]["id"], rows[-1]["hash"])
    result = verify_cli(tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"OK: {len(rows)} audit events" in result.stdout


def test_an_empty_log_verifies(run: Run) -> None:
    report = run(verify_chain())
    assert (report.ok, report.count, report.head_id) == (True, 0, None)


def test_an_edited_event_is_caught_where_it_was_edited(run: Run, tmp_path: Path) -> None:
    rows = run(_events(12))
    target = rows[5]["id"]

    async def tamper() -> None:
        async with triggers_lifted():
            await _sql("UPDATE audit_event SET data = {} WHERE id = {}", '{"n": 999}', target)

    run(tamper())
    report = run(verify_chain(batch=4))
    assert (report.ok, report.broken_id, report.count) == (False, target, 5)
    result = verify_cli(tmp_path)
    assert result.returncode == 1
    assert f"BROKEN at audit event #{target}" in result.stderr


@pytest.mark.parametrize("column", ["actor_id", "subject_id", "action", "at"])
def test_any_edited_column_is_caught(run: Run, column: str) -> None:
    rows = run(_events(4))
    target = rows[2]["id"]
    value: Any = {
        "actor_id": 42,
        "subject_id": 42,
        "action": "test.rewritten",
        "at": datetime(2020, 1, 1, tzinfo=UTC),
    }[column]

    async def tamper() -> None:
        async with triggers_lifted():
            await _sql(f"UPDATE audit_event SET {column} = {{}} WHERE id = {{}}", value, target)  # noqa: S608

    run(tamper())
    assert run(verify_chain()).broken_id == target


def test_a_removed_event_is_caught_at_the_one_after_it(run: Run, tmp_path: Path) -> None:
    rows = run(_events(10))
    removed, after = rows[4]["id"], rows[5]["id"]

    async def tamper() -> None:
        async with triggers_lifted():
            await _sql("DELETE FROM audit_event WHERE id = {}", removed)

    run(tamper())
    report = run(verify_chain(batch=3))
    assert (report.broken_id, report.count) == (after, 4)
    assert verify_cli(tmp_path).returncode == 1


def _forged(event_id: int, prev_hash: str) -> tuple[str, list[Any]]:
    at = datetime.now(UTC)
    data = {"forged": True}
    digest = event_hash(
        prev_hash=prev_hash,
        event_id=event_id,
        actor_id=1,
        action="role.changed",
        subject_type="person",
        subject_id=1,
        data=data,
        at=at,
    )
    sql = (
        "INSERT INTO audit_event (id, actor_id, action, subject_type, subject_id, data, at, "
        "prev_hash, hash) VALUES ({}, 1, 'role.changed', 'person', 1, {}, {}, {}, {})"
    )
    return sql, [event_id, json.dumps(data), at, prev_hash, digest]


def test_a_forged_event_in_the_middle_is_caught(run: Run) -> None:
    """Even a forger who hashes correctly cannot splice a row in without rewriting every
    later one: the next event still links to the original."""
    rows = run(_events(8))
    replaced, after = rows[3], rows[4]

    async def tamper() -> None:
        async with triggers_lifted():
            await _sql("DELETE FROM audit_event WHERE id = {}", replaced["id"])
        sql, args = _forged(replaced["id"], rows[2]["hash"])
        await _sql(sql, *args)  # inserts pass the triggers: nothing to lift

    run(tamper())
    assert run(verify_chain()).broken_id == after["id"]


def test_a_forged_event_at_the_end_is_caught(run: Run) -> None:
    rows = run(_events(5))
    forged_id = rows[-1]["id"] + 1
    sql, args = _forged(forged_id, rows[-1]["hash"])
    args[-1] = "f" * 64  # not the hash of what it says
    run(_sql(sql, *args))
    assert run(verify_chain()).broken_id == forged_id


def test_a_fork_of_the_chain_is_refused(run: Run) -> None:
    """Two events may never claim the same predecessor (a unique index)."""
    rows = run(_events(3))
    sql, args = _forged(rows[-1]["id"] + 1, rows[0]["hash"])
    with pytest.raises(Exception, match=r"(?i)unique"):
        run(_sql(sql, *args))
    assert run(verify_chain()).ok


def test_the_migration_backfills_existing_events_in_id_order(run: Run) -> None:
    rows = run(_events(9))

    async def unchain() -> None:
        # The log as it was before the chain existed: no hashes, no fork guard.
        await engine().run_ddl("DROP INDEX IF EXISTS audit_event_prev_hash_uniq")
        async with triggers_lifted():
            await _sql("UPDATE audit_event SET prev_hash = '', hash = ''")
        manager = await BACKFILL.forwards()
        await manager.run()

    run(unchain())
    assert run(_sql("SELECT id, hash, prev_hash FROM audit_event ORDER BY id")) == rows
    assert run(verify_chain()).ok
    with pytest.raises(Exception, match="append-only"):  # the guard is back
        run(_sql("UPDATE audit_event SET action = 'x'"))
    sql, args = _forged(rows[-1]["id"] + 1, rows[0]["hash"])
    with pytest.raises(Exception, match=r"(?i)unique"):
        run(_sql(sql, *args))


def test_fifty_concurrent_writers_keep_one_linear_chain(
    personas: dict[str, Persona], run: Run
) -> None:
    """Fifty role changes at once, each a transaction that appends through the real
    service: none fails or deadlocks, and the chain has no fork or gap in its links."""

    async def people() -> list[int]:
        ids = []
        for number in range(50):
            person = await accounts.register(
                email=f"writer{number}@example.com",
                name=f"Writer {number}",
                password=PASSWORD,
                department="IT",
            )
            ids.append(int(person.id))
        return ids

    ids = run(people())
    before = run(verify_chain()).count

    async def storm() -> float:
        admin = await factories.actor(personas["ida"].id)
        started = time.monotonic()
        await asyncio.wait_for(
            asyncio.gather(
                *(accounts.set_roles(admin, person_id, ["steward"]) for person_id in ids)
            ),
            timeout=60,
        )
        return time.monotonic() - started

    elapsed = run(storm())
    report = run(verify_chain())
    assert report.ok, report
    assert report.count == before + 50
    hashes = run(_sql("SELECT prev_hash FROM audit_event"))
    assert len({row["prev_hash"] for row in hashes}) == report.count
    assert elapsed < 30
