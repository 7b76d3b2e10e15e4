"""Personal API tokens: created and revoked by their owner, checked on every API call."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from incubator.accounts.identity import Actor
from incubator.accounts.services import load_actor
from incubator.accounts.tables import ApiToken
from incubator.errors import NotFound, ValidationFailed
from incubator.i18n import gettext as _

PREFIX = "inc_"
TOKENS_PER_PERSON = 20
TOUCH_EVERY = timedelta(minutes=10)  # last_used_at precision: no write on every call


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(actor: Actor, name: str) -> str:
    """A new token, returned once in clear; only its hash is kept."""
    name = name.strip()
    if not name or len(name) > 80:
        raise ValidationFailed(
            {"token_name": _("Name the token after what will use it (up to 80 characters).")}
        )
    active = (
        await ApiToken.count()
        .where((ApiToken.person == actor.id) & ApiToken.revoked_at.is_null())
        .run()
    )
    if active >= TOKENS_PER_PERSON:
        raise ValidationFailed({"token_name": _("Revoke a token you no longer use first.")})
    token = PREFIX + secrets.token_urlsafe(32)
    await ApiToken.insert(
        ApiToken(person=actor.id, name=name, prefix=token[:12], token_hash=_digest(token))
    ).run()
    return token


async def revoke_token(actor: Actor, token_id: int) -> None:
    revoked = (
        await ApiToken.update({ApiToken.revoked_at: datetime.now(UTC)})
        .where(
            (ApiToken.id == token_id)
            & (ApiToken.person == actor.id)
            & ApiToken.revoked_at.is_null()
        )
        .returning(ApiToken.id)
        .run()
    )
    if not revoked:
        raise NotFound(_("This token does not exist or is already revoked."))


async def tokens_of(person_id: int) -> list[dict[str, Any]]:
    return await (
        ApiToken.select(
            ApiToken.id,
            ApiToken.name,
            ApiToken.prefix,
            ApiToken.created_at,
            ApiToken.last_used_at,
            ApiToken.revoked_at,
        )
        .where(ApiToken.person == person_id)
        .order_by(ApiToken.id, ascending=False)
        .run()
    )


async def actor_for_token(token: str) -> Actor | None:
    """The active person behind a live token, or None."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    row = (
        await ApiToken.select(ApiToken.id, ApiToken.person, ApiToken.last_used_at)
        .where((ApiToken.token_hash == _digest(token)) & ApiToken.revoked_at.is_null())
        .first()
        .run()
    )
    if row is None:
        return None
    now = datetime.now(UTC)
    if row["last_used_at"] is None or now - row["last_used_at"] > TOUCH_EVERY:
        await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == row["id"]).run()
    return await load_actor(int(row["person"]))
