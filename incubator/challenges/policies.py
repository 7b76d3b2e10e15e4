"""Who may do what to a challenge. Anyone may post one (polycentric); its author or a
steward looks after it."""

from __future__ import annotations

from incubator.accounts.identity import Actor
from incubator.accounts.roles import Role


def can_edit_challenge(actor: Actor, author_id: int) -> bool:
    return actor.id == author_id or actor.has_role(Role.STEWARD)


def can_archive_challenge(actor: Actor) -> bool:
    return actor.has_role(Role.STEWARD)
