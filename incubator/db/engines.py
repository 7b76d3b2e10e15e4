"""Piccolo engines for SQLite and PostgreSQL, chosen from DATABASE_URL.

Both engines record every statement they run into a per-request list when one is
active, so tests and the benchmark can assert that a page issues a constant number of
queries.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Generic, TypeVar, cast

import aiosqlite
import msgspec
from asyncpg.exceptions import (
    InsufficientResourcesError,
    InterfaceError,
    OperatorInterventionError,
    PostgresConnectionError,
)
from asyncpg.pool import Pool
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.querystring import QueryString

from incubator.db.pg_pool import PostgresPool

T = TypeVar("T")

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


def recording() -> list[str] | None:
    """Where this task's SQL is being collected, if it is: for work done on its behalf in
    another task (incubator.ideas.supports), to be counted as its own."""
    return _recorded.get()


def _record(querystring: QueryString | str) -> None:
    queries = _recorded.get()
    if queries is not None:
        queries.append(str(querystring))


def _decode_timestamptz(value: bytes) -> datetime:
    """Piccolo writes UTC with its offset; a value without one (a SQL default) is UTC."""
    moment = datetime.fromisoformat(value.decode())
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _use_lean_sqlite_converters() -> None:
    """Piccolo registers a Python converter for every INTEGER, BOOLEAN, TIMESTAMPTZ and
    ARRAY value it reads (INTEGER through Decimal). SQLite already returns its integers
    as Python ints, so that converter goes; the others do the same in one call (an
    array is JSON text: msgspec decodes it in C, where Piccolo's took over a
    microsecond a value, a quarter of the board statement with a card's tags). On a page
    of cards these were a fifth of the database's cost. The registry is the sqlite3
    module's, for the whole process."""
    sqlite3.converters.pop("INTEGER", None)
    sqlite3.register_converter("BOOLEAN", b"1".__eq__)
    sqlite3.register_converter("TIMESTAMPTZ", _decode_timestamptz)
    sqlite3.register_converter("ARRAY", msgspec.json.decode)


_use_lean_sqlite_converters()


class TunedSQLiteConnection(sqlite3.Connection):
    """Every connection gets the pragmas a concurrent web app needs (only WAL persists)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.execute("PRAGMA foreign_keys = ON")
        self.execute("PRAGMA synchronous = NORMAL")
        self.execute("PRAGMA busy_timeout = 10000")


class _PooledTransaction(SQLiteTransaction):
    """A transaction on the engine's one writer connection, held for its whole life.

    It always begins IMMEDIATE, so it takes SQLite's write lock up front and other
    processes queue on busy_timeout instead of failing on a lock upgrade."""

    engine: IncubatorSQLiteEngine

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await self.engine.acquire_writer()
        try:
            await self.begin()
        except BaseException:
            await asyncio.shield(self.engine.release_writer(self.connection, settled=False))
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def begin(self) -> None:
        await self.connection.execute("BEGIN IMMEDIATE")

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        settled = False
        try:
            if exception is not None:
                if not self._rolled_back:
                    await self.connection.execute("ROLLBACK")
            elif not self._committed and not self._rolled_back:
                await self.connection.execute("COMMIT")
            settled = not isinstance(exception, asyncio.CancelledError)
        finally:
            self.engine.current_transaction.reset(self.context)
            # Shielded: a cancelled request must still hand back a clean writer.
            await asyncio.shield(self.engine.release_writer(self.connection, settled=settled))
        return exception is None


_READ_QUERY_TYPES = frozenset({"select", "count", "exists", "objects"})

# A statement gets this much CPU on the event loop's own connection before it moves to a
# thread. CPU time, not wall time: a preempted loop must not brand a quick one slow.
INLINE_BUDGET_SECONDS = 0.002
# SQLite calls the budget check every this many virtual-machine steps.
_PROGRESS_STEPS = 10_000
# A statement that overran the budget twice in a row goes straight to a thread for this
# long, then gets another try on the loop. A quick statement can overrun once (the loop's
# connection has a page cache of its own, cold at first; a garbage collection can come in
# the middle): it must not leave the loop for that, nor stay off it for good.
SLOW_SPELL_SECONDS = 30.0
_SLOW_STATEMENTS_REMEMBERED = 512
# The loop's writes leave checkpointing the WAL to the writer's thread, this often.
INLINE_WRITES_PER_CHECKPOINT = 200


class _InlineConnection:
    """A connection used on the event loop's thread, without a thread hop.

    Most statements take a fraction of a millisecond, less than handing them to a
    thread and waking the loop afterwards; under load that wake-up waits for a full
    turn of a busy loop. A progress handler interrupts any statement that runs past its
    budget (and one that would wait for a lock: busy_timeout is 0), and the engine then
    runs it again on a pooled thread; after two overruns in a row it goes straight there
    for a while (a spell). An interrupted write changes nothing: outside a transaction,
    SQLite rolls it back.

    Read-only, for reads; or the loop's writer, for single statements outside a
    transaction. That one never checkpoints the WAL (a checkpoint writes megabytes): the
    engine has its writer thread do it."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        *,
        writes: bool,
        slow_spell_seconds: float = SLOW_SPELL_SECONDS,
    ) -> None:
        self._connection = connection
        self._deadline = 0.0
        self._slow_spell = slow_spell_seconds
        self._slow: dict[str, float] = {}  # statement -> when its spell on threads ends
        self._overran: set[str] = set()  # statements whose last try on the loop overran
        if writes:
            connection.execute("PRAGMA wal_autocheckpoint = 0")
        else:
            connection.execute("PRAGMA query_only = 1")
        connection.execute("PRAGMA busy_timeout = 0")  # never block the loop on a lock
        connection.set_progress_handler(self._over_budget, _PROGRESS_STEPS)

    def _over_budget(self) -> bool:
        return time.thread_time() > self._deadline

    def try_run(self, sql: str, args: list[Any]) -> list[Any] | None:
        """The rows, or None when the statement belongs on a thread."""
        if (spell_ends := self._slow.get(sql)) is not None:
            if time.monotonic() < spell_ends:
                return None
            del self._slow[sql]
        self._deadline = time.thread_time() + INLINE_BUDGET_SECONDS
        try:
            cursor = self._connection.execute(sql, args)
            rows = cursor.fetchall()
        except sqlite3.OperationalError as error:
            message = str(error)
            if "interrupted" not in message and "locked" not in message:
                raise
            if "interrupted" in message:
                self._overrun(sql)
            return None
        self._overran.discard(sql)
        if not rows:
            return rows
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in rows]

    def _overrun(self, sql: str) -> None:
        if sql not in self._overran:
            if len(self._overran) < _SLOW_STATEMENTS_REMEMBERED:
                self._overran.add(sql)
            return
        self._overran.discard(sql)
        if len(self._slow) < _SLOW_STATEMENTS_REMEMBERED:
            self._slow[sql] = time.monotonic() + self._slow_spell

    def close(self) -> None:
        self._connection.close()


