"""Coordination between schedulers, whatever their number: a periodic job is claimed once
per period, and the clock itself is held by one process at a time under a lease."""

from __future__ import annotations

from datetime import datetime, timedelta

from incubator.db.tables import JobRun, Lease


async def claim(job: str, period: str) -> bool:
    """True for exactly one caller per (job, period): the unique index decides."""
    inserted = (
        await JobRun.insert(JobRun(job=job, period=period))
        .on_conflict(action="DO NOTHING")
        .returning(JobRun.id)
        .run()
    )
    return bool(inserted)


async def hold_lease(name: str, holder: str, *, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease `name` for `holder` until `now + ttl`; False while another
    holder's lease runs. Each step is one conditional statement, so of several processes
    trying at once exactly one holds it (the row's lock, or SQLite's single writer)."""
    renewed = (
        await Lease.update({Lease.holder: holder, Lease.expires_at: now + ttl})
        .where((Lease.name == name) & ((Lease.holder == holder) | (Lease.expires_at < now)))
        .returning(Lease.id)
        .run()
    )
    if renewed:
        return True
    created = (
        await Lease.insert(Lease(name=name, holder=holder, expires_at=now + ttl))
        .on_conflict(action="DO NOTHING")
        .returning(Lease.id)
        .run()
    )
    return bool(created)


async def release_lease(name: str, holder: str) -> None:
    """Give the lease up at once (on shutdown), so another process need not wait it out."""
    await Lease.delete().where((Lease.name == name) & (Lease.holder == holder)).run()
