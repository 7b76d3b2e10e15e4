"""Outside production, every response says how many SQL statements it took
(`x-sql-queries`), so tests and the benchmark can hold pages to a constant count."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from incubator.db.engines import recording_queries

QUERY_COUNT_HEADER = "x-sql-queries"


class QueryCountMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        with recording_queries() as queries:

            async def send_with_count(message: Message) -> None:
                if message["type"] == "http.response.start":
                    MutableScopeHeaders.from_message(message)[QUERY_COUNT_HEADER] = str(
                        len(queries)
                    )
                await send(message)

            await next_app(scope, receive, send_with_count)
