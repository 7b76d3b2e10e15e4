"""Live signals on Redis (incubator.web.live): the signals of requests that finish
together reach every topic, in one publish rather than one per request."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import cast

import redis
from litestar import Litestar, get
from litestar.params import FromPath
from litestar.types import Message, Scope

from incubator.live import signal
from incubator.web.live import LiveSignalsMiddleware, channels_plugin
from tests.web.conftest import REDIS_URL

PRESSES = 6


async def _get(app: Litestar, path: str) -> int:
    """The status of a GET of `path`, through the app's ASGI interface."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    started: list[int] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            started.append(message["status"])

    await app(cast("Scope", scope), receive, send)  # type: ignore[arg-type]
    return started[0]


def _publishes(client: redis.Redis) -> int:
    stats = cast("dict[str, dict[str, int]]", client.info("commandstats"))
    return stats.get("cmdstat_evalsha", {}).get("calls", 0)


def test_the_signals_of_requests_finishing_together_go_out_in_one_publish(
    redis_db: redis.Redis,
) -> None:
    run = uuid.uuid4().hex  # Redis channels are shared by every database of the server
    topics = [f"idea-{run}:{n}" for n in range(PRESSES)]
    arrived = 0
    everyone_in = asyncio.Event()

    @get("/press/{n:int}")
    async def press(n: FromPath[int]) -> str:
        nonlocal arrived
        arrived += 1
        if arrived == PRESSES:
            everyone_in.set()
        await everyone_in.wait()  # all answer in the same turn, as a batch of supports does
        signal(topics[n], "support")
        if n == 0:
            signal(topics[n], "support")  # said twice by one request: sent once
        return "ok"

    app = Litestar(
        [press], plugins=[channels_plugin(REDIS_URL)], middleware=[LiveSignalsMiddleware()]
    )
    listener = redis_db.pubsub()  # type: ignore[no-untyped-call]
    listener.subscribe(*topics)
    while listener.get_message(timeout=1) is not None:  # the subscription confirmations
        pass

    async def all_at_once() -> list[int]:
        # Straight through ASGI, as a server calls the app: the test clients send one
        # request at a time.
        async with app.lifespan():
            answers = await asyncio.gather(*(_get(app, f"/press/{n}") for n in range(PRESSES)))
            await asyncio.sleep(0)  # the loop turns: the signals go to the channels
        # Shutting down, the channels send whatever they still hold.
        return answers

    before = _publishes(redis_db)
    assert asyncio.run(all_at_once()) == [200] * PRESSES
    publishes = _publishes(redis_db) - before

    heard: list[tuple[str, dict[str, str]]] = []
    deadline = time.monotonic() + 5
    while len(heard) < PRESSES and time.monotonic() < deadline:
        message = listener.get_message(timeout=0.5)
        if message is not None and message["type"] == "message":
            heard.append((message["channel"].decode(), json.loads(message["data"])))
    while (extra := listener.get_message(timeout=0.2)) is not None:
        heard.append((extra["channel"].decode(), json.loads(extra["data"])))
    listener.close()
    assert sorted(heard) == sorted((topic, {"event": "support"}) for topic in topics)
    # One publish reached all six (another test suite sharing this Redis can only add).
    assert 1 <= publishes < PRESSES
