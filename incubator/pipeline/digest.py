"""The weekly leadership digest: new ideas, decisions, stalls and escalations of the past
seven days, sent through the notification channel by the scheduler."""

from __future__ import annotations

from datetime import datetime, timedelta

from incubator.db.jobs import claim
from incubator.db.transactions import transaction
from incubator.events import LeadershipDigest, publish
from incubator.gates.tables import GateRound, RoundStatus
from incubator.ideas.tables import Idea, IdeaStatus
from incubator.pipeline.queries import DEFAULT_STALLED_DAYS

JOB = "leadership_digest"


def week_of(moment: datetime) -> str:
    year, week, _day = moment.isocalendar()
    return f"{year}-W{week:02d}"


async def weekly_summary(now: datetime) -> dict[str, int]:
    since = now - timedelta(days=7)
    decided = GateRound.decided_at >= since
    return {
        "new_ideas": await Idea.count()
        .where((Idea.created_at >= since) & Idea.merged_into.is_null())
        .run(),
        "decisions": await GateRound.count().where(decided).run(),
        "passed": await GateRound.count()
        .where(decided & (GateRound.status == RoundStatus.PASSED.value))
        .run(),
        "killed": await GateRound.count()
        .where(decided & (GateRound.status == RoundStatus.KILLED.value))
        .run(),
        "escalations": await GateRound.count()
        .where(decided & (GateRound.status == RoundStatus.NO_QUORUM.value))
        .run(),
        "stalled": await Idea.count()
        .where(
            (Idea.status == IdeaStatus.ACTIVE.value)
            & Idea.merged_into.is_null()
            & (Idea.stage_entered_at < now - timedelta(days=DEFAULT_STALLED_DAYS))
        )
        .run(),
    }


async def send_leadership_digest(now: datetime) -> bool:
    """Send this week's digest unless some process already has (returns whether we did)."""
    period = week_of(now)
    async with transaction():
        if not await claim(JOB, period):
            return False
        await publish(LeadershipDigest(period=period, summary=await weekly_summary(now)))
    return True
