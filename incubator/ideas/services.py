"""Idea rules: proposing, editing, supporting, discussing and merging duplicates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from incubator.accounts.identity import Actor
from incubator.challenges.services import takes_ideas
from incubator.challenges.tables import Challenge
from incubator.db.audit import record_event
from incubator.db.transactions import is_sqlite, transaction
from incubator.discussion import services as discussion
from incubator.errors import NotAllowed, NotFound, ValidationFailed
from incubator.i18n import gettext as _
from incubator.ideas import search, supports
from incubator.ideas.policies import can_edit_idea, can_merge_ideas, can_support_idea
from incubator.ideas.tables import Idea, IdeaTag, Support, TeamMember, TeamRole
from incubator.live import signal
from incubator.tags import TAG_MAX_LENGTH, parse_tags
from incubator.web.forms import parse_id

TITLE_MAX = 120
SUMMARY_MAX = 280
DESCRIPTION_MAX = 20_000
TAGS_MAX = 10
SUBJECT = "idea"


@dataclass(frozen=True)
class IdeaDraft:
    title: str
    summary: str
    description: str = ""
    challenge_id: str = ""
    tags: str = ""
    blind: bool = False


@dataclass(frozen=True)
class _Clean:
    title: str
    summary: str
    description: str
    challenge_id: int | None
    tags: list[str]


async def _validate(draft: IdeaDraft, *, current_challenge: int | None = None) -> _Clean:
    errors: dict[str, str] = {}
    title, summary = draft.title.strip(), draft.summary.strip()
    description = draft.description.strip()
    if not title or len(title) > TITLE_MAX:
        errors["title"] = _("Give your idea a title (up to %(max)s characters).", max=TITLE_MAX)
    if not summary or len(summary) > SUMMARY_MAX:
        errors["summary"] = _(
            "Sum your idea up in a sentence or two (up to %(max)s characters).", max=SUMMARY_MAX
        )
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = _(
            "Keep the description under %(max)s characters.", max=DESCRIPTION_MAX
        )
    tags = parse_tags(draft.tags)
    if len(tags) > TAGS_MAX or any(len(tag) > TAG_MAX_LENGTH for tag in tags):
        errors["tags"] = _(
            "Use at most %(count)s tags of up to %(max)s characters each.",
            count=TAGS_MAX,
            max=TAG_MAX_LENGTH,
        )
    challenge_id: int | None = None
    if draft.challenge_id.strip():
        challenge_id = await _open_challenge(draft.challenge_id.strip(), current_challenge, errors)
    if errors:
        raise ValidationFailed(errors)
    return _Clean(title, summary, description, challenge_id, tags)


async def _open_challenge(raw_id: str, current: int | None, errors: dict[str, str]) -> int | None:
    """The challenge an idea answers must take ideas (unless the idea already answered it)."""
    challenge_id = parse_id(raw_id)
    row = (
        None
        if challenge_id is None
        else await Challenge.select(Challenge.status, Challenge.closes_on)
        .where(Challenge.id == challenge_id)
        .first()
        .run()
    )
    if challenge_id is None or row is None:
        errors["challenge_id"] = _("Choose a challenge from the list, or none.")
        return None
    if challenge_id != current and not takes_ideas(row["status"], row["closes_on"]):
        errors["challenge_id"] = _("This challenge is closed and takes no new ideas.")
        return None
    return challenge_id


async def _index(idea_id: int, clean: _Clean) -> None:
    await search.index_idea(
        idea_id,
        title=clean.title,
        summary=clean.summary,
        body=clean.description + "\n" + " ".join(clean.tags),
    )


async def _set_tags(idea_id: int, tags: list[str]) -> None:
    """The IdeaTag rows, which the tag filter searches; the callers write the same list
    into the idea's row (which cards show) in the same transaction."""
    await IdeaTag.delete().where(IdeaTag.idea == idea_id).run()
    if tags:
        await IdeaTag.insert(*(IdeaTag(idea=idea_id, tag=tag) for tag in tags)).run()


