"""People using a real server over HTTP, many at once: each has their own cookies (session,
CSRF) and posts forms the way the pages do."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import ssl
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx

from tests.conftest import PASSWORD

T = TypeVar("T")
logging.getLogger("httpx").setLevel(logging.WARNING)  # thousands of requests per test

# What a person must never read, whatever goes wrong behind the page.
# One TLS context for every client: httpx builds one per client otherwise (~70 ms of CPU
# each, and these servers speak plain HTTP anyway).
_TLS = ssl.create_default_context()

LEAKS = ("Traceback", "database is locked", "OperationalError", "asyncpg", "sqlite3")


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The test run's environment (database, cheap hashes, test mode) for a server that
    lets many people sign in from one address at once."""
    return {
        **os.environ,
        "INCUBATOR_DATA_DIR": str(data_dir),
        "INCUBATOR_SCHEDULER": "off",
        "INCUBATOR_AUTH_POSTS_PER_MINUTE": "100000",
        "INCUBATOR_ARGON2_QUEUE": "1000",
        **extra,
    }


@dataclass
class Answer:
    """What a person saw: the status, or the transport error if none came back."""

    status: int | None
    body: str = ""
    location: str = ""
    error: str = ""
    seconds: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and (200 <= self.status < 300 or self.status == 303)

    def leaks(self) -> list[str]:
        return [word for word in LEAKS if word in self.body]


class WebPerson:
    def __init__(self, base_url: str, email: str, *, locale: str = "en") -> None:
        self.email = email
        self.client = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(60),
            verify=_TLS,
            # Below uvicorn's 5 s keep-alive: never reuse a connection the server is closing.
            limits=httpx.Limits(
                max_connections=400, max_keepalive_connections=400, keepalive_expiry=2
            ),
            headers={"Accept-Language": locale},
        )

    async def _csrf(self) -> str:
        if "csrftoken" not in self.client.cookies:
            await self.client.get("/healthz")  # the cheapest answer that sets the cookie
        return str(self.client.cookies["csrftoken"])

    async def get(self, url: str, **headers: str) -> Answer:
        return await self._send("GET", url, None, headers)

    async def post(
        self, url: str, data: dict[str, str] | None = None, *, htmx: bool = False
    ) -> Answer:
        form = {**(data or {}), "_csrf_token": await self._csrf()}
        return await self._send("POST", url, form, {"HX-Request": "true"} if htmx else {})

    async def _send(
        self, method: str, url: str, data: dict[str, str] | None, headers: dict[str, str]
    ) -> Answer:
        started = asyncio.get_running_loop().time()
        try:
            response = await self.client.request(method, url, data=data, headers=headers)
        except httpx.HTTPError as error:
            elapsed = asyncio.get_running_loop().time() - started
            return Answer(None, error=f"{type(error).__name__}: {error}", seconds=elapsed)
        return Answer(
            response.status_code,
            response.text,
            response.headers.get("location", ""),
            seconds=asyncio.get_running_loop().time() - started,
            headers=dict(response.headers),
        )

    async def sign_in(self) -> None:
        answer = await self.post("/login", {"email": self.email, "password": PASSWORD})
        assert answer.status == 303, (self.email, answer.status, answer.body[:500])

    async def close(self) -> None:
        await self.client.aclose()


async def signed_in(base_url: str, emails: Iterable[str], *, at_once: int = 16) -> list[WebPerson]:
    """Everyone signed in (a few sign-ins at a time: each costs a password hash)."""
    people = [WebPerson(base_url, email) for email in emails]
    await bounded((person.sign_in() for person in people), at_once)
    return people


async def bounded(requests: Iterable[Awaitable[T]], at_once: int) -> list[T]:
    """Await the (not yet started) coroutines, at most `at_once` at a time, in order."""
    gate = asyncio.Semaphore(at_once)

    async def one(request: Awaitable[T]) -> T:
        async with gate:
            return await request

    return list(await asyncio.gather(*(one(request) for request in requests)))


async def close_all(people: Iterable[WebPerson]) -> None:
    await asyncio.gather(*(person.close() for person in people))


def id_from(location: str) -> int:
    match = re.search(r"/(\d+)(?:[#?].*)?$", location)
    assert match, location
    return int(match.group(1))


def assert_clean(answers: Iterable[Answer], *, allowed: Iterable[int] = (200, 303)) -> None:
    """Every request answered, with an allowed status and nothing technical in the page."""
    expected = set(allowed)
    bad = [a for a in answers if a.status not in expected or a.leaks()]
    assert not bad, [(a.status, a.error, a.leaks(), a.body[:300]) for a in bad[:5]]


def leaked_in_log(log: str) -> list[str]:
    return [
        line for line in log.splitlines() if "database is locked" in line or "Traceback" in line
    ]


def run_async(coroutine: Awaitable[T]) -> T:
    """Drive the HTTP load from the test's own thread (it only touches sockets)."""

    async def main() -> T:
        return await coroutine

    return asyncio.run(main())
