"""Piccolo engines for SQLite and PostgreSQL, chosen from DATABASE_URL.

Both engines record every statement they run into a per-request list when one is
active, so tests and the benchmark can assert that a page issues a constant number of
queries.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString

_recorded: ContextVar[list[str] | None] = ContextVar("incubator_recorded_queries", default=None)


@contextmanager
def recording_queries() -> Iterator[list[str]]:
    """Collect the SQL run by this task (and the tasks it starts) while the block runs."""
    queries: list[str] = []
    token = _recorded.set(queries)
    try:
        yield queries
    finally:
        _recorded.reset(token)


def _record(querystring: QueryString | str) -> None:
    queries = _recorded.get()
    if queries is not None:
        queries.append(str(querystring))


class TunedSQLiteConnection(sqlite3.Connection):
    """Every connection gets the pragmas a concurrent web app needs (only WAL persists)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.execute("PRAGMA foreign_keys = ON")
        self.execute("PRAGMA synchronous = NORMAL")
        self.execute("PRAGMA busy_timeout = 10000")


class IncubatorSQLiteEngine(SQLiteEngine):
    async def run_querystring(self, querystring: QueryString, in_pool: bool = False) -> Any:
        _record(querystring)
        return await super().run_querystring(querystring, in_pool=in_pool)

    async def run_ddl(self, ddl: str, in_pool: bool = False) -> Any:
        _record(ddl)
        return await super().run_ddl(ddl, in_pool=in_pool)


class IncubatorPostgresEngine(PostgresEngine):
    async def run_querystring(self, querystring: QueryString, in_pool: bool = True) -> Any:
        _record(querystring)
        return await super().run_querystring(querystring, in_pool=in_pool)

    async def run_ddl(self, ddl: str, in_pool: bool = True) -> Any:
        _record(ddl)
        return await super().run_ddl(ddl, in_pool=in_pool)


def enable_wal(path: str) -> None:
    """WAL is a property of the file: set it once, before the app opens connections."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode = WAL")


def engine_for(database_url: str) -> Engine[Any]:
    if database_url.startswith("sqlite"):
        path = database_url.split("://", 1)[1].removeprefix("/") or "incubator.db"
        return IncubatorSQLiteEngine(path=path, factory=TunedSQLiteConnection, timeout=10)
    dsn = "postgresql://" + database_url.split("://", 1)[1]
    return IncubatorPostgresEngine(config={"dsn": dsn})
