"""The signed-in person, kept by each worker between their requests.

Every page needs the person behind its session (name, roles, unread count): read from
the database, that is a round trip per request, and on a busy database its cost is
mostly the round trip itself. Each worker keeps the identities it read, and each person
has a *version* in the shared "identities" store that every change to what their
identity says replaces once it has committed: their roles, name, language, or the
notifications counted in their badge. A request reads the version in the same store
round trip as its session (the session id names the person, see `sessions`), and uses
the identity kept only if it was read at that version. A change made outside the
portal's services (SQL by hand), or a version evicted from a full Redis, shows within
`MAX_AGE_SECONDS`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

from incubator.db.transactions import after_commit
from incubator.web.stores import shared_store, write_together

STORE = "identities"
MAX_AGE_SECONDS = 60.0
# A version outlives any identity kept under an older one (MAX_AGE_SECONDS), so a version
# that expired cannot make an old identity look current again.
VERSION_LIFETIME = timedelta(days=2)
KEPT_AT_MOST = 10_000

T = TypeVar("T")


def version_key(person_id: int) -> str:
    return f"person:{person_id}"


@dataclass(frozen=True, slots=True)
class _Kept(Generic[T]):
    identity: T
    version: bytes | None
    read_at: float


class IdentityCache(Generic[T]):
    """This worker's identities, by person, each with the version it was read at."""

    def __init__(self, load: Callable[[int], Awaitable[T | None]]) -> None:
        self._load = load
        self._kept: dict[int, _Kept[T]] = {}

    async def get(self, person_id: int, version: bytes | None) -> T | None:
        kept = self._kept.get(person_id)
        if (
            kept is not None
            and kept.version == version
            and time.monotonic() - kept.read_at < MAX_AGE_SECONDS
        ):
            return kept.identity
        read_at = time.monotonic()
        identity = await self._load(person_id)
        if identity is None:  # signed out by a deactivation: nothing to keep
            self._kept.pop(person_id, None)
            return None
        if len(self._kept) >= KEPT_AT_MOST and person_id not in self._kept:
            del self._kept[next(iter(self._kept))]  # the longest kept goes first
        self._kept[person_id] = _Kept(identity, version, read_at)
        return identity

    async def fresh(self, person_id: int) -> T | None:
        """From the database, for a request whose version is unknown (a session from
        before versions were kept)."""
        return await self._load(person_id)


async def identities_changed(*person_ids: int) -> None:
    """New versions for these people once the current transaction commits (at once
    outside one): every worker reads their identity afresh on their next request."""
    if not person_ids:
        return

    async def replace_versions() -> None:
        versions = {version_key(person_id): uuid.uuid4().hex for person_id in person_ids}
        await write_together(shared_store(STORE), versions, VERSION_LIFETIME)

    await after_commit(replace_versions)
