"""Server-side sessions whose id is replaced when privileges change (at sign-in).

Litestar keeps the id from the cookie for the life of the session; a fixed id lets
anyone who planted a cookie before sign-in ride the session after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Message, ScopeSession

_ROTATE = "incubator.rotate_session_id"


def rotate_session_id(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Ask for a fresh session id on this response; the old one is destroyed."""
    connection.scope.setdefault("state", {})[_ROTATE] = True


class RotatingSessionBackend(ServerSideSessionBackend):
    async def store_in_message(
        self,
        scope_session: ScopeSession,
        message: Message,
        connection: ASGIConnection[Any, Any, Any, Any],
    ) -> None:
        state = connection.scope.setdefault("state", {})
        if state.pop(_ROTATE, False):
            if old_id := connection.cookies.get(self.config.key):
                await self.delete(old_id, store=self.config.get_store_from_app(connection.app))
            state[f"{_ROTATE}.new"] = self.generate_session_id()
        await super().store_in_message(scope_session, message, connection)

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        rotated: str | None = connection.scope.get("state", {}).get(f"{_ROTATE}.new")
        return rotated or super().get_session_id(connection)


@dataclass
class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend
