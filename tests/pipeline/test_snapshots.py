"""The dashboard's figures are computed once per minute and filters, not per request:
concurrent first requests share one computation, a fresh snapshot is served as is, and
a stale one is served while one refresh runs behind it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from incubator.pipeline.queries import Filters, cached_dashboard
from incubator.pipeline.snapshots import SnapshotCache
from tests import factories
from tests.conftest import Persona, Run


def test_concurrent_first_requests_share_one_computation_and_stale_ones_refresh_behind() -> None:
    calls: list[int] = []

    async def compute() -> dict[str, object]:
        calls.append(1)
        await asyncio.sleep(0.05)
        return {"computed": len(calls)}

    async def scenario() -> list[object]:
        cache = SnapshotCache(timedelta(seconds=60))
        first = await asyncio.gather(*(cache.get("all", compute) for _ in range(10)))
        fresh = await cache.get("all", compute)
        cache.fresh_for = timedelta(0)  # now everything is stale
        stale = await cache.get("all", compute)
        again = await cache.get("all", compute)  # the refresh is already running
        await asyncio.sleep(0.1)
        refreshed = await cache.get("other", compute)
        return [
            {snapshot.figures["computed"] for snapshot in first},
            fresh.figures["computed"],
            stale.figures["computed"],
            again.figures["computed"],
            refreshed.figures["computed"],
            len(calls),
        ]

    assert asyncio.run(scenario()) == [{1}, 1, 1, 1, 3, 3]


def test_cached_figures_are_the_computed_ones(run: Run, personas: dict[str, Persona]) -> None:
    run(factories.idea(personas["ada"].id))
    fresh = run(cached_dashboard(Filters(), timedelta(0)))
    cached = run(cached_dashboard(Filters(), timedelta(seconds=60)))
    run(factories.idea(personas["ada"].id, title="A second idea"))
    still = run(cached_dashboard(Filters(), timedelta(seconds=60)))
    assert cached.figures == fresh.figures
    assert still.computed_at == cached.computed_at
    assert still.figures["funnel"] == fresh.figures["funnel"]
    assert run(cached_dashboard(Filters(), timedelta(0))).figures != fresh.figures
