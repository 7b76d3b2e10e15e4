from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromQuery
from litestar.response import Template

from incubator.accounts.identity import Actor
from incubator.accounts.roles import Role
from incubator.audit import queries
from incubator.web.rendering import render

OVERSIGHT_ROLES = {Role.STEWARD.value, Role.LEADERSHIP.value, Role.ADMIN.value}
ACTION_FILTERS = ("", "idea.", "round.", "vote.", "team.", "challenge.", "person.", "comment.")


def requires_oversight(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """The full log names who voted what: stewards, leadership and admins only."""
    user = connection.scope.get("user")
    if user is None or not (set(user.roles) & OVERSIGHT_ROLES):
        raise PermissionDeniedException("The audit log is reserved to stewards and leadership.")


@get("/admin/audit", name="audit", guards=[requires_oversight])
async def audit_log(
    request: Request[Actor, Any, Any],
    action: FromQuery[str] = "",
    page: FromQuery[int] = 1,
    after: FromQuery[str] = "",
    before: FromQuery[str] = "",
) -> Template:
    wanted = action if action in ACTION_FILTERS else ""
    events = await queries.audit_page(wanted, page, after=after[:40], before=before[:40])
    return render(
        request,
        "audit/log.html.jinja2",
        {"events": events, "action": wanted, "filters": ACTION_FILTERS},
        block="results",
    )
