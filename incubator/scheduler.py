"""The clock: every minute, decide the gate rounds whose deadline has passed; once a week,
send leadership its digest.

It runs inside `incubator serve` (unless turned off) and as `incubator scheduler`. Several
copies may run, on several machines: one at a time holds the clock's lease and makes the
passes, and the others take over within a few minutes if it dies. Even without the lease
every decision is a conditional update, so each round is decided once."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from incubator.db.jobs import hold_lease, release_lease
from incubator.gates.services import sweep_due_rounds
from incubator.notifications.delivery import queue_daily_digests
from incubator.notifications.sender import send_due
from incubator.pipeline.digest import send_leadership_digest

logger = logging.getLogger("incubator.scheduler")
INTERVAL_SECONDS = 60.0
LEASE = "clock"
# A holder renews at every pass; one that stops is replaced after this long.
LEASE_TTL = timedelta(seconds=INTERVAL_SECONDS * 2.5)
HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


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


async def holds_the_clock(now: datetime) -> bool:
    try:
        return await hold_lease(LEASE, HOLDER, now=now, ttl=LEASE_TTL)
    except Exception:
        logger.exception("Scheduler lease could not be checked")
        return False


async def run_forever(interval: float = INTERVAL_SECONDS) -> None:
    """Pass after pass while this process holds the clock; the lease goes at the end."""
    holding: bool | None = None
    try:
        while True:
            now_holding = await holds_the_clock(datetime.now(UTC))
            if now_holding != holding:
                holding = now_holding
                if holding:
                    logger.info("This process holds the clock (%s)", HOLDER)
                else:
                    logger.info("Another process holds the clock; %s stands by", HOLDER)
            if holding:
                await tick()
            await asyncio.sleep(interval)
    finally:
        with suppress(Exception):
            await asyncio.shield(release_lease(LEASE, HOLDER))


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
