"""bench/seed.py writes where it is told, and the package picks no database on import."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import asyncpg

from tests.conftest import BACKEND
from tests.test_cli import fresh_database

__all__ = ["fresh_database"]

ROOT = Path(__file__).resolve().parent.parent

IMPORT_EVERYTHING = """
import importlib, pkgutil, sys
sys.path.insert(0, "bench")
import incubator
from incubator.settings import get_settings
for module in pkgutil.walk_packages(incubator.__path__, "incubator."):
    if "migrations" in module.name or module.name.endswith(("piccolo_conf", "__main__")):
        continue
    importlib.import_module(module.name)
import seed
print(get_settings.cache_info().currsize)
"""


def test_importing_the_package_reads_no_settings() -> None:
    """A module that compiled SQL at import looked up the engine, and so read DATABASE_URL
    before bench/seed.py (or any command) had set it: the seed filled ./incubator.db."""
    answer = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERYTHING],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert answer.stdout.strip() == "0", answer.stderr


def test_the_seed_fills_the_database_it_names(fresh_database: str, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.db"
    answer = subprocess.run(
        [
            sys.executable,
            "bench/seed.py",
            "--database-url",
            fresh_database,
            *("--people", "250", "--ideas", "1000", "--votes", "5000", "--comments", "2000"),
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{elsewhere}"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert answer.returncode == 0, answer.stdout + answer.stderr
    summary = json.loads(answer.stdout.strip().splitlines()[-1])
    assert summary["ideas"] == 1000
    assert not elsewhere.exists()
    assert _ideas_in(fresh_database) == 1000


def _ideas_in(database_url: str) -> int:
    if BACKEND == "sqlite":
        with closing(sqlite3.connect(database_url.removeprefix("sqlite:///"))) as db:
            return int(db.execute("SELECT count(*) FROM idea").fetchone()[0])

    async def count() -> int:
        connection = await asyncpg.connect(database_url)
        try:
            return int(await connection.fetchval("SELECT count(*) FROM idea"))
        finally:
            await connection.close()

    return asyncio.run(count())
