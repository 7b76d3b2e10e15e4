"""Key/value stores for sessions and rate limits when no Redis is configured."""

from __future__ import annotations

from datetime import timedelta

from litestar.stores.base import StorageObject
from litestar.stores.file import FileStore


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
