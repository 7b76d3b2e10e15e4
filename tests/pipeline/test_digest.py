"""The weekly leadership digest: once a week, to leadership only, whatever the schedulers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from incubator.notifications.tables import Notification
from incubator.scheduler import tick
from tests.conftest import Persona, Run
from tests.pipeline.test_dashboard import NOW, build


def test_one_digest_a_week_for_leadership(run: Run, personas: dict[str, Persona]) -> None:
    run(build(personas))

    async def three_schedulers_twice_then_next_week() -> None:
        await asyncio.gather(tick(NOW), tick(NOW), tick(NOW))
        await tick(NOW + timedelta(minutes=1))
        await tick(NOW + timedelta(days=7))

    run(three_schedulers_twice_then_next_week())
    digests = run(
        Notification.select(Notification.recipient, Notification.data)
        .where(Notification.kind == "leadership_digest")
        .output(load_json=True)
        .run()
    )
    leaders = {personas["dan"].id, personas["ida"].id}
    assert len(digests) == 2 * len(leaders)
    assert {row["recipient"] for row in digests} == leaders
    first = digests[0]["data"]
    assert first["new_ideas"] == 1  # only E was proposed in the last seven days
    assert first["stalled"] == 3
