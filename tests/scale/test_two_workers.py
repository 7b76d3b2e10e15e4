"""Two real worker processes on one database and one Redis (issue 12, point 6).

Every test here talks HTTP to separate `incubator serve` processes, each on its own port,
sharing one database (a PostgreSQL database of this module's own, or one SQLite file) and
one Redis database, as the workers of a deployment do: a person signed in through worker
A is signed in on worker B, and a role given through B holds on A at once; the sign-in
throttle and the flood guard count requests on both; both run the scheduler loop and a
due round is decided once; and a worker told to stop finishes the requests it has
accepted before it exits.

One pair of workers, started as `incubator serve` runs by default (scheduler on), serves
most tests; the flood guard's test has a pair of its own with a low limit. The
scheduler's test comes last, so that the loop has had its first passes meanwhile."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from incubator.scheduler import INTERVAL_SECONDS
from incubator.settings import Settings
from tests.conftest import BACKEND
from tests.servers import (
    Serve,
    SharedBackend,
    accepted_connections,
    serving,
    shared_backend,
    wait_for,
)

# A Redis database of this module's own; another for the other backend, so that the
# SQLite and the PostgreSQL runs of the suite may run at the same time.
REDIS_URL = os.environ.get(
    "INCUBATOR_TEST_SCALE_REDIS_URL",
    f"redis://127.0.0.1:6379/{11 if BACKEND == 'sqlite' else 12}",
)
REPO = Path(__file__).resolve().parents[2]
PASSWORD = "a long password"
SESSION_COOKIE = "incubator_session"
FLOOD_LIMIT = 6  # INCUBATOR_AUTH_POSTS_PER_MINUTE of the flood guard's pair
GRACEFUL_SECONDS = 30  # `incubator serve --graceful-timeout` of the worker that drains


def seed(backend: SharedBackend, what: str, **arguments: Any) -> dict[str, Any]:
    """Make test data in the workers' database with the real services (tests/scale)."""
    said = backend.run(
        "-c", "from tests.scale import main; main()", what, json.dumps(arguments), cwd=REPO
    )
    made: dict[str, Any] = json.loads(said.strip().splitlines()[-1])
    return made


class Browser:
    """One person's browser: one cookie jar for every worker (a cookie does not depend on
    the port), forms posted with the CSRF cookie's token, as the pages post them."""

    def __init__(self, headers: dict[str, str] | None = None) -> None:
        self.client = httpx.Client(timeout=60, headers={"Accept-Language": "en", **(headers or {})})

    def get(self, server: Serve, path: str) -> httpx.Response:
        return self.client.get(server.url + path)

    def post(self, server: Serve, path: str, data: dict[str, str] | None = None) -> httpx.Response:
        if "csrftoken" not in self.client.cookies:
            self.get(server, "/login")
        token = self.client.cookies["csrftoken"]
        return self.client.post(server.url + path, data={**(data or {}), "_csrf_token": token})

    def cookie(self, name: str) -> str:
        return str(self.client.cookies[name])

    def close(self) -> None:
        self.client.close()


def register(server: Serve, name: str, department: str) -> str:
    """A new account through the real form (then forgotten: its browser closes); its
    email address is `name` lowercased, made unique."""
    email = f"{name.lower().replace(' ', '.')}-{uuid.uuid4().hex[:8]}@example.com"
    visitor = Browser()
    try:
        made = visitor.post(
            server,
            "/register",
            {"email": email, "name": name, "password": PASSWORD, "department": department},
        )
        assert made.status_code == 303, made.text
    finally:
        visitor.close()
    return email


def page_with_only_the_session(server: Serve, path: str, session: str) -> httpx.Response:
    """`path` read with nothing but this session id (a stolen or an old cookie)."""
    return httpx.get(server.url + path, cookies={SESSION_COOKIE: session}, timeout=60)


