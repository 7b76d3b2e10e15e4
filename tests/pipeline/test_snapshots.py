"""The dashboard's figures are computed once per minute and filters, not per request,
and shared by every worker: concurrent first requests share one computation, a fresh
snapshot is served as is, a stale one is served while one refresh runs behind it, and a
change that moves the figures outdates them once it has committed."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis
from litestar import Litestar
from litestar.stores.memory import MemoryStore

from incubator.app import create_app
from incubator.db.jobs import hold_lease, release_lease
from incubator.db.transactions import transaction
from incubator.pipeline.queries import Filters, cached_dashboard
from incubator.pipeline.snapshots import SnapshotCache, figures_changed, shared_cache
from incubator.settings import get_settings
from tests import factories
from tests.conftest import Browser, Persona, Run

REDIS_URL = os.environ.get("INCUBATOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(params=["files", "redis"])
def app(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Litestar]:
    """This module's servers cache figures for a minute, as production does, in the
    store of one machine's workers or in Redis."""
    monkeypatch.setenv("INCUBATOR_PIPELINE_CACHE_SECONDS", "60")
    if request.param == "redis":
        redis.Redis.from_url(REDIS_URL).flushdb()
        monkeypatch.setenv("REDIS_URL", REDIS_URL)
    get_settings.cache_clear()
    yield create_app()
    get_settings.cache_clear()
    if request.param == "redis":
        redis.Redis.from_url(REDIS_URL).flushdb()


class Refused(Exception):
    """What rolls the test's transaction back."""


class Counting:
    def __init__(self, seconds: float = 0.05) -> None:
        self.calls = 0
        self.seconds = seconds

    async def __call__(self) -> dict[str, object]:
        self.calls += 1
        await asyncio.sleep(self.seconds)
        return {"computed": self.calls}


def test_concurrent_first_requests_share_one_computation_and_stale_ones_refresh_behind(
    run: Run,
) -> None:
    compute = Counting()

    async def scenario() -> list[object]:
        cache = SnapshotCache(MemoryStore(), timedelta(seconds=60))
        first = await asyncio.gather(*(cache.get("all", compute) for _ in range(10)))
        fresh = await cache.get("all", compute)
        cache.fresh_for = timedelta(0)  # now everything is stale
        stale = await cache.get("all", compute)
        again = await cache.get("all", compute)  # the refresh is already running
        await asyncio.sleep(0.2)
        refreshed = await cache.get("all", compute)
        await asyncio.sleep(0.2)
        return [
            {snapshot.figures["computed"] for snapshot in first},
            fresh.figures["computed"],
            stale.figures["computed"],
            again.figures["computed"],
            refreshed.figures["computed"],
            compute.calls,
        ]

    # The last read found the refreshed snapshot stale too, and started a third run.
    assert run(scenario()) == [{1}, 1, 1, 1, 2, 3]


def test_a_worker_serves_what_the_worker_holding_the_lease_computes(run: Run) -> None:
    """Two workers (two caches, two holders, one store): while one computes, the other
    waits for its snapshot instead of computing the same figures a second time."""
    store = MemoryStore()
    slow, other = Counting(seconds=0.5), Counting()

    async def scenario() -> tuple[object, object]:
        a = SnapshotCache(store, timedelta(seconds=60))
        b = SnapshotCache(store, timedelta(seconds=60))
        computing = asyncio.create_task(a.get("all", slow))
        await asyncio.sleep(0.1)  # a holds the lease now
        from_b = await b.get("all", other)
        return (await computing).figures, from_b.figures

    assert run(scenario()) == ({"computed": 1}, {"computed": 1})
    assert (slow.calls, other.calls) == (1, 0)


def test_an_outdated_snapshot_is_served_marked_while_its_refresh_is_slow(run: Run) -> None:
    compute = Counting(seconds=3)

    async def scenario() -> list[object]:
        cache = SnapshotCache(MemoryStore(), timedelta(seconds=60))
        first = await cache.get("all", compute)
        await cache.invalidate()
        outdated = await cache.get("all", compute)  # waits 2 s, then answers
        return [first.outdated, outdated.outdated, outdated.figures, compute.calls]

    assert run(scenario()) == [False, True, {"computed": 1}, 2]


def test_a_computation_waits_for_a_lease_left_by_a_dead_worker_to_lapse(run: Run) -> None:
    """A worker that died computing left its lease: the first reader neither computes
    beside it nor waits forever; it computes once the lease has run out."""
    compute = Counting()

    async def scenario() -> tuple[bool, object]:
        now = datetime.now(UTC)
        taken = await hold_lease("pipeline:all", "a dead worker", now=now, ttl=timedelta(seconds=1))
        cache = SnapshotCache(MemoryStore(), timedelta(seconds=60))
        snapshot = await cache.get("all", compute)
        await release_lease("pipeline:all", "a dead worker")
        return taken, snapshot.figures

    assert run(scenario()) == (True, {"computed": 1})


def test_a_change_outdates_the_figures_once_committed_and_a_rollback_never(run: Run) -> None:
    async def versions() -> list[str]:
        cache = shared_cache()
        seen = [await cache.version()]
        with contextlib.suppress(Refused):
            async with transaction():
                await figures_changed()
                raise Refused
        seen.append(await cache.version())
        async with transaction():
            await figures_changed()
            seen.append(await cache.version())  # not yet: the change is not visible
        seen.append(await cache.version())
        return seen

    before, after_rollback, inside, after_commit = run(versions())
    assert before == after_rollback == inside
    assert after_commit != inside


def test_the_dashboard_shows_a_new_idea_at_once_and_is_cached_otherwise(
    browser: Browser, personas: dict[str, Persona], run: Run
) -> None:
    browser.login(personas["eve"].email)
    run(factories.idea(personas["ada"].id))
    first = browser.get("/api/v1/pipeline").json()
    assert browser.get("/api/v1/pipeline").json()["computed_at"] == first["computed_at"]
    browser.post("/ideas/new", {"title": "A second idea", "summary": "Two now."})
    after = browser.get("/api/v1/pipeline").json()
    assert after["computed_at"] != first["computed_at"]
    assert sum(s["now"] for s in after["funnel"]) == sum(s["now"] for s in first["funnel"]) + 1
    assert after["outdated"] is False
    if get_settings().redis_url:
        assert redis.Redis.from_url(REDIS_URL).keys("incubator_pipeline:figures:*")
    page = browser.get("/pipeline")
    assert page.status_code == 200
    assert "Recent changes are being added" not in page.text


def test_cached_figures_are_the_computed_ones(run: Run, personas: dict[str, Persona]) -> None:
    run(factories.idea(personas["ada"].id))
    cached = run(cached_dashboard(Filters()))
    again = run(cached_dashboard(Filters()))
    assert again.computed_at == cached.computed_at
    assert again.figures == cached.figures
    run(factories.idea(personas["ada"].id, title="A second idea"))
    assert run(cached_dashboard(Filters())).figures != cached.figures
