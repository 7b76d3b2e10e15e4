"""Which recorded changes move the dashboard's figures, and so outdate its snapshots."""

from __future__ import annotations

from incubator.events import Recorded, subscribe
from incubator.pipeline.snapshots import figures_changed

# What the figures count: ideas (proposed, merged away), stages and rounds. Other
# changes (a department renamed, a challenge moved) show within pipeline_cache_seconds.
FIGURE_ACTIONS = frozenset(
    {
        "idea.proposed",
        "idea.merged",
        "idea.stage_changed",
        "round.opened",
        "round.extended",
        "round.decided",
    }
)


async def _recorded(event: Recorded) -> None:
    if event.action in FIGURE_ACTIONS:
        await figures_changed()


def register() -> None:
    """Idempotent, like every subscriber's."""
    subscribe(Recorded, _recorded)
