"""Faults under load, against real servers: the database going away and coming back, and
a server process killed in the middle of its writes.

SMTP down (mail queued, delivered once when the server is back) is covered by
tests/notifications/test_notifications.py::test_a_dead_smtp_server_only_delays_the_mail
against a real SMTP server; it is not repeated here."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from incubator.challenges.tables import Challenge
from incubator.db.tables import AuditEvent
from incubator.discussion.tables import Comment, Follow
from incubator.ideas.tables import Idea, IdeaTag, Support, TeamMember
from tests import factories
from tests.conftest import BACKEND, Persona, Run
from tests.reliability.private_postgres import PrivatePostgres, postgres_bin_dir
from tests.reliability.web import (
    Answer,
    WebPerson,
    assert_clean,
    close_all,
    id_from,
    leaked_in_log,
    run_async,
    server_env,
    signed_in,
)
from tests.servers import Serve

# How long a person may wait for the answer while the database is down.
DOWN_ANSWER_SECONDS = 5.0


@dataclass
class Sent:
    phase: str
    kind: str
    key: str
    answer: Answer


# --- PostgreSQL stopped and started again under load --------------------------------------


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        pytest.skip("the PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    cluster = PrivatePostgres(bin_dir).init()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.destroy()


async def _admin(url: str, sql: str) -> Any:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetch(sql)
    finally:
        await connection.close()


def test_the_portal_answers_503_while_postgres_is_down_and_recovers_by_itself(
    private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    """Readers and writers keep pressing while the cluster crashes (immediate stop) and
    comes back. While it is down each request gets a quick 503 page in the person's
    language, never a traceback; once it is back the same server process serves again,
    and every write it acknowledged is stored exactly once."""
    cluster = private_postgres
    run_async(_admin(cluster.admin_url, 'CREATE DATABASE "incubator"'))
    env = server_env(tmp_path / "data", DATABASE_URL=cluster.url("incubator"))
    subprocess.run(
        [sys.executable, "-m", "incubator", "migrate"],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=120,
    )
    with Serve(env, tmp_path) as server:
        sent = run_async(_load_through_an_outage(server, cluster))
        healthy_again = server.process is not None and server.process.poll() is None
        log = server.log()
    assert healthy_again, "the server process died"
    phases = Counter(s.phase for s in sent)
    assert all(phases[name] for name in ("up", "down", "back")), phases

    # Nobody ever saw a traceback, a 500 or a dropped connection.
    assert not [s for s in sent if s.answer.status is None or s.answer.status == 500], [
        (s.phase, s.kind, s.answer.status, s.answer.error)
        for s in sent
        if s.answer.status in {None, 500}
    ][:5]
    assert not [s for s in sent if s.answer.leaks()]
    assert_clean([s.answer for s in sent if s.phase in {"up", "back"}], allowed={200, 303})

    # While it was down: a quick 503 in the person's language, with Retry-After.
    down = [s for s in sent if s.phase == "down"]
    assert all(s.answer.status == 503 for s in down), Counter(s.answer.status for s in down)
    assert all(s.answer.seconds < DOWN_ANSWER_SECONDS for s in down)
    assert all("retry-after" in s.answer.headers for s in down if s.kind != "health")
    english = [s for s in down if s.kind in {"read", "write"} and s.key.startswith("en")]
    french = [s for s in down if s.kind in {"read", "write"} and s.key.startswith("fr")]
    assert english, down
    assert french, down
    assert all("The portal is busy or under maintenance" in s.answer.body for s in english)
    assert all("Le portail est surchargé ou en maintenance" in s.answer.body for s in french)
    health = [s for s in down if s.kind == "health"]
    assert health
    assert all('"status":"error"' in s.answer.body.replace(" ", "") for s in health)

    # Nothing acknowledged was lost, nothing doubled, and the counter agrees.
    acknowledged = {s.key for s in sent if s.kind == "write" and s.answer.status == 303}
    rows = run_async(
        _admin(
            cluster.url("incubator"),
            "SELECT c.body, i.comment_count FROM comment c JOIN idea i ON i.id = c.subject_id",
        )
    )
    stored = Counter(row["body"] for row in rows)
    assert acknowledged <= set(stored)
    assert set(stored.values()) == {1}
    assert {row["comment_count"] for row in rows} == {len(rows)}
    # The outage is logged one line per request, not as unhandled errors. (asyncpg's pool
    # logs its own reconnection attempts with a traceback: not ours to silence.)
    assert "Unhandled error" not in log, log[log.find("Unhandled error") :][:2000]


async def _load_through_an_outage(server: Serve, cluster: PrivatePostgres) -> list[Sent]:
    """Eight people read and comment while the cluster is stopped and started; bounded:
    at most ~30 s, stopping by itself."""
    people = [
        WebPerson(server.url, f"{lang}{n}-{uuid.uuid4().hex[:6]}@example.com", locale=lang)
        for n, lang in enumerate(["en", "fr"] * 4)
    ]
    for n, person in enumerate(people):
        answer = await person.post(
            "/register",
            {
                "email": person.email,
                "name": f"Person {n}",
                "password": "correct horse battery",
                "department": "Ventes",
            },
        )
        assert answer.status == 303, answer.body[:500]
    created = await people[0].post("/ideas/new", {"title": "Outage idea", "summary": "Load me."})
    assert created.status == 303, created.body[:500]
    idea_id = id_from(created.location)

    phase = "up"
    sent: list[Sent] = []
    stop = asyncio.Event()

    async def press(person: WebPerson, index: int) -> None:
        lang = person.email[:2]
        number = 0
        while not stop.is_set():
            number += 1
            label, current = f"{lang}-{index}-{number}", phase
            write = await person.post(f"/ideas/{idea_id}/comments", {"body": f"Comment {label}"})
            # A request that straddles a change of phase counts only in "between".
            sent.append(
                Sent(current if current == phase else "between", "write", f"Comment {label}", write)
            )
            current = phase
            read = await person.get(f"/ideas/{idea_id}")
            sent.append(Sent(current if current == phase else "between", "read", label, read))
            await asyncio.sleep(0.05)

    async def watch_health(person: WebPerson) -> None:
        while not stop.is_set():
            current = phase
            answer = await person.get("/healthz")
            sent.append(Sent(current if current == phase else "between", "health", "", answer))
            await asyncio.sleep(0.1)

    async def healthy() -> bool:
        answer = await people[0].get("/healthz")
        return answer.status == 200

    tasks = [asyncio.create_task(press(p, n)) for n, p in enumerate(people)]
    tasks.append(asyncio.create_task(watch_health(WebPerson(server.url, "health"))))
    try:
        await asyncio.sleep(2)
        phase = "stopping"
        await asyncio.to_thread(cluster.stop, "immediate")
        phase = "down"
        await asyncio.sleep(3)
        phase = "starting"
        await asyncio.to_thread(cluster.start)
        phase = "recovering"
        for _attempt in range(100):  # the app reconnects by itself, within ~10 s
            if await healthy():
                break
            await asyncio.sleep(0.1)
        phase = "back"
        await asyncio.sleep(2)
    finally:
        phase = "done"
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)
        await close_all(people)
    return sent


# --- A server killed while it writes ----------------------------------------------------------


def _write_in_progress_sqlite(path: str) -> bool:
    """True when some connection holds SQLite's write lock (a write transaction is open)."""
    connection = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        return "locked" in str(error)
    finally:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        connection.close()
    return False