@dataclass(frozen=True)
class Workers:
    a: Serve
    b: Serve
    due: dict[str, Any]  # the round that fell due before the workers started


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedBackend]:
    with shared_backend(tmp_path_factory.mktemp("scale"), REDIS_URL, label="scale") as shared:
        yield shared


@pytest.fixture(scope="module")
def workers(backend: SharedBackend) -> Iterator[Workers]:
    """Two workers as `incubator serve` runs them by default: each with the scheduler
    loop, started after a gate round fell due."""
    due = seed(backend, "due_round")
    with serving(backend.env(INCUBATOR_SCHEDULER="on"), backend.root, 2) as (a, b):
        yield Workers(a, b, due)


@pytest.fixture(scope="module")
def flood_guarded(backend: SharedBackend) -> Iterator[tuple[Serve, Serve]]:
    env = backend.env(INCUBATOR_AUTH_POSTS_PER_MINUTE=str(FLOOD_LIMIT))
    with serving(env, backend.root, 2, name="guarded") as (a, b):
        yield a, b


def test_signed_in_through_a_a_person_uses_b_and_signing_out_on_b_ends_it_on_a(
    workers: Workers, backend: SharedBackend
) -> None:
    a, b = workers.a, workers.b
    ada_name = f"Ada {uuid.uuid4().hex[:6]}"
    ada_email, bob_email = register(b, ada_name, "Marketing"), register(b, "Bob", "Opérations")
    ada, bob = Browser(), Browser()
    try:
        signed_in = ada.post(a, "/login", {"email": ada_email, "password": PASSWORD})
        assert signed_in.status_code == 303, signed_in.text
        session = ada.cookie(SESSION_COOKIE)
        assert session in " ".join(backend.redis_keys()), "the session is kept in Redis"

        # The session and the CSRF token made by A are good on B.
        profile = ada.get(b, "/profile")
        assert profile.status_code == 200, profile.text
        assert f'value="{ada_name}"' in profile.text  # her name, in her profile's form
        title = f"Shared idea {uuid.uuid4().hex[:6]}"
        created = ada.post(b, "/ideas/new", {"title": title, "summary": "Written through B."})
        assert created.status_code == 303, created.text
        idea_path = created.headers["location"]
        read_on_a = ada.get(a, idea_path)
        assert read_on_a.status_code == 200
        assert title in read_on_a.text

        assert bob.post(a, "/login", {"email": bob_email, "password": PASSWORD}).status_code == 303
        supported = bob.post(b, f"{idea_path}/support")
        assert supported.status_code == 303, supported.text
        seen_on_a = bob.get(a, idea_path)
        assert "You support this" in seen_on_a.text
        assert '<span class="stat__value">1</span>' in ada.get(a, idea_path).text

        # Signing out on B destroys the session itself, not only B's cookie: the same
        # session id, which A accepted a moment ago, A now turns away.
        assert page_with_only_the_session(a, "/profile", session).status_code == 200
        signed_out = ada.post(b, "/logout")
        assert signed_out.status_code == 303
        assert signed_out.headers["location"] == "/login"
        turned_away = page_with_only_the_session(a, "/profile", session)
        assert turned_away.status_code == 303
        assert turned_away.headers["location"].startswith("/login")
        assert ada.get(a, "/profile").status_code == 303
    finally:
        ada.close()
        bob.close()


def test_a_role_given_through_b_holds_on_a_at_the_next_request(
    workers: Workers, backend: SharedBackend
) -> None:
    """Each worker keeps who is signed in between requests (web/identities): a change
    made through one worker must reach the other's at once, through Redis."""
    a, b = workers.a, workers.b
    made = seed(backend, "admin_and_member")
    admin, member = Browser(), Browser()
    try:
        assert (
            member.post(a, "/login", {"email": made["member"], "password": PASSWORD}).status_code
            == 303
        )
        for server in (a, b):  # both workers now keep her identity, without the role
            assert member.get(server, "/admin/people").status_code == 403
            assert member.get(server, "/admin/people").status_code == 403

        assert (
            admin.post(b, "/login", {"email": made["admin"], "password": PASSWORD}).status_code
            == 303
        )
        given = admin.post(b, f"/admin/people/{made['member_id']}/roles", {"roles": "admin"})
        assert given.status_code == 303, given.text

        assert member.get(a, "/admin/people").status_code == 200
        assert member.get(b, "/admin/people").status_code == 200

        taken = admin.post(a, f"/admin/people/{made['member_id']}/roles", {})
        assert taken.status_code == 303, taken.text
        assert member.get(b, "/admin/people").status_code == 403
        assert member.get(a, "/admin/people").status_code == 403
    finally:
        admin.close()
        member.close()


