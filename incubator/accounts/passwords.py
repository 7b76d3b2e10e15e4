"""argon2id hashing, run in worker threads so a login never stalls the event loop, and
capped: a few hashes at once per worker, a short queue, then "retry in a moment" — a
storm of sign-ins slows sign-ins, not every page of the portal."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import lru_cache, partial
from typing import TypeVar
from weakref import WeakKeyDictionary

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from incubator.errors import Busy
from incubator.i18n import gettext as _
from incubator.settings import get_settings

T = TypeVar("T")
RETRY_AFTER_SECONDS = 5

# Each hash takes ~64 MiB and ~150 ms of CPU. A limiter belongs to the event loop that
# uses it, hence one per loop.
_limiters: WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = WeakKeyDictionary()


def _limiter() -> anyio.CapacityLimiter:
    loop = asyncio.get_running_loop()
    if (limiter := _limiters.get(loop)) is None:
        limiter = _limiters[loop] = anyio.CapacityLimiter(get_settings().argon2_concurrency)
    return limiter


def hashing_waiters() -> int:
    """Sign-ins queued for a hashing thread in this event loop."""
    return int(_limiter().statistics().tasks_waiting)


async def run_capped(function: Callable[[], T]) -> T:
    if hashing_waiters() >= get_settings().argon2_queue:
        raise Busy(
            _("Many people are signing in right now. Try again in a few seconds."),
            retry_after_seconds=RETRY_AFTER_SECONDS,
        )
    return await anyio.to_thread.run_sync(function, limiter=_limiter())


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    settings = get_settings()
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
    )


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so both answers take the same time."""
    return str(_hasher().hash("not a real password: equalises timing"))


MIN_LENGTH = 8
MAX_LENGTH = 256


async def hash_password(password: str) -> str:
    return await run_capped(partial(_hasher().hash, password))


def _verify(stored_hash: str, password: str) -> bool:
    try:
        return bool(_hasher().verify(stored_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def _verify_unknown_account(password: str) -> bool:
    _verify(_dummy_hash(), password)
    return False


async def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check a password; with no stored hash, burn the same time and answer False."""
    if stored_hash is None:
        await run_capped(partial(_verify_unknown_account, password))
        return False
    return await run_capped(partial(_verify, stored_hash, password))


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with other parameters than today's."""
    try:
        return bool(_hasher().check_needs_rehash(stored_hash))
    except InvalidHashError:
        return True
