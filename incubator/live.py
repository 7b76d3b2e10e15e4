"""Live signals: a service says "this topic changed" (support on idea 12, a vote in round
3, a notification for person 7); after a request succeeds the web layer broadcasts the
signals to open pages, which re-fetch what changed through the normal routes — so every
rule, translation and permission stays on the server. No data travels in a signal."""

from __future__ import annotations

from contextvars import ContextVar

_pending: ContextVar[list[tuple[str, str]] | None] = ContextVar("incubator_live", default=None)


def signal(topic: str, event: str) -> None:
    """Queue a signal for after this request; outside a request (the scheduler) it is
    dropped, and pages show the change on their next load."""
    pending = _pending.get()
    if pending is not None and (topic, event) not in pending:
        pending.append((topic, event))


def collecting() -> list[tuple[str, str]]:
    """Start collecting signals for the current request; returns the list to flush."""
    pending: list[tuple[str, str]] = []
    _pending.set(pending)
    return pending
