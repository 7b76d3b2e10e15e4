"""One way to open a write transaction, one way to run something once it has committed,
and one way to recognise a unique violation."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any

from asyncpg.exceptions import UniqueViolationError
from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

AfterCommit = Callable[[], Awaitable[None]]


class _Pending:
    """What the outermost open transaction runs once it commits."""

    def __init__(self) -> None:
        self.callbacks: list[AfterCommit] = []
        self.open = True


_pending: ContextVar[_Pending | None] = ContextVar("incubator_after_commit", default=None)


@cache
def engine() -> Engine[Any]:
    """piccolo_conf's engine, found once as Piccolo's tables do (finding it imports the
    configuration module again: a tenth of the Python a board query costs)."""
    db = engine_finder()
    assert db is not None, "piccolo_conf defines no engine"
    return db


def is_sqlite() -> bool:
    return isinstance(engine(), SQLiteEngine)


def in_transaction() -> bool:
    """Whether the current task is inside an open transaction."""
    return engine().current_transaction.get() is not None


def _begin(db: Engine[Any]) -> Any:
    if isinstance(db, SQLiteEngine):
        return db.transaction(transaction_type=TransactionType.immediate)
    return db.transaction()


@asynccontextmanager
async def transaction() -> AsyncIterator[Any]:
    """A write transaction. On SQLite it begins IMMEDIATE so concurrent writers queue on the
    file lock instead of failing with "database is locked" when they upgrade a read lock.
    Inside another one it joins it; the outermost runs the `after_commit` callbacks once
    it has committed (never after a rollback)."""
    db = engine()
    outer = _pending.get()
    if outer is not None and outer.open:
        async with _begin(db) as joined:
            yield joined
        return
    pending = _Pending()
    token = _pending.set(pending)
    try:
        async with _begin(db) as started:
            yield started
    finally:
        pending.open = False
        _pending.reset(token)
    for callback in pending.callbacks:
        await callback()


async def after_commit(callback: AfterCommit) -> None:
    """Run `callback` once the current transaction commits; at once outside one. For what
    other processes must only see after the change is visible to them (a cache's
    invalidation, for one)."""
    pending = _pending.get()
    if pending is not None and pending.open:
        pending.callbacks.append(callback)
    else:
        await callback()


def is_unique_violation(error: BaseException) -> bool:
    if isinstance(error, UniqueViolationError):
        return True
    return isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error)
