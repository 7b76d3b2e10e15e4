"""The dashboard's figures aggregate every idea and round: at 100,000 ideas that is
seconds of database work, too much to redo for every leader who opens the page.

Snapshots live in the shared "pipeline" store (Redis when configured, else files), so
every worker serves the one computed last, stamped with its time:

- a snapshot older than `pipeline_cache_seconds` is served while one refresh runs
  behind it (stale-while-revalidate);
- a change that moves the figures (an idea proposed or merged, a stage change, a round
  opened, extended or decided) sets a new `version` once it has committed; a snapshot
  of an older version is refreshed at once, and the request waits for it up to
  `WAIT_FOR_CHANGE_SECONDS` before it is served the old one, marked as outdated;
- one computation per set of filters runs at a time, in this worker (tasks) and across
  workers (a lease in the database); the others serve what there is meanwhile."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from weakref import WeakKeyDictionary

from litestar.stores.base import Store

from incubator.db.jobs import hold_lease, release_lease
from incubator.db.transactions import after_commit
from incubator.settings import get_settings
from incubator.web.stores import shared_store

logger = logging.getLogger(__name__)
Figures = dict[str, Any]
Compute = Callable[[], Awaitable[Figures]]
VERSION_KEY = "version"
WAIT_FOR_CHANGE_SECONDS = 2.0
# A snapshot is kept this long after it was written, as the answer while a newer one is
# computed; a worker that dies while computing gives its lease up after COMPUTE_LEASE.
KEEP_FOR = timedelta(days=2)
COMPUTE_LEASE = timedelta(minutes=5)
POLL_SECONDS = 0.25
POLLS_PER_LEASE_TRY = 8


@dataclass(frozen=True)
class Snapshot:
    figures: Figures
    computed_at: datetime
    version: str = ""
    outdated: bool = False  # a change since is not in these figures yet

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "figures": self.figures,
                "computed_at": self.computed_at.isoformat(),
                "version": self.version,
            },
            default=_plain,
            separators=(",", ":"),
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Snapshot:
        raw = json.loads(data)
        return cls(raw["figures"], datetime.fromisoformat(raw["computed_at"]), raw["version"])


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not a figure")


class SnapshotCache:
    """Snapshots by key in `store`, for one event loop (its tasks belong to that loop)."""

    def __init__(self, store: Store, fresh_for: timedelta) -> None:
        self.store = store
        self.fresh_for = fresh_for
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._computing: dict[str, asyncio.Task[Snapshot | None]] = {}

    async def get(self, key: str, compute: Compute) -> Snapshot:
        version = await self.version()
        snapshot = await self._stored(key)
        while snapshot is None:  # nothing to serve yet: wait for a first computation
            snapshot = await self._computed(key, version, compute, COMPUTE_LEASE.seconds)
        if snapshot.version != version:
            refreshed = await self._computed(
                key, version, compute, WAIT_FOR_CHANGE_SECONDS, of_version=version
            )
            return refreshed or replace(snapshot, outdated=True)
        if datetime.now(UTC) - snapshot.computed_at >= self.fresh_for:
            self._refresh(key, version, compute)
        return snapshot

    async def version(self) -> str:
        stored = await self.store.get(VERSION_KEY)
        return stored.decode() if stored else ""

    async def invalidate(self) -> None:
        await self.store.set(VERSION_KEY, uuid.uuid4().hex)

    async def _stored(self, key: str) -> Snapshot | None:
        data = await self.store.get(f"figures:{key}")
        return Snapshot.from_bytes(data) if data else None

    async def _computed(
        self,
        key: str,
        version: str,
        compute: Compute,
        within: float,
        *,
        of_version: str | None = None,
    ) -> Snapshot | None:
        """A snapshot computed now, by this worker or by the one holding the key's lease
        (of `of_version` if given), or None after `within` seconds."""
        try:
            async with asyncio.timeout(within):
                while True:
                    if snapshot := await asyncio.shield(self._refresh(key, version, compute)):
                        return snapshot
                    for _ in range(POLLS_PER_LEASE_TRY):  # until the holder's lease lapses
                        await asyncio.sleep(POLL_SECONDS)
                        stored = await self._stored(key)
                        if stored and of_version in (None, stored.version):
                            return stored
        except TimeoutError:
            return None

    def _refresh(self, key: str, version: str, compute: Compute) -> asyncio.Task[Snapshot | None]:
        """This worker's running computation for the key, or a new one. It answers None
        when another worker holds the key's lease."""
        if (task := self._computing.get(key)) is not None:
            return task

        async def run() -> Snapshot | None:
            lease = f"pipeline:{key}"
            try:
                if not await hold_lease(
                    lease, self.holder, now=datetime.now(UTC), ttl=COMPUTE_LEASE
                ):
                    return None
                try:
                    snapshot = Snapshot(await compute(), datetime.now(UTC), version)
                    await self.store.set(f"figures:{key}", snapshot.to_bytes(), KEEP_FOR)
                    return snapshot
                finally:
                    await release_lease(lease, self.holder)
            finally:
                del self._computing[key]

        task = self._computing[key] = asyncio.create_task(run())
        task.add_done_callback(_log_failure)
        return task


def _log_failure(task: asyncio.Task[Snapshot | None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        logger.error("Pipeline figures could not be computed", exc_info=error)


_caches: WeakKeyDictionary[asyncio.AbstractEventLoop, SnapshotCache] = WeakKeyDictionary()


def shared_cache() -> SnapshotCache:
    """This loop's view of the shared snapshots (a Redis client serves one loop)."""
    loop = asyncio.get_running_loop()
    fresh_for = timedelta(seconds=get_settings().pipeline_cache_seconds)
    if (cache := _caches.get(loop)) is None:
        cache = _caches[loop] = SnapshotCache(shared_store("pipeline"), fresh_for)
    cache.fresh_for = fresh_for
    return cache


async def figures_changed() -> None:
    """Outdate every snapshot once the current transaction commits (so that a refresh
    it starts sees the change). Without caching there is nothing to outdate."""
    if get_settings().pipeline_cache_seconds:
        await after_commit(shared_cache().invalidate)
