"""The per-address flood guard on sign-in and registration posts: Litestar's rate-limit
configuration, counted atomically.

Litestar's own middleware reads the address's history from the store and writes it back
under a lock of the process, held across both round trips: under load every sign-in of
a worker queued behind the others' store I/O (measured: 20 sign-ins a second beside a
busy idea board waited 3 to 9 s, and most were refused as overload), and two workers
could still both read the same history. Here one atomic increment counts the post, so
nothing waits for anything else and every worker counts into the same window.
"""

from __future__ import annotations

from typing import Any

from litestar.exceptions import TooManyRequestsException
from litestar.middleware.rate_limit import DURATION_VALUES, RateLimitMiddleware
from litestar.types import Message, Receive, Scope, Send

from incubator.web.stores import CountingStore


class FloodGuardMiddleware(RateLimitMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope["litestar_app"]
        request: Any = app.request_class(scope)
        if not await self.should_check_request(request=request):
            await self.app(scope, receive, send)
            return
        store = self.config.get_store_from_app(app)
        assert isinstance(store, CountingStore), "the rate-limit store must count hits"
        window = DURATION_VALUES[self.unit]
        count, seconds_left = await store.count_hit(self.cache_key_from_request(request), window)
        headers = self._headers(count, seconds_left)
        if count > self.max_requests:
            raise TooManyRequestsException(headers=headers)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    *((name.lower().encode(), value.encode()) for name, value in headers.items()),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _headers(self, count: int, seconds_left: int) -> dict[str, str]:
        if not self.config.set_rate_limit_headers:
            return {}
        window = DURATION_VALUES[self.unit]
        return {
            self.config.rate_limit_policy_header_key: f"{self.max_requests}; w={window}",
            self.config.rate_limit_limit_header_key: str(self.max_requests),
            self.config.rate_limit_remaining_header_key: str(max(0, self.max_requests - count)),
            self.config.rate_limit_reset_header_key: str(seconds_left),
        }
