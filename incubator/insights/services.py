"""Insight rules: logging what a customer said, "seen it too", linking as evidence."""

from __future__ import annotations

from dataclasses import dataclass

from incubator.accounts.identity import Actor
from incubator.db.transactions import transaction
from incubator.errors import NotFound, ValidationFailed
from incubator.i18n import gettext as _
from incubator.insights.tables import Channel, Insight, InsightLink, InsightSeen, Sentiment

QUOTE_MAX = 2_000
SEGMENT_MAX = 80
SUBJECTS = ("challenge", "idea")


@dataclass(frozen=True)
class InsightDraft:
    quote: str
    channel: str
    segment: str
    sentiment: str


async def log_insight(actor: Actor, draft: InsightDraft) -> int:
    errors: dict[str, str] = {}
    quote, segment = draft.quote.strip(), draft.segment.strip()
    if not quote or len(quote) > QUOTE_MAX:
        errors["quote"] = _(
            "Write what the customer said (up to %(max)s characters).", max=QUOTE_MAX
        )
    if draft.channel not in {c.value for c in Channel}:
        errors["channel"] = _("Choose where you heard it.")
    if draft.sentiment not in {s.value for s in Sentiment}:
        errors["sentiment"] = _("Choose praise, complaint or suggestion.")
    if len(segment) > SEGMENT_MAX:
        errors["segment"] = _("Keep the segment under %(max)s characters.", max=SEGMENT_MAX)
    if errors:
        raise ValidationFailed(errors)
    insight = Insight(
        quote=quote,
        channel=draft.channel,
        segment=segment,
        sentiment=draft.sentiment,
        author=actor.id,
    )
    await insight.save().run()
    return int(insight.id)


async def toggle_seen(actor: Actor, insight_id: int) -> tuple[bool, int]:
    """ "Seen it too", or take it back; exact under concurrency (unique rows, the count
    moving in the same transaction)."""
    if not await Insight.exists().where(Insight.id == insight_id).run():
        raise NotFound(_("This insight does not exist."))
    async with transaction():
        removed = (
            await InsightSeen.delete()
            .where((InsightSeen.insight == insight_id) & (InsightSeen.person == actor.id))
            .returning(InsightSeen.id)
            .run()
        )
        if removed:
            step, seen = -1, False
        else:
            added = (
                await InsightSeen.insert(InsightSeen(insight=insight_id, person=actor.id))
                .on_conflict(action="DO NOTHING")
                .returning(InsightSeen.id)
                .run()
            )
            step, seen = (1 if added else 0), True
        if step:
            await (
                Insight.update({Insight.seen_count: Insight.seen_count + step})
                .where(Insight.id == insight_id)
                .run()
            )
        row = await Insight.select(Insight.seen_count).where(Insight.id == insight_id).first().run()
    assert row is not None
    return seen, int(row["seen_count"])


async def link_insight(actor: Actor, insight_id: int, subject_type: str, subject_id: int) -> None:
    """Use an insight as evidence (the caller checked the subject exists); idempotent."""
    if subject_type not in SUBJECTS:
        raise ValidationFailed({"subject": _("Link the insight to a challenge or an idea.")})
    if not await Insight.exists().where(Insight.id == insight_id).run():
        raise NotFound(_("This insight does not exist."))
    await (
        InsightLink.insert(
            InsightLink(
                insight=insight_id,
                subject_type=subject_type,
                subject_id=subject_id,
                linked_by=actor.id,
            )
        )
        .on_conflict(action="DO NOTHING")
        .run()
    )
