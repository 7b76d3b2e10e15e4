"""The key/value stores every worker shares: sessions, rate limits, cached figures. In
Redis when REDIS_URL is set (any number of machines), else in files under the data
directory (the workers of one machine)."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import time
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Protocol, runtime_checkable
from weakref import WeakKeyDictionary

from litestar.stores.base import StorageObject, Store
from litestar.stores.file import FileStore, _safe_file_name
from litestar.stores.redis import RedisStore
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from incubator.settings import Settings, get_settings

STORE_NAMES = ("sessions", "login-throttle", "rate-limit", "pipeline", "identities")


@runtime_checkable
class CountingStore(Protocol):
    async def count_hit(self, key: str, window_seconds: int) -> tuple[int, int]:
        """Count one more hit in the key's window, atomically for every worker sharing the
        store; the hits so far (this one included) and the seconds until the window ends.
        A window starts at its first hit."""
        ...


def build_stores(settings: Settings) -> dict[str, Store]:
    if settings.redis_url:
        root = CountingRedisStore.with_client(url=settings.redis_url, namespace="incubator")
        return {name: root.with_namespace(name) for name in STORE_NAMES}
    base = Path(settings.data_dir) / "stores"
    return {name: LocalFileStore(base / name, create_directories=True) for name in STORE_NAMES}


_shared: WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Store]] = WeakKeyDictionary()


def shared_store(name: str) -> Store:
    """The named store as the app sees it, for code outside a request (services, the
    scheduler); one set per event loop, since a Redis client serves one loop."""
    loop = asyncio.get_running_loop()
    if (stores := _shared.get(loop)) is None:
        stores = _shared[loop] = build_stores(get_settings())
    return stores[name]


async def read_together(reads: list[tuple[Store, str]]) -> list[bytes | None]:
    """Each (store, key)'s value, in one round trip (MGET) when the stores share a Redis
    client: a page that needs two small values does not wait twice."""
    names: list[str] = []
    client = None
    for store, key in reads:
        if not isinstance(store, RedisStore) or client not in (None, store._redis):
            return [await store.get(key) for store, key in reads]
        client = store._redis
        names.append(store._make_key(key))
    if client is None:
        return []
    if (reader := _readers.get(client)) is None:
        reader = _readers[client] = _JointReader()
    return await reader.read(client, names)


class _JointReader:
    """The MGETs asked of one client in one turn of the event loop, sent as one
    (auto-pipelining): under load a worker starts many requests in a turn, and each
    would otherwise cost Redis a wake-up and this worker a round trip of its own. (It
    holds no reference to its client, which keys it weakly.)"""

    def __init__(self) -> None:
        self.waiting: list[tuple[list[str], asyncio.Future[list[bytes | None]]]] = []
        self.sending: set[asyncio.Task[None]] = set()

    async def read(self, client: Redis, names: list[str]) -> list[bytes | None]:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[list[bytes | None]] = loop.create_future()
        if not self.waiting:
            # Its first step runs once the requests already scheduled this turn have run.
            task = loop.create_task(self._send(client))
            self.sending.add(task)
            task.add_done_callback(self.sending.discard)
        self.waiting.append((names, answer))
        return await answer

    async def _send(self, client: Redis) -> None:
        waiting, self.waiting = self.waiting, []
        try:
            values = await client.mget([name for names, _ in waiting for name in names])
        except Exception as error:
            for _, answer in waiting:
                if not answer.done():
                    answer.set_exception(error)
            return
        start = 0
        for names, answer in waiting:
            if not answer.done():
                answer.set_result(values[start : start + len(names)])
            start += len(names)


_readers: WeakKeyDictionary[Redis, _JointReader] = WeakKeyDictionary()


async def write_together(
    store: Store, values: Mapping[str, bytes | str], expires_in: timedelta
) -> None:
    """Set every key to its value, in one round trip (a pipeline) on Redis: telling the
    followers of a busy idea costs one, not one per follower."""
    if isinstance(store, RedisStore):
        async with store._redis.pipeline(transaction=False) as pipe:
            for key, value in values.items():
                pipe.set(store._make_key(key), value, ex=expires_in)
            await pipe.execute()
        return
    for key, value in values.items():
        await store.set(key, value, expires_in)


def store_unavailable(error: BaseException) -> bool:
    """True when Redis cannot be reached (down, restarting, or too slow to answer): an
    outage to ride out, not a bug."""
    current: BaseException | None = error
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, RedisConnectionError | RedisTimeoutError):
            return True
        current = current.__cause__ or current.__context__
    return False


class CountingRedisStore(RedisStore):
    """Litestar's RedisStore, with an atomic hit counter: INCR in one round trip."""

    async def count_hit(self, key: str, window_seconds: int) -> tuple[int, int]:
        name = self._make_key(key)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window_seconds, nx=True)
            pipe.ttl(name)
            count, _set, seconds_left = await pipe.execute()
        return int(count), max(1, int(seconds_left))


class LocalFileStore(FileStore):
    """Litestar's FileStore, working on the event loop itself.

    Every page reads its session. The file is a few hundred bytes in the page cache of
    a local disk: reading it takes microseconds, far less than handing the read to a
    thread and waking the loop again. Writing one (sign-in, a change, a renewal) is a
    new file renamed over the old, as FileStore does it, and no fsync: microseconds too,
    where each thread hop waited for a turn of a busy loop (under load a sign-in spent
    ~180 ms per hop, and took three). Its files are named by FileStore's own function,
    joined to a plain string path (FileStore's asynchronous Path costs more to build
    than the read itself)."""

    def __init__(self, path: Path, *, create_directories: bool = False) -> None:
        super().__init__(path, create_directories=create_directories)
        self._directory = os.fspath(path)

    def _file_of(self, key: str) -> str:
        return os.path.join(self._directory, _safe_file_name(key))

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        os.makedirs(self._directory, exist_ok=True)
        data = value.encode() if isinstance(value, str) else value
        self._write_sync(self._path_from_key(key), StorageObject.new(data, expires_in))

    async def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._file_of(key))

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        try:
            # On the loop: see the class docstring.
            with open(self._file_of(key), "rb", buffering=0) as stored:  # noqa: ASYNC230
                storage_obj = StorageObject.from_bytes(stored.readall())
        except FileNotFoundError:
            return None
        if storage_obj.expired:
            await self.delete(key)
            return None
        if renew_for and storage_obj.expires_at:
            await self.set(key, value=storage_obj.data, expires_in=renew_for)
        return storage_obj.data

    def count_hit_now(self, key: str, window_seconds: int) -> tuple[int, int]:
        """`count_hit` without awaiting. The counter is a few bytes of a file under an
        exclusive lock (the workers of this machine share it); the lock is held for
        microseconds, on the event loop."""
        os.makedirs(self._directory, exist_ok=True)
        descriptor = os.open(self._file_of(key), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            now = int(time.time())
            count, ends_at = 0, now + window_seconds
            stored = os.read(descriptor, 64).split()
            valid = len(stored) == 2 and stored[0].isdigit() and stored[1].isdigit()
            if valid and int(stored[1]) > now:  # a window still running
                count, ends_at = int(stored[0]), int(stored[1])
            count += 1
            os.lseek(descriptor, 0, os.SEEK_SET)
            os.ftruncate(descriptor, 0)
            os.write(descriptor, f"{count} {ends_at}".encode())
        finally:
            os.close(descriptor)  # and with it the lock
        return count, ends_at - now

    async def count_hit(self, key: str, window_seconds: int) -> tuple[int, int]:
        return self.count_hit_now(key, window_seconds)