async def propose_idea(actor: Actor, draft: IdeaDraft) -> int:
    """Anyone may propose an idea, alone or answering an open challenge."""
    clean = await _validate(draft)
    async with transaction():
        idea = Idea(
            title=clean.title,
            summary=clean.summary,
            description=clean.description,
            challenge=clean.challenge_id,
            author=actor.id,
            blind=draft.blind,
            tags=clean.tags,
        )
        await idea.save().run()
        await _set_tags(idea.id, clean.tags)
        await _index(idea.id, clean)
        await TeamMember.insert(
            TeamMember(idea=idea.id, person=actor.id, role=TeamRole.OWNER.value)
        ).run()
        if clean.challenge_id is not None:
            await (
                Challenge.update({Challenge.idea_count: Challenge.idea_count + 1})
                .where(Challenge.id == clean.challenge_id)
                .run()
            )
        await discussion.follow(actor.id, SUBJECT, idea.id)
        await record_event(
            actor_id=actor.id,
            action="idea.proposed",
            subject_type=SUBJECT,
            subject_id=idea.id,
            data={"challenge": clean.challenge_id, "blind": draft.blind},
        )
    return int(idea.id)


async def load_idea(idea_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await Idea.select(
            Idea.id,
            Idea.title,
            Idea.author,
            Idea.challenge,
            Idea.status,
            Idea.merged_into,
            Idea.blind,
        )
        .where(Idea.id == idea_id)
        .first()
        .run()
    )
    if row is None:
        raise NotFound(_("This idea does not exist."))
    return row


async def live_idea(idea_id: int) -> dict[str, Any]:
    """An idea that has not been merged away (merged ideas only redirect)."""
    row = await load_idea(idea_id)
    if row["merged_into"] is not None:
        raise NotFound(_("This idea was merged into another one."))
    return row


async def is_team_member(idea_id: int, person_id: int) -> bool:
    return bool(
        await TeamMember.exists()
        .where((TeamMember.idea == idea_id) & (TeamMember.person == person_id))
        .run()
    )


async def edit_idea(actor: Actor, idea_id: int, draft: IdeaDraft) -> None:
    row = await live_idea(idea_id)
    if not can_edit_idea(actor, row["author"], on_team=await is_team_member(idea_id, actor.id)):
        raise NotAllowed(_("Only the idea's team or a steward can edit it."))
    clean = await _validate(draft, current_challenge=row["challenge"])
    async with transaction():
        await (
            Idea.update(
                {
                    Idea.title: clean.title,
                    Idea.summary: clean.summary,
                    Idea.description: clean.description,
                    Idea.challenge: clean.challenge_id,
                    Idea.tags: clean.tags,
                    Idea.updated_at: datetime.now(UTC),
                }
            )
            .where(Idea.id == idea_id)
            .run()
        )
        if clean.challenge_id != row["challenge"]:
            for challenge_id, step in ((row["challenge"], -1), (clean.challenge_id, 1)):
                if challenge_id is not None:
                    await (
                        Challenge.update({Challenge.idea_count: Challenge.idea_count + step})
                        .where(Challenge.id == challenge_id)
                        .run()
                    )
        await _set_tags(idea_id, clean.tags)
        await _index(idea_id, clean)


