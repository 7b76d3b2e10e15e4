"""Failed sign-ins counted per (email, address) in a shared store, so that guessing a
password is slow while the real owner, from another address, is not locked out."""

from __future__ import annotations

import hashlib

from litestar.stores.base import Store

from incubator.errors import TooManyAttempts
from incubator.i18n import gettext as _


class LoginThrottle:
    def __init__(self, store: Store, *, limit: int, window_seconds: int) -> None:
        self._store = store
        self._limit = limit
        self._window = window_seconds

    @staticmethod
    def _key(email: str, address: str) -> str:
        digest = hashlib.sha256(f"{email.strip().lower()}\x00{address}".encode()).hexdigest()
        return f"login-failures:{digest}"

    async def _failures(self, key: str) -> int:
        raw = await self._store.get(key)
        return int(raw) if raw else 0

    async def check(self, email: str, address: str) -> None:
        """Refuse the attempt outright once the limit is reached, without checking the password."""
        key = self._key(email, address)
        if await self._failures(key) >= self._limit:
            wait = await self._store.expires_in(key) or self._window
            minutes = max(1, -(-wait // 60))
            raise TooManyAttempts(
                _(
                    "Too many failed attempts. Try again in %(minutes)s minutes, or ask an "
                    "administrator to reset your password.",
                    minutes=minutes,
                ),
                retry_after_seconds=wait,
            )

    async def failed(self, email: str, address: str) -> None:
        key = self._key(email, address)
        await self._store.set(key, str(await self._failures(key) + 1), expires_in=self._window)

    async def succeeded(self, email: str, address: str) -> None:
        await self._store.delete(self._key(email, address))
