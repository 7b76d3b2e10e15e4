"""The clock runs in one place at a time: a lease that one holder takes, renews and
gives up, and that another takes over once it lapses; two real scheduler processes on
one database make one clock."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from incubator.db.jobs import hold_lease, release_lease
from incubator.db.tables import Lease
from tests.conftest import Run
from tests.test_cli import fresh_database, incubator

__all__ = ["fresh_database"]  # the fixture, shared with the command-line tests

TTL = timedelta(minutes=2)


def test_of_many_schedulers_trying_at_once_exactly_one_holds_the_clock(run: Run) -> None:
    now = datetime.now(UTC)

    async def everyone_at_once() -> list[bool]:
        return await asyncio.gather(
            *(hold_lease("clock", f"worker-{n}", now=now, ttl=TTL) for n in range(12))
        )

    held = run(everyone_at_once())
    assert held.count(True) == 1
    holder = f"worker-{held.index(True)}"
    other = "worker-x"
    assert run(hold_lease("clock", holder, now=now + timedelta(minutes=1), ttl=TTL))
    assert not run(hold_lease("clock", other, now=now + timedelta(minutes=2), ttl=TTL))
    # The holder stopped renewing: once its lease lapses, another takes the clock over,
    # and the old holder, back, no longer holds it.
    lapsed = now + timedelta(minutes=1) + TTL + timedelta(seconds=1)
    assert run(hold_lease("clock", other, now=lapsed, ttl=TTL))
    assert not run(hold_lease("clock", holder, now=lapsed, ttl=TTL))
    run(release_lease("clock", other))
    assert run(hold_lease("clock", holder, now=lapsed, ttl=TTL))
    assert run(Lease.count().run()) == 1


def start_clocks(
    count: int, database_url: str, tmp_path: Path, stop: signal.Signals = signal.SIGINT
) -> list[str]:
    """Start `count` scheduler processes, read what each says once all have checked the
    lease, stop them with `stop` (Ctrl-C, or a supervisor's SIGTERM), check that each
    exited cleanly, and return their logs."""
    env = {**os.environ, "DATABASE_URL": database_url, "INCUBATOR_DATA_DIR": str(tmp_path)}
    logs = [tmp_path / f"clock-{time.monotonic_ns()}-{n}.log" for n in range(count)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "incubator", "scheduler"],
            env=env,
            cwd=tmp_path,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            said = [log.read_text() for log in logs]
            if all("holds the clock" in text for text in said):
                break
            time.sleep(0.2)
        return said
    finally:
        for process in processes:
            process.send_signal(stop)
        for process in processes:
            assert process.wait(timeout=90) == 0


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_two_scheduler_processes_make_one_clock(
    fresh_database: str, tmp_path: Path, stop: signal.Signals
) -> None:
    assert incubator(fresh_database, tmp_path, "migrate").returncode == 0
    said = start_clocks(2, fresh_database, tmp_path, stop)
    assert [("This process holds the clock" in text) for text in said].count(True) == 1, said
    assert [("Another process holds the clock" in text) for text in said].count(True) == 1
    # Stopped, the holder gave its lease up: the next clock holds it at once.
    (alone,) = start_clocks(1, fresh_database, tmp_path, stop)
    assert "This process holds the clock" in alone, alone