def test_failed_passwords_on_both_workers_add_up_to_one_lockout(workers: Workers) -> None:
    """Wrong passwords alternate between A and B; the account locks after the same total
    as on one worker (the limit, counted per account and address), and stays locked on
    both, for the right password too. Counted per worker, neither would have locked."""
    a, b = workers.a, workers.b
    limit = Settings().login_failure_limit
    email = register(a, "Eve", "Ventes")
    eve = Browser()
    try:
        for attempt in range(limit):
            server = (a, b)[attempt % 2]
            failed = eve.post(server, "/login", {"email": email, "password": f"guess {attempt}"})
            assert failed.status_code == 400, (attempt, failed.status_code, failed.text)
            assert "do not match an account" in failed.text
        for server in ((a, b)[limit % 2], (a, b)[(limit + 1) % 2]):
            for password in ("one more guess", PASSWORD):
                locked = eve.post(server, "/login", {"email": email, "password": password})
                assert locked.status_code == 429, (server.url, password, locked.text)
                assert "Too many failed attempts" in locked.text
                assert int(locked.headers["retry-after"]) > 0
                assert SESSION_COOKIE not in eve.client.cookies
    finally:
        eve.close()


def test_the_flood_guard_counts_auth_posts_on_both_workers(
    flood_guarded: tuple[Serve, Serve],
) -> None:
    """POSTs to /login and /register from one address, alternating between A and B:
    the first `FLOOD_LIMIT` in the minute are answered (here 400: nothing matches), the
    next ones are refused with 429 by both workers. The address comes through the trusted
    proxy header (the test runs on loopback), so this test's address is its own."""
    a, b = flood_guarded
    flooder = Browser(headers={"X-Forwarded-For": "198.51.100.23"})
    try:
        remaining = []
        for attempt in range(FLOOD_LIMIT):
            server = (a, b)[attempt % 2]
            if attempt % 3 == 2:
                answer = flooder.post(server, "/register", {"email": "", "name": ""})
            else:
                stranger = f"nobody-{attempt}-{uuid.uuid4().hex[:6]}@example.com"
                answer = flooder.post(server, "/login", {"email": stranger, "password": "x"})
            assert answer.status_code == 400, (attempt, answer.status_code, answer.text)
            remaining.append(int(answer.headers["ratelimit-remaining"]))
        assert remaining == list(range(FLOOD_LIMIT - 1, -1, -1))
        for server in (a, b):
            for path in ("/login", "/register"):
                refused = flooder.post(server, path, {"email": "late@example.com"})
                assert refused.status_code == 429, (server.url, path, refused.text)
        # Per address, not for everyone: another address still gets an answer from both.
        neighbour = Browser(headers={"X-Forwarded-For": "198.51.100.24"})
        try:
            for server in (a, b):
                answer = neighbour.post(server, "/login", {"email": "n@example.com"})
                assert answer.status_code == 400, answer.text
        finally:
            neighbour.close()
    finally:
        flooder.close()


@dataclass(frozen=True)
class Sent:
    idea: int
    status: int | None
    location: str = ""
    error: str = ""

    @property
    def acknowledged(self) -> bool:
        return self.status == 303


SLOW = 8  # supports whose form body is still arriving when the worker is told to stop
FLOOD = 40  # supports pressed at once around that moment


