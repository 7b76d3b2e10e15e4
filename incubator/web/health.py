from __future__ import annotations

import logging

from litestar import get
from litestar.response import Response
from piccolo.querystring import QueryString

from incubator.db.engines import database_unavailable
from incubator.db.transactions import engine

logger = logging.getLogger("incubator.web")


@get("/healthz", opt={"public": True}, include_in_schema=False)
async def healthz() -> Response[dict[str, str]]:
    """Liveness that proves the database answers, for load balancers and the release step."""
    try:
        await engine().run_querystring(QueryString("SELECT 1"))
    except Exception as error:
        if not database_unavailable(error):
            logger.exception("Health check: the database did not answer")
        else:  # an outage, polled every few seconds: one line each time, no traceback
            logger.warning("Health check: the database is unavailable: %s", error)
        return Response(
            {"status": "error", "database": "unreachable"},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return Response({"status": "ok", "database": "ok"})
