"""Headers every response carries: a strict CSP (no inline script), no framing, no
sniffing, a quiet referrer, and `Vary: HX-Request` because one URL answers both a page
and its htmx fragment."""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


_ENCODED = [(name.encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]
_HSTS = (b"strict-transport-security", b"max-age=31536000")


class SecurityHeadersMiddleware(ASGIMiddleware):
    """Adds the headers a response does not set itself. It works on the message's raw
    header list: every response passes here, and a MutableScopeHeaders view searched
    once per header cost more than the rest of this middleware."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, *, hsts: bool) -> None:
        self.hsts = hsts

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", ()))
                message["headers"] = headers
                present = {bytes(name).lower(): index for index, (name, _) in enumerate(headers)}
                headers.extend(pair for pair in _ENCODED if pair[0] not in present)
                if self.hsts and _HSTS[0] not in present:
                    headers.append(_HSTS)
                if (at := present.get(b"vary")) is None:
                    headers.append((b"vary", b"HX-Request"))
                elif b"hx-request" not in bytes(headers[at][1]).lower():
                    headers[at] = (b"vary", bytes(headers[at][1]) + b", HX-Request")
            await send(message)

        await next_app(scope, receive, send_with_headers)
