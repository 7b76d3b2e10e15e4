"""With REDIS_URL set, sessions and login throttling live in Redis, shared by workers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import cast

import redis
from litestar import Litestar

from incubator.app import create_app
from incubator.settings import get_settings
from incubator.web.stores import (
    CountingRedisStore,
    read_together,
    store_unavailable,
    write_together,
)
from tests.conftest import Browser, Persona
from tests.web.conftest import REDIS_URL


def redis_app() -> Litestar:
    return create_app(replace(get_settings(), redis_url=REDIS_URL))


def test_sessions_are_kept_in_redis(
    redis_db: redis.Redis, new_browser: Callable[..., Browser], personas: dict[str, Persona]
) -> None:
    browser = new_browser(redis_app())
    browser.login(personas["ada"].email)
    session_id = browser.client.cookies["incubator_session"]
    assert any(
        session_id in key.decode() for key in cast("list[bytes]", redis_db.keys("*sessions*"))
    )
    assert browser.get("/profile").status_code == 200


def test_a_session_started_on_one_worker_is_valid_on_another(
    redis_db: redis.Redis, new_browser: Callable[..., Browser], personas: dict[str, Persona]
) -> None:
    worker_a = new_browser(redis_app())
    worker_a.login(personas["ada"].email)
    worker_b = new_browser(redis_app())
    worker_b.client.cookies.set("incubator_session", worker_a.client.cookies["incubator_session"])
    assert worker_b.get("/profile").status_code == 200


def test_the_login_throttle_holds_across_workers(
    redis_db: redis.Redis, new_browser: Callable[..., Browser], personas: dict[str, Persona]
) -> None:
    workers = [new_browser(redis_app()), new_browser(redis_app())]
    wrong = {"email": personas["ada"].email, "password": "wrong password"}
    statuses = [workers[attempt % 2].post("/login", wrong).status_code for attempt in range(6)]
    assert statuses == [400] * 5 + [429]


def test_a_session_and_its_persons_version_come_in_one_round_trip(
    redis_db: redis.Redis,
) -> None:
    """What every signed-in request reads first (web/sessions.py): one MGET, not two GETs."""

    async def read() -> list[bytes | None]:
        root = CountingRedisStore.with_client(url=REDIS_URL, namespace="incubator")
        sessions, identities = root.with_namespace("sessions"), root.with_namespace("identities")
        await sessions.set("7-abc", b"the session")
        await identities.set("person:7", b"v2")
        try:
            return await read_together(
                [(sessions, "7-abc"), (identities, "person:7"), (identities, "person:8")]
            )
        finally:
            await root._redis.aclose()

    before = cast("dict[str, dict[str, int]]", redis_db.info("commandstats"))
    assert asyncio.run(read()) == [b"the session", b"v2", None]
    after = cast("dict[str, dict[str, int]]", redis_db.info("commandstats"))
    calls = {
        name: after.get(f"cmdstat_{name}", {}).get("calls", 0)
        - before.get(f"cmdstat_{name}", {}).get("calls", 0)
        for name in ("mget", "get")
    }
    assert calls == {"mget": 1, "get": 0}


def test_reads_asked_for_in_one_turn_share_one_mget(redis_db: redis.Redis) -> None:
    """Requests that start in the same turn of a worker's loop read their sessions and
    versions in one round trip between them, each getting its own values."""

    async def read() -> list[list[bytes | None]]:
        root = CountingRedisStore.with_client(url=REDIS_URL, namespace="incubator")
        sessions, identities = root.with_namespace("sessions"), root.with_namespace("identities")
        await sessions.set("1-a", b"first session")
        await sessions.set("2-b", b"second session")
        await identities.set("person:2", b"v9")
        try:
            return list(
                await asyncio.gather(
                    read_together([(sessions, "1-a"), (identities, "person:1")]),
                    read_together([(sessions, "2-b"), (identities, "person:2")]),
                    read_together([(sessions, "gone")]),
                )
            )
        finally:
            await root._redis.aclose()

    before = cast("dict[str, dict[str, int]]", redis_db.info("commandstats"))
    assert asyncio.run(read()) == [[b"first session", None], [b"second session", b"v9"], [None]]
    after = cast("dict[str, dict[str, int]]", redis_db.info("commandstats"))
    mgets = after["cmdstat_mget"]["calls"] - before.get("cmdstat_mget", {}).get("calls", 0)
    assert 1 <= mgets < 3  # one; another suite sharing this Redis server could only add


def test_a_redis_outage_reaches_every_read_of_the_turn() -> None:
    """Each request sharing the round trip learns that Redis is down (and answers 503,
    web/sessions.py), none waits for ever."""

    async def read() -> list[object]:
        root = CountingRedisStore.with_client(url="redis://127.0.0.1:1/0", namespace="incubator")
        sessions = root.with_namespace("sessions")
        try:
            return list(
                await asyncio.gather(
                    read_together([(sessions, "1-a")]),
                    read_together([(sessions, "2-b")]),
                    return_exceptions=True,
                )
            )
        finally:
            await root._redis.aclose()

    failures = asyncio.run(read())
    assert len(failures) == 2
    assert all(
        isinstance(failure, Exception) and store_unavailable(failure) for failure in failures
    )


def test_versions_written_together_each_expire(redis_db: redis.Redis) -> None:
    """write_together (the identity versions of everyone a notification reaches) keeps
    each key's expiry, as one `set` per key would."""

    async def write() -> None:
        root = CountingRedisStore.with_client(url=REDIS_URL, namespace="incubator")
        try:
            await write_together(
                root.with_namespace("identities"),
                {"person:1": "a", "person:2": b"b"},
                timedelta(days=2),
            )
        finally:
            await root._redis.aclose()

    asyncio.run(write())
    assert redis_db.mget(["incubator_identities:person:1", "incubator_identities:person:2"]) == [
        b"a",
        b"b",
    ]
    for key in ("incubator_identities:person:1", "incubator_identities:person:2"):
        assert 2 * 86_400 - 60 < cast("int", redis_db.ttl(key)) <= 2 * 86_400
