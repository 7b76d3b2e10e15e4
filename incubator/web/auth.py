"""Session authentication and coarse role guards.

Object-level questions ("may this person edit this idea?") belong to each domain's
policies; guards only say who may reach a route at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.authentication import AuthenticationResult
from litestar.security.session_auth import SessionAuth
from litestar.security.session_auth.middleware import SessionAuthMiddleware

from incubator.web.identities import IdentityCache
from incubator.web.locale import SESSION_LOCALE_KEY
from incubator.web.sessions import (
    SESSION_PERSON_KEY,
    RotatingSessionConfig,
    identity_version,
    rotate_session_id,
)

# Handlers opt out of sign-in with `opt={"public": True}`; these paths have no handler of ours.
PUBLIC_PATH_PATTERNS = ["^/static/", "^/schema"]


class Identity(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def locale(self) -> str: ...

    @property
    def roles(self) -> frozenset[str]: ...


LoadTokenIdentity = Callable[[str], Awaitable[Identity | None]]


def _with_bearer_tokens(load_token: LoadTokenIdentity) -> type[SessionAuthMiddleware]:
    """Session authentication that also accepts `Authorization: Bearer <token>` on the
    API (scripts), where a bad or revoked token answers 401 like a missing session."""

    class SessionOrTokenMiddleware(SessionAuthMiddleware):
        async def authenticate_request(
            self, connection: ASGIConnection[Any, Any, Any, Any]
        ) -> AuthenticationResult:
            header = connection.headers.get("authorization", "")
            if connection.url.path.startswith("/api/") and header.lower().startswith("bearer "):
                identity = await load_token(header[7:].strip())
                if identity is None:
                    raise NotAuthorizedException("invalid or revoked token")
                return AuthenticationResult(user=identity, auth="token")
            return await super().authenticate_request(connection)

    return SessionOrTokenMiddleware


def session_auth(
    identities: IdentityCache[Identity], load_token: LoadTokenIdentity, *, secure_cookies: bool
) -> SessionAuth[Any, Any]:
    async def retrieve(
        session: dict[str, Any], connection: ASGIConnection[Any, Any, Any, Any]
    ) -> Any:
        person_id = session.get(SESSION_PERSON_KEY)
        if not isinstance(person_id, int):
            return None
        version = identity_version(connection)
        if version is None:
            return await identities.fresh(person_id)
        return await identities.get(person_id, version.value)

    return SessionAuth[Any, Any](
        retrieve_user_handler=retrieve,
        authentication_middleware_class=_with_bearer_tokens(load_token),
        session_backend_config=RotatingSessionConfig(
            secure=secure_cookies,
            httponly=True,
            samesite="lax",
            exclude=["/static"],
            key="incubator_session",
        ),
        exclude=PUBLIC_PATH_PATTERNS,
        exclude_opt_key="public",
    )


def sign_in(request: Request[Any, Any, Any], person_id: int) -> None:
    """Start a fresh session for this person (new id: no fixation)."""
    request.set_session({SESSION_PERSON_KEY: person_id})
    rotate_session_id(request)


def sign_out(request: Request[Any, Any, Any]) -> None:
    """End the session (its id is destroyed); only the chosen language outlives it."""
    locale = request.session.get(SESSION_LOCALE_KEY) or getattr(
        signed_in_identity(request), "locale", None
    )
    request.set_session({SESSION_LOCALE_KEY: locale} if locale else {})
    rotate_session_id(request)


def signed_in_identity(connection: ASGIConnection[Any, Any, Any, Any]) -> Identity | None:
    """The identity on routes that are public too (where the auth middleware did not run)."""
    user = connection.scope.get("user")
    return user if user is not None else None


def requires_role(
    role: str,
) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]:
    def guard(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
        identity = signed_in_identity(connection)
        if identity is None or role not in identity.roles:
            raise PermissionDeniedException("This page is reserved to another role.")

    guard.__name__ = f"requires_{role}"
    return guard
