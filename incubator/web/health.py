from __future__ import annotations

import logging
from typing import Any

from litestar import Request, get
from litestar.response import Response
from piccolo.querystring import QueryString

from incubator.db.engines import database_unavailable
from incubator.db.transactions import engine
from incubator.web.stores import store_unavailable

logger = logging.getLogger("incubator.web")


@get("/healthz", opt={"public": True}, include_in_schema=False)
async def healthz(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    """Readiness for load balancers and the release step: the database answers, and so
    does the shared store (Redis) every page reads its session from."""
    report = {"status": "ok", "database": "ok", "store": "ok"}
    try:
        await engine().run_querystring(QueryString("SELECT 1"))
    except Exception as error:
        if not database_unavailable(error):
            logger.exception("Health check: the database did not answer")
        else:  # an outage, polled every few seconds: one line each time, no traceback
            logger.warning("Health check: the database is unavailable: %s", error)
        report.update(status="error", database="unreachable")
    try:
        await request.app.stores.get("sessions").exists("healthz")
    except Exception as error:
        if not store_unavailable(error):
            logger.exception("Health check: the shared store did not answer")
        else:
            logger.warning("Health check: the shared store is unavailable: %s", error)
        report.update(status="error", store="unreachable")
    if report["status"] != "ok":
        return Response(report, status_code=503, headers={"Retry-After": "5"})
    return Response(report)
