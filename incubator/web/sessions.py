"""Server-side sessions whose id is replaced when privileges change (at sign-in), and
which are written back only when they change or are due for renewal. A signed-in
session's id starts with its person's id, so the session and that person's identity
version (see `identities`) are read in one round trip.

Litestar keeps the id from the cookie for the life of the session; a fixed id lets
anyone who planted a cookie before sign-in ride the session after it. It also writes
every session back on every response, to push its expiry: with file stores that is two
thread hops per page. Here an unchanged session is renewed at most every few minutes.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Message, ScopeSession

from incubator.web.identities import STORE as IDENTITY_STORE
from incubator.web.identities import version_key
from incubator.web.stores import read_together, store_unavailable

_ROTATE = "incubator.rotate_session_id"
_LOADED = "incubator.session_as_loaded"
_STORE_DOWN = "incubator.session_store_down"
_IDENTITY_VERSION = "incubator.identity_version"
_PERSON_PREFIX = re.compile(r"([0-9]{1,12})-")
SESSION_PERSON_KEY = "person_id"
_RENEWED_AT = "_renewed_at"
RENEW_EVERY_SECONDS = 300


def rotate_session_id(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Ask for a fresh session id on this response; the old one is destroyed."""
    connection.scope.setdefault("state", {})[_ROTATE] = True


@dataclass(frozen=True, slots=True)
class IdentityVersion:
    """The person's identity version read with the session (None: never changed)."""

    value: bytes | None


def identity_version(connection: ASGIConnection[Any, Any, Any, Any]) -> IdentityVersion | None:
    """The version of the session's person, read with the session; None when it was not
    read (a session id from before ids named their person)."""
    version: IdentityVersion | None = connection.scope.get("state", {}).get(_IDENTITY_VERSION)
    return version


class RotatingSessionBackend(ServerSideSessionBackend):
    async def store_in_message(
        self,
        scope_session: ScopeSession,
        message: Message,
        connection: ASGIConnection[Any, Any, Any, Any],
    ) -> None:
        state = connection.scope.setdefault("state", {})
        if state.get(_STORE_DOWN):
            return  # the answer is the outage's 503: nothing to keep, nowhere to keep it
        if not scope_session and self.config.key not in connection.cookies:
            return  # a visitor with nothing to keep (a health check, say) gets no session
        if state.pop(_ROTATE, False):
            if old_id := connection.cookies.get(self.config.key):
                await self.delete(old_id, store=self.config.get_store_from_app(connection.app))
            state[f"{_ROTATE}.new"] = self._new_id(scope_session)
        elif isinstance(scope_session, dict) and self._unchanged_and_fresh(scope_session, state):
            return
        if isinstance(scope_session, dict):
            scope_session[_RENEWED_AT] = int(time.time())
        await super().store_in_message(scope_session, message, connection)

    def _unchanged_and_fresh(self, session: dict[str, Any], state: dict[str, Any]) -> bool:
        loaded = state.get(_LOADED)
        if loaded is None or self.serialize_data(session) != loaded:
            return False
        return time.time() - int(session.get(_RENEWED_AT, 0)) < RENEW_EVERY_SECONDS

    def _new_id(self, session: ScopeSession) -> str:
        token = self.generate_session_id()
        person_id = session.get(SESSION_PERSON_KEY) if isinstance(session, dict) else None
        return f"{person_id}-{token}" if isinstance(person_id, int) else token

    async def load_from_connection(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> dict[str, Any]:
        """The stored session, remembering its bytes to tell later whether it changed, and
        the identity version of the person its id names, read together."""
        if session_id := connection.cookies.get(self.config.key):
            app = connection.scope["app"]
            store = self.config.get_store_from_app(app)
            named = _PERSON_PREFIX.match(session_id)
            state = connection.scope.setdefault("state", {})
            try:
                if named is None:
                    data, version = await self.get(session_id, store=store), None
                else:
                    data, version = await read_together(
                        [
                            (store, session_id),
                            (app.stores.get(IDENTITY_STORE), version_key(int(named[1]))),
                        ]
                    )
            except Exception as error:
                if store_unavailable(error):
                    state[_STORE_DOWN] = True
                raise
            if data is not None:
                state[_LOADED] = data
                session = self.deserialize_data(data)
                # Only the session's own person: an id whose prefix was edited names no
                # stored session.
                if named is not None and session.get(SESSION_PERSON_KEY) == int(named[1]):
                    state[_IDENTITY_VERSION] = IdentityVersion(version)
                return session
        return {}

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        rotated: str | None = connection.scope.get("state", {}).get(f"{_ROTATE}.new")
        return rotated or super().get_session_id(connection)


@dataclass
class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend
