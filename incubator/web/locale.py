"""Sets the request's locale: the person's setting, else the session's choice, else the
browser's Accept-Language."""

from __future__ import annotations

from typing import Any

from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from incubator.i18n import SUPPORTED_LOCALES, negotiate_locale, using_locale

SESSION_LOCALE_KEY = "locale"


def locale_for_scope(scope: Scope) -> str:
    user: Any = scope.get("user")
    if user is not None and getattr(user, "locale", None) in SUPPORTED_LOCALES:
        return str(user.locale)
    session = scope.get("session")
    if isinstance(session, dict) and session.get(SESSION_LOCALE_KEY) in SUPPORTED_LOCALES:
        return str(session[SESSION_LOCALE_KEY])
    return negotiate_locale(Headers.from_scope(scope).get("accept-language"))


class LocaleMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        with using_locale(locale_for_scope(scope)):
            await next_app(scope, receive, send)
