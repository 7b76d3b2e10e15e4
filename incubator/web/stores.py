"""The key/value stores every worker shares: sessions, rate limits, cached figures. In
Redis when REDIS_URL is set (any number of machines), else in files under the data
directory (the workers of one machine)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from litestar.stores.base import StorageObject, Store
from litestar.stores.file import FileStore
from litestar.stores.redis import RedisStore
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from incubator.settings import Settings

STORE_NAMES = ("sessions", "login-throttle", "rate-limit", "pipeline")


def build_stores(settings: Settings) -> dict[str, Store]:
    if settings.redis_url:
        root = RedisStore.with_client(url=settings.redis_url, namespace="incubator")
        return {name: root.with_namespace(name) for name in STORE_NAMES}
    base = Path(settings.data_dir) / "stores"
    return {name: LocalFileStore(base / name, create_directories=True) for name in STORE_NAMES}


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


class LocalFileStore(FileStore):
    """Litestar's FileStore, reading on the event loop itself.

    Every page reads its session. The file is a few hundred bytes in the page cache of
    a local disk: reading it takes microseconds, far less than handing the read to a
    thread and waking the loop again. Writes (rare: sign-in, a change, a renewal) still
    go through a thread, atomically, as FileStore does them."""

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        path = self._path_from_key(key)
        try:
            with open(path, "rb") as stored:  # noqa: ASYNC230 - see the class docstring
                storage_obj = StorageObject.from_bytes(stored.read())
        except FileNotFoundError:
            return None
        if storage_obj.expired:
            await path.unlink(missing_ok=True)
            return None
        if renew_for and storage_obj.expires_at:
            await self.set(key, value=storage_obj.data, expires_in=renew_for)
        return storage_obj.data
