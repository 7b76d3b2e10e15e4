"""The dashboard's figures aggregate every idea and round: at 100,000 ideas that is
seconds of database work, too much to redo for every leader who opens the page. Each
worker computes them at most once per `pipeline_cache_seconds` for each set of filters;
meanwhile requests get the last snapshot, stamped with its time, and a stale one is
refreshed in the background (stale-while-revalidate). Only the first request for a set
of filters waits, and concurrent first requests share one computation."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

logger = logging.getLogger(__name__)
Figures = dict[str, Any]
Compute = Callable[[], Awaitable[Figures]]
MAX_SNAPSHOTS = 256


@dataclass
class Snapshot:
    figures: Figures
    computed_at: datetime


class SnapshotCache:
    """Snapshots by key, for one event loop (its tasks belong to that loop)."""

    def __init__(self, fresh_for: timedelta) -> None:
        self.fresh_for = fresh_for
        self._snapshots: dict[Hashable, Snapshot] = {}
        self._computing: dict[Hashable, asyncio.Task[Snapshot]] = {}

    async def get(self, key: Hashable, compute: Compute) -> Snapshot:
        snapshot = self._snapshots.get(key)
        if snapshot is None:
            return await asyncio.shield(self._refresh(key, compute))
        if datetime.now(UTC) - snapshot.computed_at >= self.fresh_for:
            self._refresh(key, compute)
        return snapshot

    def _refresh(self, key: Hashable, compute: Compute) -> asyncio.Task[Snapshot]:
        """The running computation for this key, or a new one."""
        if (task := self._computing.get(key)) is not None:
            return task

        async def run() -> Snapshot:
            try:
                snapshot = Snapshot(await compute(), datetime.now(UTC))
                if len(self._snapshots) >= MAX_SNAPSHOTS:
                    self._snapshots.pop(next(iter(self._snapshots)))
                self._snapshots[key] = snapshot
                return snapshot
            finally:
                del self._computing[key]

        task = self._computing[key] = asyncio.create_task(run())
        task.add_done_callback(_log_failure)
        return task


def _log_failure(task: asyncio.Task[Snapshot]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        logger.error("Pipeline figures could not be computed", exc_info=error)


_caches: WeakKeyDictionary[asyncio.AbstractEventLoop, SnapshotCache] = WeakKeyDictionary()


def cache_for_this_loop(fresh_for: timedelta) -> SnapshotCache:
    loop = asyncio.get_running_loop()
    if (cache := _caches.get(loop)) is None or cache.fresh_for != fresh_for:
        cache = _caches[loop] = SnapshotCache(fresh_for)
    return cache
