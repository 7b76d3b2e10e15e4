"""PostgreSQL connections for one worker: opened on demand, lent first come first served.

asyncpg's own pool costs about as much Python per statement as the statement itself: each
borrow goes through a holder, a proxy object and, on return, a task of its own (the
release is shielded from cancellation) and a reset. A board page borrowed twice; with
this pool a plain read costs a semaphore turn and a list operation on each side
(~130 → ~75 µs of the worker's CPU per statement, measured on the board's query).

What asyncpg's pool gave that this one keeps: a cap on connections, none opened before
they are needed (while the database is down nothing retries in the background), broken
connections replaced, idle ones closed after a while, and no connection lent again in an
unknown state — one that comes back inside a transaction, or from a statement that was
interrupted, is closed instead of reused.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any

from asyncpg import Connection, InterfaceError, PostgresError, Record

IDLE_LIFETIME_S = 300.0  # as asyncpg's pool: an idle connection closes after five minutes
CLOSE_TIMEOUT_S = 5.0


class PostgresPool:
    """Up to `size` connections from `connect`, each lent to one task at a time.

    Tasks get a connection in the order they asked (a semaphore wakes its waiters in
    turn; see FairPool in incubator.db.engines for why that matters under load). The most
    recently returned connection is lent first, so under light load the others age out
    and close."""

    def __init__(
        self,
        connect: Callable[[], Awaitable[Connection]],
        size: int,
        *,
        idle_lifetime: float = IDLE_LIFETIME_S,
        close_timeout: float = CLOSE_TIMEOUT_S,
    ) -> None:
        self._connect = connect
        self._idle_lifetime = idle_lifetime
        self._close_timeout = close_timeout
        self._turns = asyncio.Semaphore(size)
        self._idle: deque[tuple[Connection, float]] = deque()
        self._closed = False

    def acquire(self) -> _Borrowing:
        """`await pool.acquire()` (then `release`), or `async with pool.acquire() as c:`,
        as Piccolo borrows."""
        return _Borrowing(self)

    async def take(self) -> Connection:
        if self._closed:
            raise ConnectionError("the connection pool is closed")
        await self._turns.acquire()
        try:
            connection = self._reusable()
            if connection is None:
                connection = await self._connect()
        except BaseException:
            self._turns.release()
            raise
        return connection

    def _reusable(self) -> Connection | None:
        while self._idle:
            connection, _since = self._idle.pop()
            if not connection.is_closed():
                return connection
        return None

    async def release(self, connection: Connection, *, settled: bool = True) -> None:
        """Take a connection back. `settled=False` says its last statement did not finish
        (cancelled, or the connection failed): it is closed, not lent again."""
        try:
            if self._closed or not settled or connection.is_in_transaction():
                connection.terminate()
            elif not connection.is_closed():
                now = time.monotonic()
                self._idle.append((connection, now))
                self._close_stale(now)
        finally:
            self._turns.release()

    def _close_stale(self, now: float) -> None:
        while self._idle and now - self._idle[0][1] > self._idle_lifetime:
            connection, _since = self._idle.popleft()
            connection.terminate()

    async def fetch(self, sql: str, args: Sequence[Any]) -> list[Record]:
        """One statement outside any transaction, on a borrowed connection."""
        connection = await self.take()
        settled = False
        try:
            rows: list[Record] = await connection.fetch(sql, *args)
            settled = True
            return rows
        except PostgresError:
            settled = True  # the server refused the statement; the connection is fine
            raise
        finally:
            await self.release(connection, settled=settled)

    async def close(self) -> None:
        """Close the idle connections now and the lent ones as they come back. A server
        that no longer answers gets `close_timeout` seconds, then its connection is
        dropped."""
        self._closed = True
        while self._idle:
            connection, _since = self._idle.popleft()
            # On a timeout or a broken socket asyncpg has dropped the connection itself.
            with contextlib.suppress(TimeoutError, OSError, InterfaceError):
                await connection.close(timeout=self._close_timeout)


class _Borrowing:
    def __init__(self, pool: PostgresPool) -> None:
        self._pool = pool
        self._connection: Connection | None = None

    def __await__(self) -> Any:
        return self._pool.take().__await__()

    async def __aenter__(self) -> Connection:
        self._connection = await self._pool.take()
        return self._connection

    async def __aexit__(
        self,
        exception_type: type[BaseException] | None,
        exception: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._connection is not None
        settled = exception is None or isinstance(exception, PostgresError)
        await self._pool.release(self._connection, settled=settled)
