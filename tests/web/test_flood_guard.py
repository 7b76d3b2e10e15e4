"""The per-address flood guard on sign-in and registration posts: one atomic count per
post, shared by the workers of a machine (files) or of many (Redis), that never makes a
post wait for another's."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import cast

import pytest
import redis
from litestar import Litestar
from redis.asyncio import Redis as AsyncRedis

from incubator.app import create_app
from incubator.settings import get_settings
from incubator.web.stores import CountingRedisStore, LocalFileStore
from tests.conftest import Browser
from tests.web.conftest import REDIS_URL

LIMIT = 3


def guarded_app(redis_url: str | None) -> Litestar:
    return create_app(replace(get_settings(), auth_posts_per_minute=LIMIT, redis_url=redis_url))


@pytest.mark.parametrize("shared", ["files", "redis"])
def test_two_workers_count_posts_into_one_window_and_refuse_past_the_limit(
    shared: str, redis_db: redis.Redis, new_browser: Callable[..., Browser]
) -> None:
    redis_url = REDIS_URL if shared == "redis" else None
    workers = [new_browser(guarded_app(redis_url)), new_browser(guarded_app(redis_url))]
    attempt = {"email": "nobody@example.com", "password": "not the password"}
    answers = [workers[n % 2].post("/login", attempt) for n in range(LIMIT)]
    assert [answer.status_code for answer in answers] == [400] * LIMIT
    assert [answer.headers["ratelimit-remaining"] for answer in answers] == ["2", "1", "0"]
    assert all(0 < int(answer.headers["ratelimit-reset"]) <= 60 for answer in answers)
    assert workers[0].get("/login").status_code == 200  # pages are not counted
    refused = workers[1].post("/register", {"email": "late@example.com"})
    assert refused.status_code == 429
    assert refused.headers["ratelimit-remaining"] == "0"


def test_file_counter_counts_every_hit_once_under_contention(tmp_path: Path) -> None:
    """Eight threads, each with its own descriptor as another worker would have, hit one
    key 50 times at once: the flock makes each increment whole."""
    store = LocalFileStore(tmp_path, create_directories=True)
    seen: list[int] = []
    lock = threading.Lock()

    def hammer() -> None:
        for _ in range(50):
            count, _left = store.count_hit_now("address", 60)
            with lock:
                seen.append(count)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == list(range(1, 401))


def test_file_counter_starts_a_new_window_once_the_last_one_ended(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path, create_directories=True)
    assert store.count_hit_now("address", 60)[0] == 1
    assert store.count_hit_now("address", 60)[0] == 2
    counter = next(tmp_path.iterdir())
    counter.write_text(f"7 {int(time.time()) - 1}")  # a window that ended a second ago
    assert store.count_hit_now("address", 60) == (1, 60)
    counter.write_text("garbage")
    assert store.count_hit_now("address", 60) == (1, 60)


def test_redis_counter_counts_every_hit_once_and_expires_the_window(
    redis_db: redis.Redis,
) -> None:
    async def hundred_at_once() -> list[tuple[int, int]]:
        client = AsyncRedis.from_url(REDIS_URL)
        store = CountingRedisStore(client, namespace="flood-test")
        try:
            return await asyncio.gather(*(store.count_hit("address", 60) for _ in range(100)))
        finally:
            await client.aclose()

    hits = asyncio.run(hundred_at_once())
    assert sorted(count for count, _left in hits) == list(range(1, 101))
    assert all(0 < left <= 60 for _count, left in hits)
    assert 0 < cast("int", redis_db.ttl("flood-test:address")) <= 60


def test_file_store_keeps_filestores_contract_without_threads(tmp_path: Path) -> None:
    """Sessions and throttles are read, written and deleted on the event loop: the
    answers are those of Litestar's FileStore, expiry and renewal included."""

    async def scenario() -> list[object]:
        store = LocalFileStore(tmp_path / "sessions", create_directories=True)
        seen: list[object] = []
        await store.set("text", "café", expires_in=60)
        await store.set("bytes", b"\x00raw")
        seen += [await store.get("text"), await store.get("bytes")]
        await store.set("short", "soon gone", expires_in=1)
        seen.append(await store.get("short", renew_for=120))  # renewed: 120 s from now
        seen.append(await store.expires_in("short"))
        await store.set("expired", "gone", expires_in=-1)
        seen += [await store.get("expired"), await store.exists("expired")]
        await store.delete("text")
        await store.delete("never-set")  # deleting nothing is not an error
        seen.append(await store.get("text"))
        await store.delete_all()  # removes the directory: the next write recreates it
        await store.set("after", "back")
        seen.append(await store.get("after"))
        return seen

    seen = asyncio.run(scenario())
    assert seen[:3] == ["café".encode(), b"\x00raw", b"soon gone"]
    assert isinstance(seen[3], int)
    assert 100 < seen[3] <= 120
    assert seen[4:] == [None, False, None, b"back"]
