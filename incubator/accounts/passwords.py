"""argon2id hashing, run in worker threads so a login never stalls the event loop, and
capped: a few hashes at once per worker, a short queue, then "retry in a moment" — a
storm of sign-ins slows sign-ins, not every page of the portal."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache, partial
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from incubator.errors import Busy
from incubator.i18n import gettext as _
from incubator.settings import get_settings

T = TypeVar("T")
RETRY_AFTER_SECONDS = 5


class _HashingLane:
    """A few threads of the process's own that run hashes one after another, and a count
    of the hashes admitted to them. A queued hash starts the moment a thread is free: a
    limiter released from the event loop waited a full turn of a loop busy with pages
    between two hashes, so under load sign-ins queued for seconds and were refused."""

    def __init__(self, threads: int, queue: int) -> None:
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="argon2")
        self._threads = threads
        self._capacity = threads + queue
        self._admitted = 0
        self._lock = threading.Lock()

    def waiting(self) -> int:
        with self._lock:
            return max(0, self._admitted - self._threads)

    def _finished(self, _future: Future[T]) -> None:
        with self._lock:
            self._admitted -= 1

    async def run(self, function: Callable[[], T]) -> T:
        with self._lock:
            if self._admitted >= self._capacity:
                raise Busy(
                    _("Many people are signing in right now. Try again in a few seconds."),
                    retry_after_seconds=RETRY_AFTER_SECONDS,
                )
            self._admitted += 1
        future = self._executor.submit(function)
        future.add_done_callback(self._finished)
        return await asyncio.wrap_future(future)


@lru_cache(maxsize=1)
def _lane() -> _HashingLane:
    settings = get_settings()
    return _HashingLane(settings.argon2_concurrency, settings.argon2_queue)


def hashing_waiters() -> int:
    """Sign-ins of this process queued for a hashing thread."""
    return _lane().waiting()


async def run_capped(function: Callable[[], T]) -> T:
    return await _lane().run(function)


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
