from __future__ import annotations

from datetime import datetime, timedelta

from incubator.accounts.identity import Actor
from incubator.accounts.roles import Role

EDIT_WINDOW = timedelta(minutes=15)


def can_edit_comment(actor: Actor, author_id: int, created_at: datetime, now: datetime) -> bool:
    return actor.id == author_id and now - created_at <= EDIT_WINDOW


def can_delete_comment(actor: Actor, author_id: int) -> bool:
    return actor.id == author_id or actor.has_role(Role.STEWARD)
