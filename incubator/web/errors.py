"""Error answers: HTML pages for people, JSON for the API, a sign-in redirect for
anonymous visitors of pages. Never a traceback."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from litestar.types import ExceptionHandlersMap

from incubator.db.engines import database_unavailable
from incubator.errors import Busy, NotAllowed, NotFound, TooManyAttempts, ValidationFailed
from incubator.i18n import gettext as _
from incubator.i18n import set_locale
from incubator.web.locale import locale_for_scope
from incubator.web.rendering import is_htmx
from incubator.web.security import SECURITY_HEADERS
from incubator.web.stores import store_unavailable

logger = logging.getLogger("incubator.web")


def _titles() -> dict[int, tuple[str, str]]:
    return {
        400: (
            _("This request could not be understood"),
            _("Check what you entered and try again."),
        ),
        401: (_("Please sign in"), _("Sign in to continue.")),
        403: (
            _("You can't do that here"),
            _(
                "This action is reserved to other people or roles. "
                "If you think you should have access, ask an administrator."
            ),
        ),
        404: (
            _("Page not found"),
            _(
                "The page may have moved or been deleted. "
                "Check the address, or start again from the home page."
            ),
        ),
        405: (_("This action is not available here"), _("Go back and try again from the page.")),
        413: (
            _("That is too much to send at once"),
            _("Shorten the text or send fewer things, then try again."),
        ),
        429: (_("Too many attempts"), _("Wait a little, then try again.")),
        500: (
            _("Something went wrong on our side"),
            _("The problem has been logged. Try again in a moment."),
        ),
        503: (_("The portal is busy or under maintenance"), _("Try again in a moment.")),
    }


def _is_api(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/")


def error_response(
    request: Request[Any, Any, Any],
    status_code: int,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    set_locale(locale_for_scope(request.scope))
    # An unrouted path (404, 405) is answered before any middleware runs: the security
    # headers come with the error itself.
    headers = {**SECURITY_HEADERS, **(headers or {})}
    title, hint = _titles().get(status_code, _titles()[500 if status_code >= 500 else 400])
    if _is_api(request):
        return Response(
            content={"status_code": status_code, "detail": detail or title},
            status_code=status_code,
            headers=headers,
        )
    return Template(
        template_name="errors/error.html.jinja2",
        context={
            "status_code": status_code,
            "title": title,
            "hint": hint,
            "detail": detail,
            "me": request.scope.get("user"),
        },
        status_code=status_code,
        headers=headers,
    )


def _not_authorized(request: Request[Any, Any, Any], _exc: Exception) -> Response[Any]:
    if _is_api(request):
        return error_response(request, 401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    login_url = "/login?next=" + quote(target, safe="/")
    # Refused by the sign-in middleware, outside the one that adds the security headers.
    if is_htmx(request):
        return Response(
            content=b"", status_code=401, headers={**SECURITY_HEADERS, "HX-Redirect": login_url}
        )
    return Redirect(path=login_url, status_code=303, headers=SECURITY_HEADERS)


def _http_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, HTTPException)
    # Litestar's own messages (e.g. CSRF, routing) are for developers; people get ours.
    return error_response(request, exc.status_code, headers=exc.headers)


def _not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return error_response(request, HTTP_404_NOT_FOUND, str(exc) or None)


def _not_allowed(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return error_response(request, HTTP_403_FORBIDDEN, str(exc) or None)


def _validation_failed(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, ValidationFailed)
    return error_response(request, HTTP_400_BAD_REQUEST, " ".join(exc.errors.values()))


def _too_many(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, TooManyAttempts)
    return error_response(
        request,
        HTTP_429_TOO_MANY_REQUESTS,
        str(exc),
        headers={"Retry-After": str(exc.retry_after_seconds)},
    )


def _busy(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, Busy)
    return error_response(
        request,
        HTTP_503_SERVICE_UNAVAILABLE,
        str(exc),
        headers={"Retry-After": str(exc.retry_after_seconds)},
    )


# How soon a person may retry while the database is unavailable.
DATABASE_RETRY_AFTER_SECONDS = 5


def _server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if database_unavailable(exc) or store_unavailable(exc):
        # Not a bug: an outage. One line per request, not a traceback each.
        logger.warning(
            "The %s is unavailable on %s %s: %s: %s",
            "shared store (Redis)" if store_unavailable(exc) else "database",
            request.method,
            request.url.path,
            type(exc).__name__,
            exc,
        )
        return error_response(
            request,
            HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )
    logger.exception("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, HTTP_500_INTERNAL_SERVER_ERROR)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    NotAuthorizedException: _not_authorized,
    HTTPException: _http_exception,
    NotFound: _not_found,
    NotAllowed: _not_allowed,
    ValidationFailed: _validation_failed,
    TooManyAttempts: _too_many,
    Busy: _busy,
    HTTP_500_INTERNAL_SERVER_ERROR: _server_error,
}