class FairPool(Generic[T]):
    """A fixed set of connections lent in the order they were asked for.

    asyncio.Queue (and asyncpg's pool, built on it) lets a task that arrives just as a
    connection comes back take it ahead of the task that was woken for it, which then
    queues again at the back. Under load some requests waited over a second while most
    took milliseconds (search at 32 connections: p50 21 ms, p99 1.4 s). A semaphore that
    wakes waiters first come, first served, guarding a free list, lends them in turn."""

    def __init__(self, items: list[T]) -> None:
        self._free = deque(items)
        self._turns = asyncio.Semaphore(len(items))

    async def acquire(self) -> T:
        await self._turns.acquire()
        return self._free.popleft()

    def release(self, item: T) -> None:
        self._free.append(item)
        self._turns.release()


class IncubatorSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine opens a connection (and a thread) per statement. Once
    `start_connection_pool` has run, this one keeps persistent connections instead: a few
    read-only readers for SELECTs, and one writer, behind a lock, for every write and
    transaction. Before that (command line, migrations) it behaves as stock Piccolo."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._readers: FairPool[aiosqlite.Connection] | None = None
        self._all_readers: list[aiosqlite.Connection] = []
        self._writer: aiosqlite.Connection | None = None
        self._inline: _InlineConnection | None = None
        self._inline_writer: _InlineConnection | None = None
        self._inline_writes = 0
        self._checkpoints: set[asyncio.Task[None]] = set()
        self._writer_lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def _connect(self, *, read_only: bool) -> aiosqlite.Connection:
        connection = await aiosqlite.connect(**self.connection_kwargs)
        connection.row_factory = dict_factory  # type: ignore[assignment]
        if read_only:
            await connection.execute("PRAGMA query_only = 1")
        return connection

    async def start_connection_pool(self, readers: int = 4, **_kwargs: Any) -> None:
        if self._writer is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._writer_lock = asyncio.Lock()
        self._writer = await self._connect(read_only=False)
        self._all_readers = [await self._connect(read_only=True) for _ in range(readers)]
        self._readers = FairPool(list(self._all_readers))
        self._inline = _InlineConnection(self._connect_inline(), writes=False)
        self._inline_writer = _InlineConnection(self._connect_inline(), writes=True)

    def _connect_inline(self) -> sqlite3.Connection:
        """Rows come as tuples: _InlineConnection names their columns once per statement,
        not once per row as Piccolo's dict_factory does."""
        connection: sqlite3.Connection = sqlite3.connect(**self.connection_kwargs)
        return connection

    async def close_connection_pool(self) -> None:
        async with self._writer_lock:
            connections = [*self._all_readers, *([self._writer] if self._writer else [])]
            self._writer, self._readers, self._all_readers, self._loop = None, None, [], None
            for inline in (self._inline, self._inline_writer):
                if inline is not None:
                    inline.close()
            self._inline = self._inline_writer = None
        for connection in connections:
            await connection.close()

    def _pooled(self) -> bool:
        """The pool serves only the event loop that opened it."""
        if self._writer is None:
            return False
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    async def acquire_writer(self) -> aiosqlite.Connection:
        if not self._pooled():
            return await self.get_connection()
        await self._writer_lock.acquire()
        assert self._writer is not None
        return self._writer

    async def release_writer(self, connection: aiosqlite.Connection, *, settled: bool) -> None:
        """Let the next writer in. Unless the holder saw its last statement finish
        (`settled`), first wait for anything still queued on the writer's thread and roll
        back whatever a cancelled task left open. (Unpooled: close the connection.)"""
        writer = self._writer
        if connection is not writer:
            await connection.close()
            return
        try:
            if not settled:
                await writer.execute("SELECT 1")
            if writer.in_transaction:
                await writer.rollback()
        finally:
            self._writer_lock.release()

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.immediate,
        allow_nested: bool = True,
    ) -> SQLiteTransaction:
        return _PooledTransaction(
            engine=self, transaction_type=TransactionType.immediate, allow_nested=allow_nested
        )

    async def _execute(self, connection: aiosqlite.Connection, sql: str, args: list[Any]) -> Any:
        """One trip to the connection's thread (execute, fetch and close in one go)."""
        return list(await connection.execute_fetchall(sql, args))

    async def _run(self, sql: str, args: list[Any], *, read: bool) -> Any:
        transaction = self.current_transaction.get()
        if transaction is not None:
            return await self._execute(transaction.connection, sql, args)
        if not self._pooled():
            return await self._run_in_new_connection(query=sql, args=args)
        if read:
            assert self._readers is not None
            assert self._inline is not None
            rows = self._inline.try_run(sql, args)
            if rows is not None:
                return rows
            reader = await self._readers.acquire()
            try:
                return await self._execute(reader, sql, args)
            finally:
                self._readers.release(reader)
        # A single statement tries the loop's connection first even while the writer is
        # lent: if a transaction holds the database, SQLite refuses it at once (busy_timeout
        # 0) and it queues for the writer. Queueing whenever the writer was lent made a
        # convoy: a write queued behind a checkpoint took a few turns of a busy loop to get
        # through, every write arriving meanwhile queued behind it, and at 20 sign-ins a
        # second under load a sign-in's one UPDATE waited 1.5-3 s.
        if self._inline_writer is not None:
            rows = self._inline_writer.try_run(sql, args)
            if rows is not None:
                self._wrote_inline()
                return rows
        return await self._on_writer(sql, args)

    async def _on_writer(self, sql: str, args: list[Any]) -> Any:
        """One statement on the writer's thread, holding the writer for it alone."""
        writer = await self.acquire_writer()
        settled = False
        try:
            rows = await self._execute(writer, sql, args)
            settled = True
            return rows
        finally:
            await asyncio.shield(self.release_writer(writer, settled=settled))

    def _wrote_inline(self) -> None:
        self._inline_writes += 1
        if self._inline_writes % INLINE_WRITES_PER_CHECKPOINT == 0:
            task = asyncio.get_running_loop().create_task(self._checkpoint())
            self._checkpoints.add(task)
            task.add_done_callback(self._checkpoints.discard)

    async def _checkpoint(self) -> None:
        """Copy the WAL back into the database on the writer's thread, as its commits do."""
        await self._on_writer("PRAGMA wal_checkpoint(PASSIVE)", [])

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False) -> Any:
        _record(querystring)
        sql, args = querystring.compile_string(engine_type=self.engine_type)
        read = querystring.query_type in _READ_QUERY_TYPES or sql.lstrip()[:6].upper() == "SELECT"
        return await self._run(sql, args, read=read)

    async def run_ddl(self, ddl: str, in_pool: bool = False) -> Any:
        _record(ddl)
        return await self._run(ddl, [], read=False)