class _WriteWatcher:
    """Sees, from outside the server, that one of its write transactions is open."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._pg: asyncpg.Connection | None = None

    async def open(self) -> None:
        if not self.database_url.startswith("sqlite"):
            self._pg = await asyncpg.connect(self.database_url)

    async def write_in_progress(self) -> bool:
        if self._pg is None:
            return _write_in_progress_sqlite(self.database_url.split("://", 1)[1][1:])
        # Between two statements of a transaction that has written something.
        return bool(
            await self._pg.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state = 'idle in transaction' "
                "AND backend_xid IS NOT NULL"
            )
        )

    async def close(self) -> None:
        if self._pg is not None:
            await self._pg.close()


def test_a_server_killed_in_the_middle_of_its_writes_leaves_whole_objects_or_none(
    tmp_path: Path, run: Run, personas: dict[str, Persona]
) -> None:
    """Twelve people propose ideas (idea, tags, search row, owner, follow, audit event and
    the challenge's counter: one transaction), support and comment, until the server is
    killed with SIGKILL at a moment a write transaction is seen open. After a restart,
    every idea is whole, every counter equals its rows, and everything acknowledged is
    there once."""

    seed = run(factories.idea(personas["ada"].id, title="Seed idea"))
    challenge = run(factories.challenge(personas["ada"].id))
    emails = [p.email for p in personas.values() if p.email != personas["ada"].email]
    emails += [f"crash{n}@example.com" for n in range(7)]
    run(factories.people(7, "crash"))
    env = server_env(tmp_path / "data")
    server = Serve(env, tmp_path, name="killed").start()
    try:
        sent, killed_mid_write = run_async(
            _load_until_killed(server, emails, seed, challenge, os.environ["DATABASE_URL"])
        )
    finally:
        server.stop()
    assert killed_mid_write, "no write transaction was seen open within the time allowed"
    cut_off = [s for s in sent if s.answer.status is None]
    assert cut_off, "no request was in flight when the server was killed"
    assert_clean([s.answer for s in sent if s.answer.status is not None], allowed={303})

    with Serve(env, tmp_path, name="restarted") as again:
        _assert_whole(run, sent, seed, challenge)

        # The restarted server serves the survivors and takes new writes.
        async def after() -> list[Answer]:
            (person,) = await signed_in(again.url, emails[:1])
            ideas = [
                id_from(s.answer.location) for s in sent if s.kind == "idea" and s.answer.status
            ]
            answers = [await person.get(f"/ideas/{idea}") for idea in ideas[:5]]
            answers.append(
                await person.post(
                    "/ideas/new", {"title": "After the crash", "summary": "Still here."}
                )
            )
            await close_all([person])
            return answers

        assert_clean(run_async(after()), allowed={200, 303})
    assert not leaked_in_log(again.log())


async def _load_until_killed(
    server: Serve, emails: list[str], seed: int, challenge: int, database_url: str
) -> tuple[list[Sent], bool]:
    people = await signed_in(server.url, emails)
    sent: list[Sent] = []
    dead = asyncio.Event()

    async def press(person: WebPerson, index: int) -> None:
        for number in range(200):  # bounded, though the kill comes much sooner
            if dead.is_set():
                return
            title = f"Crash idea {index}-{number}"
            jobs = [
                ("idea", title, "/ideas/new", {
                    "title": title,
                    "summary": "Half-written?",
                    "tags": f"crash, tag-{index}-{number}",
                    "challenge_id": str(challenge),
                }),
                ("support", "", f"/ideas/{seed}/support", {}),
                ("comment", f"On {title}", f"/ideas/{seed}/comments", {"body": f"On {title}"}),
            ]  # fmt: skip
            for kind, key, url, data in jobs:
                answer = await person.post(url, data)
                sent.append(Sent("load", kind, key, answer))
                if answer.status is None:
                    dead.set()
                    return

    watcher = _WriteWatcher(database_url)
    await watcher.open()
    tasks = [asyncio.create_task(press(p, n)) for n, p in enumerate(people)]
    killed_mid_write = False
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while loop.time() < deadline and not dead.is_set():
            acknowledged = sum(1 for s in sent if s.kind == "idea" and s.answer.status == 303)
            if acknowledged >= 20 and await watcher.write_in_progress():
                server.kill()
                killed_mid_write = True
                break
            await asyncio.sleep(0)
    finally:
        dead.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
        await watcher.close()
        await close_all(people)
    return sent, killed_mid_write


def _assert_whole(run: Run, sent: list[Sent], seed: int, challenge: int) -> None:
    ideas = {
        row["id"]: row
        for row in run(
            Idea.select(Idea.id, Idea.title, Idea.author, Idea.challenge)
            .where(Idea.title.like("Crash idea %"))
            .run()
        )
    }
    acknowledged = {
        id_from(s.answer.location) for s in sent if s.kind == "idea" and s.answer.status == 303
    }
    assert acknowledged <= set(ideas)
    assert len(ideas) >= len(acknowledged) >= 20

    tags: dict[int, set[str]] = {}
    for row in run(IdeaTag.select(IdeaTag.idea, IdeaTag.tag).run()):
        tags.setdefault(row["idea"], set()).add(row["tag"])
    owners = {
        row["idea"]
        for row in run(TeamMember.select(TeamMember.idea).where(TeamMember.role == "owner").run())
    }
    follows = {
        (row["person"], row["subject_id"])
        for row in run(
            Follow.select(Follow.person, Follow.subject_id)
            .where(Follow.subject_type == "idea")
            .run()
        )
    }
    proposed = Counter(
        row["subject_id"]
        for row in run(
            AuditEvent.select(AuditEvent.subject_id)
            .where(AuditEvent.action == "idea.proposed")
            .run()
        )
    )
    column = "rowid" if BACKEND == "sqlite" else "idea_id"
    indexed = {
        row["id"]
        for row in run(Idea.raw(f"SELECT {column} AS id FROM idea_search").run())  # noqa: S608
    }
    for idea_id, idea in ideas.items():
        number = idea["title"].removeprefix("Crash idea ")
        assert tags.get(idea_id) == {"crash", f"tag-{number}"}, idea
        assert idea_id in indexed, idea
        assert idea_id in owners, idea
        assert (idea["author"], idea_id) in follows, idea
        assert proposed[idea_id] == 1, idea
    every_idea = {row["id"] for row in run(Idea.select(Idea.id).run())}
    assert set(proposed) <= every_idea  # no audit event for an idea that is not there
    assert indexed <= every_idea

    in_challenge = run(Idea.count().where(Idea.challenge == challenge).run())
    counted = run(
        Challenge.select(Challenge.idea_count).where(Challenge.id == challenge).first().run()
    )
    assert counted == {"idea_count": in_challenge}
    seed_row = run(
        Idea.select(Idea.support_count, Idea.comment_count).where(Idea.id == seed).first().run()
    )
    assert seed_row["support_count"] == run(Support.count().where(Support.idea == seed).run())
    comments = Counter(
        row["body"]
        for row in run(
            Comment.select(Comment.body)
            .where((Comment.subject_type == "idea") & (Comment.subject_id == seed))
            .run()
        )
    )
    assert seed_row["comment_count"] == sum(comments.values())
    assert set(comments.values()) <= {1}
    assert {s.key for s in sent if s.kind == "comment" and s.answer.status == 303} <= set(comments)
