"""Challenge rules: posting, editing, and the open → closed → archived life cycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from incubator.accounts.identity import Actor
from incubator.challenges.policies import can_archive_challenge, can_edit_challenge
from incubator.challenges.tables import Challenge, ChallengeSource, ChallengeStatus, ChallengeTag
from incubator.db.audit import record_event
from incubator.db.transactions import transaction
from incubator.discussion import services as discussion
from incubator.errors import NotAllowed, NotFound, ValidationFailed
from incubator.i18n import gettext as _
from incubator.tags import TAG_MAX_LENGTH, parse_tags

TITLE_MAX = 120
PROBLEM_MAX = 20_000
TAGS_MAX = 10
SUBJECT = "challenge"

# Which status may follow which, and who may make the move.
_TRANSITIONS: dict[tuple[ChallengeStatus, ChallengeStatus], str] = {
    (ChallengeStatus.DRAFT, ChallengeStatus.OPEN): "editor",
    (ChallengeStatus.OPEN, ChallengeStatus.CLOSED): "editor",
    (ChallengeStatus.CLOSED, ChallengeStatus.OPEN): "editor",
    (ChallengeStatus.CLOSED, ChallengeStatus.ARCHIVED): "steward",
    (ChallengeStatus.ARCHIVED, ChallengeStatus.CLOSED): "steward",
}


@dataclass(frozen=True)
class ChallengeDraft:
    title: str
    problem: str
    source: str = ChallengeSource.INTERNAL.value
    closes_on: str = ""
    tags: str = ""


@dataclass(frozen=True)
class _Clean:
    title: str
    problem: str
    source: str
    closes_on: date | None
    tags: list[str]


def today() -> date:
    return datetime.now(UTC).date()


def _validate(draft: ChallengeDraft) -> _Clean:
    errors: dict[str, str] = {}
    title, problem = draft.title.strip(), draft.problem.strip()
    if not title or len(title) > TITLE_MAX:
        errors["title"] = _(
            "Give your challenge a title (up to %(max)s characters).", max=TITLE_MAX
        )
    if not problem:
        errors["problem"] = _("Describe the problem you want solved.")
    elif len(problem) > PROBLEM_MAX:
        errors["problem"] = _("Keep the problem under %(max)s characters.", max=PROBLEM_MAX)
    source = draft.source.strip() or ChallengeSource.INTERNAL.value
    if source not in {s.value for s in ChallengeSource}:
        errors["source"] = _("Choose where this challenge comes from.")
    closes_on: date | None = None
    if draft.closes_on.strip():
        try:
            closes_on = date.fromisoformat(draft.closes_on.strip())
        except ValueError:
            errors["closes_on"] = _("Enter a date like 2027-03-31, or leave it empty.")
        else:
            if closes_on < today():
                errors["closes_on"] = _("Choose a closing date from today on.")
    tags = parse_tags(draft.tags)
    if len(tags) > TAGS_MAX or any(len(tag) > TAG_MAX_LENGTH for tag in tags):
        errors["tags"] = _(
            "Use at most %(count)s tags of up to %(max)s characters each.",
            count=TAGS_MAX,
            max=TAG_MAX_LENGTH,
        )
    if errors:
        raise ValidationFailed(errors)
    return _Clean(title, problem, source, closes_on, tags)


async def _set_tags(challenge_id: int, tags: list[str]) -> None:
    await ChallengeTag.delete().where(ChallengeTag.challenge == challenge_id).run()
    if tags:
        await ChallengeTag.insert(
            *(ChallengeTag(challenge=challenge_id, tag=tag) for tag in tags)
        ).run()


async def post_challenge(actor: Actor, draft: ChallengeDraft) -> int:
    """Anyone may post a challenge; it opens at once and its author follows it."""
    clean = _validate(draft)
    async with transaction():
        challenge = Challenge(
            title=clean.title,
            problem=clean.problem,
            source=clean.source,
            closes_on=clean.closes_on,
            author=actor.id,
            status=ChallengeStatus.OPEN.value,
        )
        await challenge.save().run()
        await _set_tags(challenge.id, clean.tags)
        await discussion.follow(actor.id, SUBJECT, challenge.id)
        await record_event(
            actor_id=actor.id,
            action="challenge.posted",
            subject_type=SUBJECT,
            subject_id=challenge.id,
        )
    return int(challenge.id)


async def _load(challenge_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await Challenge.select(Challenge.id, Challenge.author, Challenge.status)
        .where(Challenge.id == challenge_id)
        .first()
        .run()
    )
    if row is None:
        raise NotFound(_("This challenge does not exist."))
    return row


async def edit_challenge(actor: Actor, challenge_id: int, draft: ChallengeDraft) -> None:
    row = await _load(challenge_id)
    if not can_edit_challenge(actor, row["author"]):
        raise NotAllowed(_("Only the author of this challenge or a steward can edit it."))
    clean = _validate(draft)
    async with transaction():
        await (
            Challenge.update(
                {
                    Challenge.title: clean.title,
                    Challenge.problem: clean.problem,
                    Challenge.source: clean.source,
                    Challenge.closes_on: clean.closes_on,
                    Challenge.updated_at: datetime.now(UTC),
                }
            )
            .where(Challenge.id == challenge_id)
            .run()
        )
        await _set_tags(challenge_id, clean.tags)


async def change_status(actor: Actor, challenge_id: int, status: str) -> None:
    """Close, reopen or archive a challenge (audited: it decides whether ideas may come)."""
    row = await _load(challenge_id)
    try:
        wanted = ChallengeStatus(status)
    except ValueError as error:
        raise ValidationFailed({"status": _("Unknown status.")}) from error
    who = _TRANSITIONS.get((ChallengeStatus(row["status"]), wanted))
    if who is None:
        raise ValidationFailed({"status": _("A challenge cannot go from this status to that one.")})
    allowed = (
        can_archive_challenge(actor)
        if who == "steward"
        else can_edit_challenge(actor, row["author"])
    )
    if not allowed:
        raise NotAllowed(_("Only the author of this challenge or a steward can do that."))
    async with transaction():
        await (
            Challenge.update(
                {Challenge.status: wanted.value, Challenge.updated_at: datetime.now(UTC)}
            )
            .where(Challenge.id == challenge_id)
            .run()
        )
        await record_event(
            actor_id=actor.id,
            action="challenge.status_changed",
            subject_type=SUBJECT,
            subject_id=challenge_id,
            data={"before": row["status"], "after": wanted.value},
        )


def takes_ideas(status: str, closes_on: date | None) -> bool:
    """An open challenge whose closing date, if any, has not passed."""
    return status == ChallengeStatus.OPEN.value and (closes_on is None or closes_on >= today())