def test_a_worker_told_to_stop_answers_every_request_it_accepted(
    workers: Workers, backend: SharedBackend
) -> None:
    """SIGTERM to a worker while requests are in flight: each support whose body was
    still arriving (accepted by the server, verifiably, before the signal) is answered
    303 and stored; of 40 supports pressed around the signal, each one answered is stored
    once and each one refused (connection refused or closed before it was read) is not
    stored; the worker exits cleanly within its graceful timeout. Killed instead, the
    slow requests would all lose their connection."""
    made = seed(backend, "ideas_to_support", count=SLOW + FLOOD)
    slow_ideas, flood_ideas = made["ideas"][:SLOW], made["ideas"][SLOW:]
    bob = Browser()
    email = f"bob-{uuid.uuid4().hex[:8]}@example.com"
    joined = bob.post(
        workers.a,
        "/register",
        {"email": email, "name": "Bob", "password": PASSWORD, "department": "Opérations"},
    )
    assert joined.status_code == 303, joined.text
    cookies = {name: bob.cookie(name) for name in (SESSION_COOKIE, "csrftoken")}
    form = f"_csrf_token={cookies['csrftoken']}".encode()
    stopping = threading.Event()
    args = ["--graceful-timeout", str(GRACEFUL_SECONDS)]

    with serving(backend.env(), backend.root, 1, name="draining", args=args) as (draining,):

        def support(idea: int, *, slowly: bool) -> Sent:
            def body() -> Iterator[bytes]:
                yield form[:4]
                assert stopping.wait(timeout=300)
                yield form[4:]

            try:
                # A connection of its own each: none is an idle keep-alive one at the signal.
                with httpx.Client(cookies=cookies, timeout=120) as client:
                    answer = client.post(
                        f"{draining.url}/ideas/{idea}/support",
                        content=body() if slowly else form,
                        headers={"Content-Type": "application/x-www-form-urlencoded"},
                    )
            except httpx.TransportError as error:
                return Sent(idea, None, error=repr(error))
            return Sent(idea, answer.status_code, answer.headers.get("location", ""))

        with ThreadPoolExecutor(max_workers=SLOW + FLOOD) as pool:
            slow = [pool.submit(support, idea, slowly=True) for idea in slow_ideas]
            wait_for(
                lambda: accepted_connections(draining.pid, draining.port) >= SLOW,
                60,
                lambda: f"{accepted_connections(draining.pid, draining.port)} accepted",
            )
            # An answer after the accepts: the event loop has read the slow requests'
            # headers, so each is a request in progress, not only a connection.
            assert httpx.get(f"{draining.url}/healthz", timeout=60).status_code == 200
            flood: list[Future[Sent]] = [
                pool.submit(support, idea, slowly=False) for idea in flood_ideas
            ]
            wait_for(
                lambda: any(f.done() for f in flood),
                60,
                lambda: "no support answered",
            )
            draining.terminate()
            signalled = time.monotonic()
            wait_for(
                lambda: "Waiting for connections to close" in draining.log(),
                60,
                lambda: draining.log()[-2000:],
            )
            stopping.set()  # the slow bodies arrive now, while the server drains
            slow_sent = [future.result(timeout=180) for future in slow]
            flood_sent = [future.result(timeout=180) for future in flood]
        assert draining.process is not None
        code = draining.process.wait(timeout=GRACEFUL_SECONDS + 60)
        took = time.monotonic() - signalled
        log = draining.log()

    assert [sent.status for sent in slow_sent] == [303] * SLOW, slow_sent
    assert all(sent.location == f"/ideas/{sent.idea}" for sent in slow_sent), slow_sent
    # uvicorn re-raises the SIGTERM it handled once it has shut down (exit status -15);
    # what tells a clean stop from a killed process is that the shutdown ran to its end.
    assert code in (0, -signal.SIGTERM), code
    assert took < GRACEFUL_SECONDS + 60, took
    assert "Application shutdown complete" in log, log[-2000:]
    assert "Finished server process" in log, log[-2000:]
    assert all(sent.acknowledged or sent.status is None for sent in flood_sent), flood_sent

    person = backend.fetch(f"SELECT id FROM person WHERE email = '{email}'")[0][0]  # noqa: S608
    ideas = ", ".join(str(idea) for idea in made["ideas"])
    stored = dict(
        backend.fetch(
            f"SELECT idea, count(*) FROM support WHERE person = {person} "  # noqa: S608
            f"AND idea IN ({ideas}) GROUP BY idea"
        )
    )
    counted = dict(backend.fetch(f"SELECT id, support_count FROM idea WHERE id IN ({ideas})"))  # noqa: S608
    for sent in [*slow_sent, *flood_sent]:
        expected = 1 if sent.acknowledged else 0
        assert stored.get(sent.idea, 0) == expected, sent
        assert counted[sent.idea] == expected, sent
    # The other worker served on throughout, with the same session.
    after = bob.get(workers.b, f"/ideas/{slow_ideas[0]}")
    assert "You support this" in after.text
    bob.close()


