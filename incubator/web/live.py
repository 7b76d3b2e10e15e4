"""Broadcasting live signals through Litestar's channels (in memory for one process,
Redis when REDIS_URL is set so every worker hears every other), and streaming them to
pages as Server-Sent Events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request, get
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from litestar.di import NamedDependency
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.params import FromQuery
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from redis.asyncio import Redis

from incubator.live import collecting

HEARTBEAT_SECONDS = 15.0


def channels_plugin(redis_url: str | None) -> ChannelsPlugin:
    backend = (
        RedisChannelsPubSubBackend(redis=Redis.from_url(redis_url))
        if redis_url
        else MemoryChannelsBackend()
    )
    return ChannelsPlugin(backend=backend, arbitrary_channels_allowed=True)


class LiveSignalsMiddleware(ASGIMiddleware):
    """Publishes the signals a request queued, once its answer is a success (a refused
    or failed change signals nothing).

    The signals of the requests that finish together go out together: one publish per
    kind of event, to all their topics, as the loop next turns. Under load that is one
    round trip to Redis for a batch of supports (see incubator.ideas.supports) rather
    than one per support."""

    scopes = (ScopeType.HTTP,)

    def __init__(self) -> None:
        self._waiting: dict[str, set[str]] = {}  # the message → the topics it goes to

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        pending = collecting()
        status = 500

        async def remember_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await next_app(scope, receive, remember_status)
        if pending and status < 400:
            if not self._waiting:
                channels = scope["app"].plugins.get(ChannelsPlugin)
                asyncio.get_running_loop().call_soon(self._publish_waiting, channels)
            for topic, event in pending:
                self._waiting.setdefault(json.dumps({"event": event}), set()).add(topic)

    def _publish_waiting(self, channels: ChannelsPlugin) -> None:
        waiting, self._waiting = self._waiting, {}
        for message, topics in waiting.items():
            channels.publish(message, topics)


@get("/events", name="live_events", include_in_schema=False)
async def live_events(
    request: Request[Any, Any, Any],
    channels: NamedDependency[ChannelsPlugin],
    idea: FromQuery[int | None] = None,
    round: FromQuery[int | None] = None,
) -> ServerSentEvent:
    """The signals for the page being read: the reader's own, and its idea's or round's."""
    topics = [f"person:{request.user.id}"]
    if idea is not None:
        topics.append(f"idea:{idea}")
    if round is not None:
        topics.append(f"round:{round}")

    async def stream() -> AsyncGenerator[ServerSentEventMessage, None]:
        async with channels.start_subscription(topics) as subscriber:
            yield ServerSentEventMessage(comment="connected")
            events = subscriber.iter_events()
            while True:
                try:
                    raw = await asyncio.wait_for(anext(events), HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield ServerSentEventMessage(comment="heartbeat")
                    continue
                yield ServerSentEventMessage(event=json.loads(raw)["event"], data="1")

    return ServerSentEvent(
        stream(), headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
