"""The command line on a fresh database of the backend under test."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.conftest import BACKEND, POSTGRES_ADMIN_URL, _admin_execute


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[str]:
    if BACKEND == "sqlite":
        yield f"sqlite:///{tmp_path / 'cli.db'}"
        return
    name = f"incubator_cli_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin_execute(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(_admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def incubator(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "INCUBATOR_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run(
        [sys.executable, "-m", "incubator", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )


async def _fetch(database_url: str, sql: str) -> list[tuple[Any, ...]]:
    if database_url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(database_url.split("///", 1)[1]) as connection:
            return list(connection.execute(sql).fetchall())
    connection = await asyncpg.connect(database_url)
    try:
        return [tuple(row) for row in await connection.fetch(sql)]
    finally:
        await connection.close()


def test_migrate_is_safe_to_run_twice(fresh_database: str, tmp_path: Path) -> None:
    first = incubator(fresh_database, tmp_path, "migrate")
    second = incubator(fresh_database, tmp_path, "migrate")
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert asyncio.run(_fetch(fresh_database, "SELECT count(*) FROM person")) == [(0,)]


def test_createadmin_without_a_terminal(fresh_database: str, tmp_path: Path) -> None:
    result = incubator(
        fresh_database,
        tmp_path,
        "createadmin",
        "--email",
        "Root@Example.com",
        "--password",
        "a long password",
        "--name",
        "Root",
    )
    assert result.returncode == 0, result.stderr
    rows = asyncio.run(_fetch(fresh_database, "SELECT email, password_hash FROM person"))
    assert rows[0][0] == "root@example.com"
    assert str(rows[0][1]).startswith("$argon2id$")
    refused = incubator(fresh_database, tmp_path, "createadmin", "--email", "x@example.com")
    assert refused.returncode == 2


def test_demo_seeds_a_bilingual_company_once(fresh_database: str, tmp_path: Path) -> None:
    result = incubator(fresh_database, tmp_path, "demo")
    assert result.returncode == 0, result.stderr
    assert "ada@demo.example" in result.stdout
    assert "incubator-demo" in result.stdout
    again = incubator(fresh_database, tmp_path, "demo")
    assert again.returncode == 0, again.stderr
    people = asyncio.run(_fetch(fresh_database, "SELECT count(*) FROM person"))
    departments = {
        row[0] for row in asyncio.run(_fetch(fresh_database, "SELECT name FROM department"))
    }
    assert people == [(12,)]
    assert {"Service client", "Marketing", "Opérations", "IT", "Finance", "RH"} <= departments
    locales = {row[0] for row in asyncio.run(_fetch(fresh_database, "SELECT locale FROM person"))}
    assert locales == {"en", "fr"}
    counts = {
        table: asyncio.run(_fetch(fresh_database, f"SELECT count(*) FROM {table}"))[0][0]  # noqa: S608
        for table in (
            "challenge",
            "idea",
            "support",
            "comment",
            "role_wanted",
            "insight",
            "insight_link",
        )
    }
    assert counts["challenge"] >= 5
    assert counts["idea"] >= 12
    assert min(counts.values()) > 0
    spans = asyncio.run(
        _fetch(
            fresh_database,
            """
        SELECT team_member.idea, count(DISTINCT person.department)
        FROM team_member JOIN person ON person.id = team_member.person
        GROUP BY team_member.idea""",
        )
    )
    assert {departments > 1 for _idea, departments in spans} == {True, False}
    pending = asyncio.run(
        _fetch(fresh_database, "SELECT count(*) FROM join_request WHERE status = 'pending'")
    )
    assert pending[0][0] > 0


def test_production_refuses_to_start_without_a_secret_key(
    fresh_database: str, tmp_path: Path
) -> None:
    env = {**os.environ, "DATABASE_URL": fresh_database, "INCUBATOR_ENV": "production"}
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "-m", "incubator", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2
    assert "SECRET_KEY is required" in result.stderr


def test_the_scheduler_runs_one_pass(fresh_database: str, tmp_path: Path) -> None:
    assert incubator(fresh_database, tmp_path, "migrate").returncode == 0
    result = incubator(fresh_database, tmp_path, "scheduler", "--once")
    assert result.returncode == 0, result.stderr
    assert "0 round(s) decided or extended." in result.stdout