class _PostgresTransaction(PostgresTransaction):
    """Piccolo's transaction, giving its connection back whatever happens: Piccolo's
    own keeps it when BEGIN, COMMIT or ROLLBACK fails (a cancelled request, a dropped
    connection), and the pool would lose that place for good. A connection whose
    transaction did not end cleanly is closed, not lent again."""

    engine: IncubatorPostgresEngine
    _lender: PostgresPool | None

    async def __aenter__(self) -> PostgresTransaction:
        if self._parent is not None:
            return self._parent
        pool = self.engine.pool
        self._lender = pool if isinstance(pool, PostgresPool) else None
        if self._lender is not None:
            self.connection = await self._lender.take()
        else:  # no pool: the command line, before the app has started
            self.connection = await self.engine.get_new_connection()
        self.transaction = self.connection.transaction()
        try:
            await self.transaction.start()
        except BaseException:
            await self._give_back(settled=False)
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(
        self,
        exception_type: type[BaseException] | None,
        exception: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if self._parent:
            return exception is None
        settled = False
        try:
            if exception:
                if not self._rolled_back:
                    await self.transaction.rollback()
            elif not self._committed and not self._rolled_back:
                await self.transaction.commit()
            settled = True
        finally:
            self.engine.current_transaction.reset(self.context)
            await self._give_back(settled=settled)
        return exception is None

    async def _give_back(self, *, settled: bool) -> None:
        if self._lender is not None:
            await self._lender.release(self.connection, settled=settled)
        else:
            await self.connection.close()


class IncubatorPostgresEngine(PostgresEngine):
    """Piccolo's PostgreSQL engine on our own connection pool (see incubator.db.pg_pool),
    where a statement outside a transaction borrows a connection for just that
    statement."""

    async def start_connection_pool(self, max_size: int = 10, **_kwargs: Any) -> None:
        if self.pool is not None:
            raise RuntimeError("the connection pool is already open")
        self.pool = cast("Pool", PostgresPool(self.get_new_connection, max_size))

    async def close_connection_pool(self) -> None:
        pool, self.pool = self.pool, None
        if isinstance(pool, PostgresPool):
            await pool.close()

    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return _PostgresTransaction(engine=self, allow_nested=allow_nested)

    async def run_querystring(self, querystring: QueryString, in_pool: bool = True) -> Any:
        _record(querystring)
        pool = self.pool
        if not isinstance(pool, PostgresPool) or not in_pool or self.current_transaction.get():
            return await super().run_querystring(querystring, in_pool=in_pool)
        sql, args = querystring.compile_string(engine_type=self.engine_type)
        return await pool.fetch(sql, args)

    async def run_ddl(self, ddl: str, in_pool: bool = True) -> Any:
        _record(ddl)
        return await super().run_ddl(ddl, in_pool=in_pool)


# The database cannot serve right now, whatever the request: refused or dropped connections,
# a server shutting down or starting up (57P01-03), out of connections or disk (53xxx),
# a timeout. Nothing is wrong with the request, and the same one may succeed shortly.
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    PostgresConnectionError,
    OperatorInterventionError,
    InsufficientResourcesError,
)


def database_unavailable(error: BaseException) -> bool:
    """True when the error says "the database is unavailable, try again shortly" rather
    than "this request is wrong": down, restarting, saturated, or (SQLite) still locked
    by another process once busy_timeout has run out."""
    seen: set[int] = set()
    current: BaseException | None = error
    # Follow the chain: a transaction that loses its connection fails again on ROLLBACK
    # ("the underlying connection is closed"), hiding the first error behind the second.
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _UNAVAILABLE):
            return True
        if isinstance(current, InterfaceError) and "connection is closed" in str(current):
            return True
        if isinstance(current, sqlite3.OperationalError) and any(
            word in str(current) for word in ("locked", "busy")
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


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
