"""Who may do what to whom in the accounts domain."""

from __future__ import annotations

from incubator.accounts.identity import Actor
from incubator.accounts.roles import Role


def can_set_roles(actor: Actor) -> bool:
    return actor.has_role(Role.ADMIN)


def can_edit_profile(actor: Actor, person_id: int) -> bool:
    return actor.id == person_id