def test_both_workers_run_the_clock_and_the_due_round_is_decided_once(
    workers: Workers, backend: SharedBackend
) -> None:
    """Both workers run the scheduler loop (the default of `incubator serve`); the round
    that fell due before they started is decided once: one decision in the audit log, the
    idea one stage further, one notification per person told, and one holder of the
    clock's lease, which is one of the two workers."""
    a, b = workers.a, workers.b
    round_id, idea = workers.due["round"], workers.due["idea"]

    def status() -> str:
        return str(backend.fetch(f"SELECT status FROM gate_round WHERE id = {round_id}")[0][0])  # noqa: S608

    # A pass comes at start-up, then every INTERVAL_SECONDS: two passes and a margin.
    tails = lambda: a.log()[-3000:] + b.log()[-3000:]  # noqa: E731
    wait_for(lambda: status() != "open", 2 * INTERVAL_SECONDS + 90, tails)
    # Both looped: each said whether it holds the clock.
    wait_for(lambda: all("holds the clock" in w.log() for w in (a, b)), 60, tails)
    logs = [a.log(), b.log()]
    assert status() == "passed"
    holding = ["This process holds the clock" in log for log in logs]
    standing_by = ["Another process holds the clock" in log for log in logs]
    assert holding.count(True) == 1, logs
    assert standing_by == [not held for held in holding], logs
    holder = (a, b)[holding.index(True)]
    leases = backend.fetch("SELECT holder FROM lease WHERE name = 'clock'")
    assert len(leases) == 1, leases
    assert str(leases[0][0]).split(":")[-2] == str(holder.pid), (leases, a.pid, b.pid)
    assert sum(log.count(f"Round {round_id}: passed") for log in logs) == 1, logs
    # The first pass comes at start-up, once the database is open (it once came before).
    assert not any("Scheduler pass failed" in log for log in logs), logs

    decided = backend.fetch(
        "SELECT data FROM audit_event WHERE action = 'round.decided' "  # noqa: S608
        f"AND subject_id = {idea}"
    )
    assert len(decided) == 1, decided
    assert json.loads(decided[0][0])["round"] == round_id
    moved = backend.fetch(
        "SELECT data FROM audit_event WHERE action = 'idea.stage_changed' "  # noqa: S608
        f"AND subject_id = {idea}"
    )
    assert len(moved) == 1, moved
    to_stage = json.loads(moved[0][0])["to"]
    assert backend.fetch(f"SELECT stage FROM idea WHERE id = {idea}") == [(to_stage,)]  # noqa: S608

    told = dict(
        backend.fetch(
            "SELECT recipient, count(*) FROM notification "  # noqa: S608
            f"WHERE kind = 'round_decided' AND subject_id = {idea} GROUP BY recipient"
        )
    )
    assert {workers.due["author"], workers.due["supporter"]} <= set(told), told
    assert set(told.values()) == {1}, told
