"""One way to open a write transaction, and one way to recognise a unique violation."""

from __future__ import annotations

import sqlite3
from typing import Any

from asyncpg.exceptions import UniqueViolationError
from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.sqlite import SQLiteEngine, TransactionType


def engine() -> Engine[Any]:
    db = engine_finder()
    assert db is not None, "piccolo_conf defines no engine"
    return db


def is_sqlite() -> bool:
    return isinstance(engine(), SQLiteEngine)


def transaction() -> Any:
    """A write transaction. On SQLite it begins IMMEDIATE so concurrent writers queue on the
    file lock instead of failing with "database is locked" when they upgrade a read lock."""
    db = engine()
    if isinstance(db, SQLiteEngine):
        return db.transaction(transaction_type=TransactionType.immediate)
    return db.transaction()


def is_unique_violation(error: BaseException) -> bool:
    if isinstance(error, UniqueViolationError):
        return True
    return isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error)