async def toggle_support(actor: Actor, idea_id: int) -> tuple[bool, int]:
    """Support the idea, or withdraw the support; returns (supports now, count).

    The unique index on (person, idea) and the counter moving in the same statement or
    transaction keep the count exact however many people press at once. A new support is
    written together with the other presses of the moment (incubator.ideas.supports)."""
    count = await supports.add_support(actor.id, idea_id)
    if count is not None:
        signal(f"idea:{idea_id}", "support")
        return True, count
    # Already supported (a withdrawal), or not an idea this person may support: the
    # careful path, which says why.
    row = await live_idea(idea_id)
    if not can_support_idea(actor, row["author"]):
        raise NotAllowed(_("You cannot support your own idea: ask colleagues to."))
    async with transaction():
        if not is_sqlite():
            # The idea first, as a batch of new supports locks it (incubator.ideas.supports).
            await Idea.select(Idea.id).where(Idea.id == idea_id).lock_rows().run()
        withdrawn = (
            await Support.delete()
            .where((Support.person == actor.id) & (Support.idea == idea_id))
            .returning(Support.id)
            .run()
        )
        if withdrawn:
            step, supported = -1, False
        else:
            # A press at the same moment withdrew it first: this press, a toggle of what it
            # found withdrawn, supports again: two presses from a supporter end supported,
            # as one after the other would.
            again = (
                await Support.insert(Support(person=actor.id, idea=idea_id))
                .on_conflict(action="DO NOTHING")
                .returning(Support.id)
                .run()
            )
            step, supported = (1, True) if again else (0, True)
        counted = await (
            Idea.update({Idea.support_count: Idea.support_count + step})
            .where(Idea.id == idea_id)
            .returning(Idea.support_count)
            .run()
        )
    signal(f"idea:{idea_id}", "support")
    return supported, int(counted[0]["support_count"])


async def comment_on_idea(
    actor: Actor, idea_id: int, body: str, parent_id: int | None = None
) -> int:
    await live_idea(idea_id)
    return await discussion.add_comment(actor, SUBJECT, idea_id, body, parent_id)


async def merge_ideas(actor: Actor, duplicate_id: int, into_id: int | None) -> None:
    """A steward folds a duplicate into another idea (`into_id`: the number they typed,
    None when it was not a number): its supports (without counting a person twice),
    comments and followers move over; its address redirects."""
    if not can_merge_ideas(actor):
        raise NotAllowed(_("Only a steward can merge ideas."))
    if into_id is None:
        raise ValidationFailed(
            {"into_id": _("Enter the number of the idea to merge into, such as 42.")}
        )
    if duplicate_id == into_id:
        raise ValidationFailed({"into_id": _("Choose another idea to merge into.")})
    duplicate = await live_idea(duplicate_id)
    try:
        target = await live_idea(into_id)
    except NotFound as missing:
        raise ValidationFailed({"into_id": _("Choose an idea that still exists.")}) from missing
    async with transaction():
        already = await Support.select(Support.person).where(Support.idea == into_id).run()
        kept = {row["person"] for row in already} | {target["author"]}
        moving = (
            await Support.select(Support.id, Support.person)
            .where(Support.idea == duplicate_id)
            .run()
        )
        movable = [row["id"] for row in moving if row["person"] not in kept]
        if movable:
            await Support.update({Support.idea: into_id}).where(Support.id.is_in(movable)).run()
        await Support.delete().where(Support.idea == duplicate_id).run()
        await (
            Idea.update({Idea.support_count: Idea.support_count + len(movable)})
            .where(Idea.id == into_id)
            .run()
        )
        await (
            Idea.update(
                {
                    Idea.merged_into: into_id,
                    Idea.support_count: 0,
                    Idea.updated_at: datetime.now(UTC),
                }
            )
            .where(Idea.id == duplicate_id)
            .run()
        )
        if duplicate["challenge"] is not None:
            await (
                Challenge.update({Challenge.idea_count: Challenge.idea_count - 1})
                .where(Challenge.id == duplicate["challenge"])
                .run()
            )
        await discussion.move_subject(SUBJECT, duplicate_id, into_id)
        await discussion.follow(duplicate["author"], SUBJECT, into_id)
        await search.remove_idea(duplicate_id)
        await record_event(
            actor_id=actor.id,
            action="idea.merged",
            subject_type=SUBJECT,
            subject_id=duplicate_id,
            data={"into": into_id, "supports_moved": len(movable)},
        )
