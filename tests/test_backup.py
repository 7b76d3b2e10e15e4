"""`incubator backup` and `incubator restore` through the real command line: a realistic
company round-trips into a fresh database exactly, its audit chain intact; backups taken
while people write are consistent; a database with data is not overwritten by mistake."""

from __future__ import annotations

import asyncio
import gzip
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from incubator.demo import seed_demo
from incubator.gates.tables import GateRound
from incubator.ideas.services import toggle_support
from incubator.ideas.tables import Idea
from tests import factories
from tests.conftest import BACKEND, POSTGRES_ADMIN_URL, Run, _admin_execute

Rows = dict[str, list[tuple[Any, ...]]]


def _new_postgres() -> str:
    name = f"incubator_restore_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin_execute(f'CREATE DATABASE "{name}"'))
    return name


@pytest.fixture
def new_database(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Fresh empty databases (`sqlite` or `postgres`), dropped afterwards."""
    created: list[str] = []

    def make(kind: str = BACKEND) -> str:
        if kind == "sqlite":
            return f"sqlite:///{tmp_path / f'restored-{uuid.uuid4().hex[:6]}.db'}"
        created.append(_new_postgres())
        return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + created[-1]

    yield make
    for name in created:
        asyncio.run(_admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def incubator(database_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "incubator", *args],
        env={**os.environ, "DATABASE_URL": database_url, "INCUBATOR_DATA_DIR": str(cwd / "data")},
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        check=False,
    )


async def _async_incubator(database_url: str, cwd: Path, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "incubator",
        *args,
        env={**os.environ, "DATABASE_URL": database_url, "INCUBATOR_DATA_DIR": str(cwd / "data")},
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    return int(process.returncode or 0), output.decode()


def every_row(database_url: str) -> Rows:
    """Every table's rows, all columns, as the database stores them, in key order."""
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.split("///", 1)[1]) as connection:
            tables = connection.execute("PRAGMA table_list").fetchall()
            rows: Rows = {}
            for _schema, name, kind, *_rest in tables:
                if kind not in ("table", "virtual") or name.startswith("sqlite_"):
                    continue
                columns = "rowid, *" if kind == "virtual" else "*"
                rows[name] = connection.execute(
                    f'SELECT {columns} FROM "{name}" ORDER BY 1'  # noqa: S608
                ).fetchall()
            return rows
    return asyncio.run(_postgres_rows(database_url))


