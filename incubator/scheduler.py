"""The clock: every minute, decide the gate rounds whose deadline has passed; once a week,
send leadership its digest.

It runs inside `incubator serve` (unless turned off) and as `incubator scheduler`. Several
copies may run at once: every decision is a conditional update, so each round is decided
once whoever gets there first."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from typing import Any

from incubator.gates.services import sweep_due_rounds
from incubator.notifications.delivery import queue_daily_digests
from incubator.notifications.sender import send_due
from incubator.pipeline.digest import send_leadership_digest

logger = logging.getLogger("incubator.scheduler")
INTERVAL_SECONDS = 60.0


async def tick(now: datetime | None = None) -> dict[int, str]:
    """One pass; never raises (a failing pass is logged and the next one tries again)."""
    now = now or datetime.now(UTC)
    try:
        decided = await sweep_due_rounds(now=now)
        if await send_leadership_digest(now):
            logger.info("Leadership digest sent for %s", now.isocalendar()[:2])
        await queue_daily_digests(now)
        await send_due(now)
    except Exception:
        logger.exception("Scheduler pass failed")
        return {}
    for round_id, outcome in decided.items():
        logger.info("Round %s: %s", round_id, outcome)
    return decided


async def run_forever(interval: float = INTERVAL_SECONDS) -> None:
    while True:
        await tick()
        await asyncio.sleep(interval)


@asynccontextmanager
async def scheduler_lifespan(_app: Any) -> AsyncIterator[None]:
    """The loop beside the web app, stopped with it."""
    task = asyncio.create_task(run_forever(), name="incubator-scheduler")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
