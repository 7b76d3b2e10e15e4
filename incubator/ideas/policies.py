"""Who may do what to an idea, and who may know who proposed it."""

from __future__ import annotations

from datetime import datetime

from incubator.accounts.identity import Actor
from incubator.accounts.roles import Role


def identity_hidden(*, blind: bool, revealed_at: datetime | None) -> bool:
    """A blind idea is judged on merit: its people stay hidden until its first gate."""
    return blind and revealed_at is None


def can_see_identity(
    viewer_id: int,
    *,
    author_id: int,
    blind: bool,
    revealed_at: datetime | None,
    on_team: bool = False,
) -> bool:
    """Everyone, once revealed; before that only the author and the team themselves."""
    return (
        not identity_hidden(blind=blind, revealed_at=revealed_at)
        or viewer_id == author_id
        or on_team
    )


def can_edit_idea(actor: Actor, author_id: int, *, on_team: bool) -> bool:
    return actor.id == author_id or on_team or actor.has_role(Role.STEWARD)


def can_support_idea(actor: Actor, author_id: int) -> bool:
    """Supporting is for others: an author's own enthusiasm is taken as read."""
    return actor.id != author_id


def can_merge_ideas(actor: Actor) -> bool:
    return actor.has_role(Role.STEWARD)
