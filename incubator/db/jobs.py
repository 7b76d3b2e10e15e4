"""Claiming a periodic job for a period, once, whatever the number of schedulers."""

from __future__ import annotations

from incubator.db.tables import JobRun


async def claim(job: str, period: str) -> bool:
    """True for exactly one caller per (job, period): the unique index decides."""
    inserted = (
        await JobRun.insert(JobRun(job=job, period=period))
        .on_conflict(action="DO NOTHING")
        .returning(JobRun.id)
        .run()
    )
    return bool(inserted)