async def _postgres_rows(database_url: str) -> Rows:
    connection = await asyncpg.connect(database_url)
    try:
        names = await connection.fetch(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
        rows: Rows = {}
        for record in names:
            name = record["table_name"]
            selected = "idea_id, document::text" if name == "idea_search" else "*"
            fetched = await connection.fetch(f'SELECT {selected} FROM "{name}" ORDER BY 1')  # noqa: S608
            rows[name] = [tuple(row) for row in fetched]
        return rows
    finally:
        await connection.close()


def _without_migrations(rows: Rows) -> Rows:
    """The migration table records when each migration ran here, not the data."""
    return {name: table for name, table in rows.items() if name != "migration"}


SEEDED = (
    "person",
    "challenge",
    "idea",
    "idea_tag",
    "support",
    "comment",
    "team_member",
    "gate_round",
    "vote",
    "insight",
    "notification",
    "audit_event",
    "idea_search",
)


async def decided_rounds() -> list[dict[str, Any]]:
    return list(await GateRound.select(GateRound.id).where(GateRound.status != "open").run())


def test_a_company_round_trips_exactly(
    run: Run, new_database: Callable[[str], str], tmp_path: Path
) -> None:
    run(seed_demo())
    source = os.environ["DATABASE_URL"]
    before = every_row(source)
    for table in SEEDED:
        assert before[table], f"the demo left {table} empty"
    assert run(decided_rounds()), "no gate round was decided"

    file = tmp_path / "company.backup.gz"
    made = incubator(source, tmp_path, "backup", str(file))
    assert made.returncode == 0, made.stderr
    target = new_database(BACKEND)
    restored = incubator(target, tmp_path, "restore", str(file))
    assert restored.returncode == 0, restored.stderr
    after = every_row(target)
    assert _without_migrations(after) == _without_migrations(before)
    assert {row[1:3] for row in after["migration"]} == {row[1:3] for row in before["migration"]}

    verified = incubator(target, tmp_path, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert f"OK: {len(before['audit_event'])} audit events" in verified.stdout

    # The restored portal goes on: new rows get fresh ids (sequences moved past the restored
    # ones) and chain onto the restored log.
    added = incubator(
        target, tmp_path, "createadmin", "--email", "new@example.com", "--password", "long secret"
    )
    assert added.returncode == 0, added.stderr
    people = every_row(target)["person"]
    assert people[-1][0] == max(row[0] for row in before["person"]) + 1
    events = every_row(target)["audit_event"]
    assert events[: len(before["audit_event"])] == before["audit_event"]
    assert events[len(before["audit_event"])][0] == before["audit_event"][-1][0] + 1
    assert incubator(target, tmp_path, "audit", "verify").returncode == 0

    # A database with data is not overwritten unless asked, and then only as a whole.
    refused = incubator(target, tmp_path, "restore", str(file))
    assert refused.returncode == 1
    assert "not empty" in refused.stderr
    assert every_row(target)["person"] == people
    forced = incubator(target, tmp_path, "restore", "--force", str(file))
    assert forced.returncode == 0, forced.stderr
    assert _without_migrations(every_row(target)) == _without_migrations(before)
    assert incubator(target, tmp_path, "audit", "verify").returncode == 0


def test_a_backup_taken_while_people_write_is_consistent(
    run: Run, new_database: Callable[[str], str], tmp_path: Path
) -> None:
    """Supports toggle in a loop while the backup runs: each toggle moves a support row and
    the idea's counter in one transaction, so a torn copy would show a count that differs
    from its rows."""
    run(seed_demo())
    source, file = os.environ["DATABASE_URL"], tmp_path / "busy.backup.gz"

    async def busy_backup() -> tuple[int, str, int]:
        ideas = await Idea.select(Idea.id, Idea.author).order_by(Idea.id).limit(6).run()
        people = [await factories.actor(person_id) for person_id in range(1, 9)]
        writes = 0
        stop = asyncio.Event()

        async def writer() -> None:
            nonlocal writes
            while not stop.is_set():
                for idea in ideas:
                    for actor in people:
                        if actor.id != idea["author"]:
                            await toggle_support(actor, idea["id"])
                            writes += 1

        task = asyncio.create_task(writer())
        await asyncio.sleep(0.2)
        started = writes
        code, output = await _async_incubator(source, tmp_path, "backup", str(file))
        during = writes - started
        stop.set()
        await task
        return code, output, during

    code, output, during = run(busy_backup())
    assert code == 0, output
    assert during > 0, "nothing was written while the backup ran"
    target = new_database(BACKEND)
    restored = incubator(target, tmp_path, "restore", str(file))
    assert restored.returncode == 0, restored.stderr
    assert incubator(target, tmp_path, "audit", "verify").returncode == 0
    mismatched = _fetch(
        target,
        "SELECT idea.id FROM idea WHERE idea.support_count != "
        "(SELECT count(*) FROM support WHERE support.idea = idea.id)",
    )
    assert mismatched == []


def _fetch(database_url: str, sql: str) -> list[tuple[Any, ...]]:
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.split("///", 1)[1]) as connection:
            return list(connection.execute(sql).fetchall())

    async def fetch() -> list[tuple[Any, ...]]:
        connection = await asyncpg.connect(database_url)
        try:
            return [tuple(row) for row in await connection.fetch(sql)]
        finally:
            await connection.close()

    return asyncio.run(fetch())


def test_a_backup_restores_into_the_other_engine(
    run: Run, new_database: Callable[[str], str], tmp_path: Path
) -> None:
    run(seed_demo())
    source, file = os.environ["DATABASE_URL"], tmp_path / "portable.backup.gz"
    before = every_row(source)
    assert incubator(source, tmp_path, "backup", str(file)).returncode == 0
    other = new_database("postgres" if BACKEND == "sqlite" else "sqlite")
    restored = incubator(other, tmp_path, "restore", str(file))
    assert restored.returncode == 0, restored.stderr
    assert "Rebuilt the search index" in restored.stdout
    after = every_row(other)
    for name, rows in _without_migrations(before).items():
        if name.startswith("idea_search"):
            continue  # the index is the engine's own: rebuilt, not copied
        assert len(after[name]) == len(rows), name
        assert [row[0] for row in after[name]] == [row[0] for row in rows], name
    unmerged = _fetch(other, "SELECT count(*) FROM idea WHERE merged_into IS NULL")
    assert len(after["idea_search"]) == unmerged[0][0]
    # The audit chain's hashes are computed from the values, not the engine's text forms.
    verified = incubator(other, tmp_path, "audit", "verify")
    assert verified.returncode == 0, verified.stderr


def test_a_damaged_backup_is_refused_and_changes_nothing(
    run: Run, new_database: Callable[[str], str], tmp_path: Path
) -> None:
    run(seed_demo())
    file = tmp_path / "whole.backup.gz"
    assert incubator(os.environ["DATABASE_URL"], tmp_path, "backup", str(file)).returncode == 0
    lines = gzip.decompress(file.read_bytes()).splitlines(keepends=True)
    cut = tmp_path / "cut.backup.gz"
    cut.write_bytes(gzip.compress(b"".join(lines[: len(lines) // 2])))
    target = new_database(BACKEND)
    result = incubator(target, tmp_path, "restore", str(cut))
    assert result.returncode == 1
    assert "truncated" in result.stderr
    assert _fetch(target, "SELECT count(*) FROM person") == [(0,)]
    garbage = tmp_path / "not-a-backup.gz"
    garbage.write_bytes(b"hello")
    assert "not an Incubator backup" in incubator(target, tmp_path, "restore", str(garbage)).stderr
