"""bench/run's driver: load the real server and the ceiling side by side, write RESULTS.md.

For each database it seeds (or reuses) a 100k-idea and a 1k-idea data set, starts
`incubator serve` (production settings, one worker) on the large one next to
bench/ceiling.py, and loads each page with wrk, ceiling and real in turn. Then it loads
the board while people sign in, checks every vote landed exactly once, and counts the SQL
statements per page on a development server over both data sets. Run it via bench/run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import astuple, dataclass, field
from datetime import UTC, datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
DATA_DIR = BENCH_DIR / "data"
# Server logs, data directories and vote lists of the latest run, kept for a post-mortem.
WORK_DIR = DATA_DIR / "last-run"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
INCUBATOR = str(ROOT / ".venv" / "bin" / "incubator")
WRK_SCRIPT = str(BENCH_DIR / "wrk.lua")
SECRET_KEY = "bench-secret-key-" + "0123456789" * 4
CONNECTIONS = 32
WRK_THREADS = 2
# Votes a wrk run may need per second of load; what it does not send goes back to the pool.
SEARCH_WORD_MIN_LENGTH = 5
MIN_PEOPLE = 250
STARTUP_SECONDS = 60
# A page slower than this on its own is reported as not measured rather than loaded.
PROBE_SECONDS = 60
# How long to let the server work through requests wrk abandoned at a deadline.
IDLE_WAIT_SECONDS = 180
# The 1-connection run of a slow page lasts five of its answers, up to this long.
SLOW_PAGE_ALONE_SECONDS = 60

# ─── data sets ───────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class DataSetSize:
    people: int
    ideas: int
    votes: int
    comments: int

    @property
    def label(self) -> str:
        return f"{self.ideas // 1000}k" if self.ideas % 1000 == 0 else str(self.ideas)

    @classmethod
    def for_ideas(cls, ideas: int) -> DataSetSize:
        """5,000 people for 100k ideas; bench/seed.py wants at least 250 (the sign-in pool)."""
        return cls(
            people=max(MIN_PEOPLE, ideas // 20), ideas=ideas, votes=5 * ideas, comments=2 * ideas
        )


@dataclass(frozen=True)
class DataSet:
    url: str
    gate_round_id: int
    idea_id: int
    search_term: str
    rows: dict[str, int]  # what the database holds, counted after seeding

    @property
    def label(self) -> str:
        ideas = self.rows["ideas"]
        return f"{round(ideas / 1000)}k" if ideas >= 1000 else str(ideas)

    def description(self) -> str:
        return ", ".join(f"{count:,} {what}" for what, count in self.rows.items())


class Database:
    """Plain SQL on a data set, for what the harness prepares and checks around the app.
    Statements use `?` placeholders on both engines."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")

    @property
    def sqlite_path(self) -> str:
        return self.url.split("://", 1)[1].removeprefix("/")

    async def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        if self.is_sqlite:
            with contextlib.closing(sqlite3.connect(self.sqlite_path)) as connection:
                return connection.execute(sql, params).fetchall()
        connection = await asyncpg.connect(self.url)
        try:
            return [tuple(row) for row in await connection.fetch(_numbered(sql), *params)]
        finally:
            await connection.close()

    async def value(self, sql: str, *params: Any) -> Any:
        rows = await self.rows(sql, *params)
        return rows[0][0] if rows else None

    async def settle(self) -> None:
        """Put the data set in the same physical state before each measurement: PostgreSQL
        vacuumed (a phase of writes leaves dead rows and pages not all-visible, which slow
        index-only scans until autovacuum passes, and autovacuum then competes for the
        cores), SQLite's WAL copied back and emptied."""
        if self.is_sqlite:
            await self.rows("PRAGMA wal_checkpoint(TRUNCATE)")
            return
        connection = await asyncpg.connect(self.url)
        try:
            await connection.execute("VACUUM (ANALYZE)")  # outside a transaction
        finally:
            await connection.close()

    async def execute_in_transaction(
        self, statements: Sequence[tuple[str, tuple[Any, ...]]]
    ) -> None:
        if self.is_sqlite:
            with contextlib.closing(sqlite3.connect(self.sqlite_path)) as connection, connection:
                for sql, params in statements:
                    connection.execute(sql, params)
            return
        connection = await asyncpg.connect(self.url)
        try:
            async with connection.transaction():
                for sql, params in statements:
                    await connection.execute(_numbered(sql), *params)
        finally:
            await connection.close()


def _numbered(sql: str) -> str:
    """`?` placeholders as PostgreSQL's `$1, $2, …`."""
    counter = iter(range(1, sql.count("?") + 1))
    return re.sub(r"\?", lambda _match: f"${next(counter)}", sql)


def data_set_url(kind: str, size: DataSetSize, postgres_server: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{DATA_DIR / f'ideas-{size.label}.db'}"
    return f"{postgres_server.rstrip('/')}/incubator_bench_{size.label}"


async def ensure_postgres_database(url: str) -> None:
    server, name = url.rsplit("/", 1)
    maintenance = Database(f"{server}/postgres")
    if not await maintenance.value("SELECT 1 FROM pg_database WHERE datname = ?", name):
        createdb = await asyncio.create_subprocess_exec(
            "createdb", "--maintenance-db", f"{server}/postgres", name
        )
        if await createdb.wait() != 0:
            raise BenchError(f"createdb {name} failed")


async def seed(url: str, size: DataSetSize, *, force: bool) -> dict[str, Any]:
    """Run bench/seed.py (which reuses a complete data set) and read its closing JSON line."""
    argv = [
        PYTHON,
        str(BENCH_DIR / "seed.py"),
        "--database-url",
        url,
        "--people",
        str(size.people),
        "--ideas",
        str(size.ideas),
        "--votes",
        str(size.votes),
        "--comments",
        str(size.comments),
        *(["--force"] if force else []),
    ]
    log(f"seeding {size.label} ideas at {url} (reused when complete)")
    process = await asyncio.create_subprocess_exec(*argv, cwd=ROOT, stdout=subprocess.PIPE)
    try:
        output, _ = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if process.returncode != 0:
        raise BenchError(
            f"bench/seed.py failed on {url} (exit {process.returncode}, its reason above); "
            "`bench/run --force-seed` seeds anew, e.g. after a schema change"
        )
    lines = output.decode().strip().splitlines()
    summary: dict[str, Any] = json.loads(lines[-1])
    return summary


async def prepare_data_set(
    kind: str, size: DataSetSize, args: argparse.Namespace, url: str | None
) -> DataSet:
    url = url or data_set_url(kind, size, args.postgres_server)
    if args.no_seed:
        return await discovered_data_set(url)
    if kind == "sqlite":
        DATA_DIR.mkdir(parents=True, exist_ok=True)
    else:
        await ensure_postgres_database(url)
    summary = await seed(url, size, force=args.force_seed)
    return DataSet(
        url=url,
        gate_round_id=int(summary["gate_round_id"]),
        idea_id=int(summary["idea_id"]),
        search_term=str(summary["search_term"]),
        rows=await count_rows(Database(url)),
    )


async def discovered_data_set(url: str) -> DataSet:
    """A data set seeded elsewhere (e.g. `incubator demo`): pick an open round, an idea and
    the word most titles share."""
    db = Database(url)
    gate_round_id = await db.value(
        "SELECT id FROM gate_round WHERE status = 'open' ORDER BY id LIMIT 1"
    )
    idea_id = await db.value("SELECT id FROM idea WHERE merged_into IS NULL ORDER BY id LIMIT 1")
    if gate_round_id is None or idea_id is None:
        raise BenchError(f"{url} has no open gate round or no idea to measure")
    words = Counter(
        word
        for (title,) in await db.rows("SELECT title FROM idea ORDER BY id LIMIT 2000")
        for word in re.findall(r"[^\W\d_]+", title.lower())
        if len(word) >= SEARCH_WORD_MIN_LENGTH
    )
    return DataSet(
        url=url,
        gate_round_id=gate_round_id,
        idea_id=idea_id,
        search_term=words.most_common(1)[0][0],
        rows=await count_rows(db),
    )


_ROW_COUNTS = {
    "ideas": "SELECT COUNT(*) FROM idea",
    "people": "SELECT COUNT(*) FROM person",
    "supports": "SELECT COUNT(*) FROM support",
    "comments": "SELECT COUNT(*) FROM comment",
}


async def count_rows(db: Database) -> dict[str, int]:
    return {what: int(await db.value(sql)) for what, sql in _ROW_COUNTS.items()}


# ─── processes ───────────────────────────────────────────────────────────────────────


class BenchError(RuntimeError):
    """The benchmark cannot go on; the message says why."""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _log_file(path: Path) -> IO[bytes]:
    return path.open("wb")


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@contextlib.asynccontextmanager
async def serving(
    name: str, argv: list[str], env: dict[str, str], ready_url: str, logs: Path
) -> AsyncIterator[int]:
    """Run a server in its own process group until the block ends, whatever ends it."""
    log_path = logs / f"{name}.log"
    with _log_file(log_path) as output:
        process = await asyncio.create_subprocess_exec(
            *argv,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        await wait_until_ready(process, ready_url, log_path)
        yield process.pid
    finally:
        await stop_process_group(process)


async def wait_until_ready(process: asyncio.subprocess.Process, url: str, log_path: Path) -> None:
    try:
        async with asyncio.timeout(STARTUP_SECONDS), httpx.AsyncClient(timeout=2) as client:
            while True:
                if process.returncode is not None:
                    raise BenchError(f"server exited ({process.returncode}):\n{_tail(log_path)}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(url)).status_code == 200:
                        return
                await asyncio.sleep(0.2)
    except TimeoutError:
        raise BenchError(f"{url} did not answer 200 in time:\n{_tail(log_path)}") from None


async def stop_process_group(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout=15)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()


def server_env(url: str, data_dir: Path, *, production: bool) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update(
        INCUBATOR_ENV="production" if production else "development",
        SECRET_KEY=SECRET_KEY,
        DATABASE_URL=url,
        INCUBATOR_DATA_DIR=str(data_dir),
        # The per-address guard on POST /login (30 a minute) would refuse the sign-in load.
        INCUBATOR_AUTH_POSTS_PER_MINUTE="1000000",
    )
    return env


@dataclass(frozen=True)
class Server:
    """A running `incubator serve`: where it answers, its process and its database."""

    base: str
    pid: int
    db: Database

    def cpu_seconds(self) -> float:
        """CPU time the server process has used, all its threads included."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def is_busy(self, interval: float = 0.2) -> bool:
        """Whether it works on anything: CPU in its process, or a query in PostgreSQL."""
        before = self.cpu_seconds()
        await asyncio.sleep(interval)
        if self.cpu_seconds() - before > 0.05 * interval:
            return True
        return not self.db.is_sqlite and bool(
            await self.db.value(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'active' AND pid <> pg_backend_pid()"
            )
        )


@contextlib.asynccontextmanager
async def real_server(url: str, work: Path, *, production: bool) -> AsyncIterator[Server]:
    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="data-", dir=work))
    argv = [INCUBATOR, "serve", "--port", str(port), "--workers", "1", "--no-scheduler"]
    base = f"http://127.0.0.1:{port}"
    name = f"incubator-{'production' if production else 'development'}-{port}"
    async with serving(
        name, argv, server_env(url, data_dir, production=production), f"{base}/healthz", work
    ) as pid:
        yield Server(base, pid, Database(url))


@contextlib.asynccontextmanager
async def ceiling_server(work: Path) -> AsyncIterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [PYTHON, str(BENCH_DIR / "ceiling.py"), "--port", str(port)]
    async with serving("ceiling", argv, dict(os.environ), f"{base}/ideas", work):
        yield base


# ─── signing in ──────────────────────────────────────────────────────────────────────


def cookie_header(cookies: httpx.Cookies) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


@dataclass(frozen=True)
class Session:
    """A signed-in browser as wrk replays it: its cookies and its CSRF token."""

    cookie: str
    csrf_token: str

    def headers(self) -> dict[str, str]:
        return {"Cookie": self.cookie, "Accept-Encoding": "identity"}

    def htmx_post_headers(self) -> dict[str, str]:
        return {**self.headers(), "x-csrftoken": self.csrf_token, "HX-Request": "true"}


async def sign_in(base: str, email: str, password: str) -> Session:
    """Through the real form: GET /login for the CSRF cookie, then POST it back."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        await client.get("/login")
        token = client.cookies["csrftoken"]
        answer = await client.post(
            "/login", data={"email": email, "password": password, "_csrf_token": token}
        )
        if answer.status_code != 303:
            raise BenchError(f"signing in as {email} answered {answer.status_code}")
        return Session(cookie=cookie_header(client.cookies), csrf_token=token)


def cookieless_client(base: str) -> httpx.AsyncClient:
    """A client that keeps no cookies: each sign-in arrives as a new visitor would."""
    jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(
        base_url=base,
        cookies=httpx.Cookies(jar),
        timeout=60,
        limits=httpx.Limits(max_connections=400, max_keepalive_connections=400),
    )


@dataclass(frozen=True)
class LoginLoad:
    board: WrkResult
    latencies_ms: list[float]
    statuses: Counter[str]
    rate: float

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies_ms, 99)


async def sign_ins_at_rate(
    base: str, emails: list[str], password: str, rate: float, duration: float
) -> tuple[list[float], Counter[str]]:
    """Open loop: a sign-in starts every 1/rate seconds whether or not earlier ones ended."""
    async with cookieless_client(base) as client:
        token = (await client.get("/login")).cookies["csrftoken"]
        headers = {"Cookie": f"csrftoken={token}"}

        async def sign_in_once(email: str) -> tuple[float, str]:
            started = time.perf_counter()
            try:
                answer = await client.post(
                    "/login",
                    data={"email": email, "password": password, "_csrf_token": token},
                    headers=headers,
                )
                status = str(answer.status_code)
            except httpx.HTTPError as error:
                status = type(error).__name__
            return (time.perf_counter() - started) * 1000, status

        loop = asyncio.get_running_loop()
        start = loop.time()
        attempts = []
        for n in range(int(rate * duration)):
            await asyncio.sleep(max(0.0, start + n / rate - loop.time()))
            attempts.append(asyncio.create_task(sign_in_once(emails[n % len(emails)])))
        outcomes = await asyncio.gather(*attempts)
    return [latency for latency, _ in outcomes], Counter(status for _, status in outcomes)


# ─── wrk ─────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    ok: int
    not_ok: int
    sent: int
    sent_per_thread: list[int]
    exhausted: bool
    socket_errors: int
    supported: list[int]  # votes answered "you support this", by idea

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def in_flight(self) -> int:
        """Votes sent but unanswered when wrk stopped at its deadline."""
        return self.sent - self.ok - self.not_ok


async def run_wrk(
    url: str,
    headers: dict[str, str],
    *,
    seconds: int,
    connections: int = CONNECTIONS,
    vote_ids: list[list[int]] | None = None,
    work: Path,
) -> WrkResult:
    threads = min(WRK_THREADS, connections)
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s"]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    argv += ["-s", WRK_SCRIPT, url]
    env = dict(os.environ)
    if vote_ids is not None:
        assert len(vote_ids) == threads
        ids_file = work / "vote-ids.txt"
        ids_file.write_text("".join(",".join(map(str, ids)) + "\n" for ids in vote_ids))
        env["BENCH_VOTE_IDS"] = str(ids_file)
    process = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        output, errors = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    summary = next(
        (line for line in reversed(output.decode().splitlines()) if line.startswith("{")), None
    )
    if process.returncode != 0 or summary is None:
        raise BenchError(f"wrk failed on {url}: {errors.decode()}{output.decode()}")
    values = json.loads(summary)
    values["exhausted"] = bool(values["exhausted"])
    if not values["requests"]:  # wrk reads an empty histogram as 0 ms
        values["p50_ms"] = values["p99_ms"] = math.nan
    return WrkResult(**values)


# ─── what is measured ────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    path: str
    vote: bool = False


def targets(data_set: DataSet, search_word: str, far: FarPage) -> list[Target]:
    return [
        Target("board", "Idea board, page 1", "/ideas"),
        Target("board_far", f"Idea board, page {far.page:,}", far.path),
        Target("idea", "An idea", f"/ideas/{data_set.idea_id}"),
        Target("gate", "A gate round", f"/gates/{data_set.gate_round_id}"),
        Target("pipeline", "Pipeline dashboard", "/pipeline"),
        Target("search", f"Search “{search_word}”", f"/ideas?q={quote(search_word)}"),
        Target("vote", "Vote (support POST, htmx)", "/ideas/{id}/support", vote=True),
    ]


@dataclass
class PageResult:
    target: Target
    real: list[WrkResult] = field(default_factory=list)
    ceiling: list[WrkResult] = field(default_factory=list)
    single: WrkResult | None = None
    # SQL statements per request on the small and on the large data set.
    queries: tuple[int, int] | None = None
    unmeasured: str | None = None  # why the page was not loaded

    @property
    def real_rps(self) -> float:
        return median(run.rps for run in self.real)

    @property
    def ceiling_rps(self) -> float:
        return median(run.rps for run in self.ceiling)

    @property
    def ratio(self) -> float:
        return self.real_rps / self.ceiling_rps if self.ceiling else math.nan

    @property
    def p50_ms(self) -> float:
        return median(run.p50_ms for run in self.real)

    @property
    def p99_ms(self) -> float:
        return median(run.p99_ms for run in self.real)

    @property
    def ceiling_p50_ms(self) -> float:
        return median(run.p50_ms for run in self.ceiling)

    @property
    def ceiling_p99_ms(self) -> float:
        return median(run.p99_ms for run in self.ceiling)

    @property
    def single_p50_ms(self) -> float:
        return self.single.p50_ms if self.single else math.nan

    def problems(self) -> list[str]:
        runs = [*self.real, *([self.single] if self.single else [])]
        failed = sum(run.not_ok for run in runs)
        broken = sum(run.socket_errors for run in runs)
        notes = []
        if failed:
            notes.append(f"{failed} non-2xx answers")
        if broken:
            notes.append(f"{broken} socket errors/timeouts")
        if any(run.requests == 0 for run in runs):
            notes.append("no answer at all within some runs")
        if any(run.exhausted for run in runs):
            notes.append("ran out of fresh ideas to vote on: that run stopped early")
        return notes


class VoteLedger:
    """Hands out ideas the bench person has not supported yet, never the same one twice
    (a second POST would withdraw the vote), and remembers what wrk sent."""

    def __init__(self, idea_ids: list[int]) -> None:
        self.pool = idea_ids
        self.sent: list[int] = []
        self.confirmed: list[int] = []  # answered 2xx with "you support this"
        self.ok = 0
        self.not_ok = 0
        self.in_flight = 0

    def allocate(self, count: int, threads: int) -> list[list[int]]:
        taken, self.pool = self.pool[:count], self.pool[count:]
        return [taken[thread::threads] for thread in range(threads)]

    def settle(self, allocation: list[list[int]], result: WrkResult) -> None:
        """Each thread sends its list from the front: the rest goes back to the pool."""
        for ids, sent in zip(allocation, result.sent_per_thread, strict=True):
            self.sent += ids[:sent]
            self.pool = ids[sent:] + self.pool
        self.confirmed += result.supported
        self.ok += result.ok
        self.not_ok += result.not_ok
        self.in_flight += result.in_flight


@dataclass(frozen=True)
class Timing:
    """Whole seconds: wrk takes no fractions."""

    seconds: int
    rounds: int
    warmup: int
    single: int
    login: int


@dataclass
class DatabaseReport:
    kind: str
    large: DataSet
    small: DataSet
    pages: list[PageResult]
    ceiling_single: WrkResult
    login_load: LoginLoad
    integrity: VoteIntegrity
    body_bytes: dict[str, int]
    first_ideas: dict[str, str]  # the first card on board pages 1 and 1,000
    authored_by_bench: int
    engine_version: str

    @property
    def name(self) -> str:
        return "SQLite" if self.kind == "sqlite" else "PostgreSQL"

    def page(self, key: str) -> PageResult:
        return next(page for page in self.pages if page.target.key == key)


@dataclass(frozen=True)
class VoteIntegrity:
    """What wrk was told about the votes against what the database holds."""

    sent: int
    ok: int
    not_ok: int
    in_flight: int
    confirmed: int  # 2xx answers saying "you support this"
    confirmed_stored: int  # of those, ideas holding the bench person's new Support row
    new_rows: int
    ideas_with_new_rows: int
    stored_in_flight: int  # rows for votes that were unanswered when wrk stopped
    stored_unsent: int
    miscounted_ideas: int

    @classmethod
    def combined(cls, parts: list[VoteIntegrity]) -> VoteIntegrity:
        """The checks of several loads, each on its own ideas, as one."""
        fields = zip(*(astuple(part) for part in parts), strict=True)
        return cls(*(sum(values) for values in fields))

    @property
    def passed(self) -> bool:
        return (
            self.not_ok == 0
            and self.confirmed == self.confirmed_stored == self.ok
            and self.new_rows == self.ideas_with_new_rows == self.ok + self.stored_in_flight
            and self.stored_in_flight <= self.in_flight
            and self.stored_unsent == 0
            and self.miscounted_ideas == 0
        )


# ─── measuring ───────────────────────────────────────────────────────────────────────


class Bench:
    """One database's measurements: the production server next to the ceiling."""

    def __init__(
        self,
        server: Server,
        ceiling: str,
        session: Session,
        votes: FreshVotes,
        timing: Timing,
        work: Path,
    ) -> None:
        self.server = server
        self.real = server.base
        self.ceiling = ceiling
        self.session = session
        self.votes = votes
        self.timing = timing
        self.work = work

    async def load(self, target: Target, seconds: int, connections: int = CONNECTIONS) -> WrkResult:
        if not target.vote:
            result = await run_wrk(
                self.real + target.path,
                self.session.headers(),
                seconds=seconds,
                connections=connections,
                work=self.work,
            )
            await wait_until_idle(self.server)
            return result
        async with self.votes.ledger() as ledger:
            allocation = ledger.allocate(len(ledger.pool), min(WRK_THREADS, connections))
            result = await run_wrk(
                self.real + "/",
                self.session.htmx_post_headers(),
                seconds=seconds,
                connections=connections,
                vote_ids=allocation,
                work=self.work,
            )
            ledger.settle(allocation, result)
            await wait_until_idle(self.server)  # before its votes are checked
        return result

    async def load_ceiling(self, seconds: int, connections: int = CONNECTIONS) -> WrkResult:
        return await run_wrk(
            self.ceiling + "/ideas",
            self.session.headers(),
            seconds=seconds,
            connections=connections,
            work=self.work,
        )

    async def measure(
        self, target: Target, unmeasured: str | None, alone_seconds: int
    ) -> PageResult:
        """Warm both up, then ceiling and real in turn, then the real page alone (long
        enough for a slow page to answer a few times)."""
        result = PageResult(target, unmeasured=unmeasured)
        if unmeasured:
            log(f"  {target.label}: not measured, {unmeasured}")
            return result
        await self.load(target, self.timing.warmup)
        await self.load_ceiling(self.timing.warmup)
        for _ in range(self.timing.rounds):
            result.ceiling.append(await self.load_ceiling(self.timing.seconds))
            result.real.append(await self.load(target, self.timing.seconds))
        result.single = await self.load(target, alone_seconds, connections=1)
        log(
            f"  {target.label}: {result.real_rps:,.0f} req/s vs ceiling {result.ceiling_rps:,.0f}"
            f" ({result.ratio:.0%}), p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms,"
            f" p50 @1 {result.single_p50_ms:.2f} ms"
        )
        return result

    async def board_while_signing_in(
        self, emails: list[str], password: str, rate: float
    ) -> LoginLoad:
        board = asyncio.create_task(
            run_wrk(
                self.real + "/ideas",
                self.session.headers(),
                seconds=self.timing.login,
                work=self.work,
            )
        )
        try:
            await asyncio.sleep(0.5)
            latencies, statuses = await sign_ins_at_rate(
                self.real, emails, password, rate, self.timing.login - 1
            )
            return LoginLoad(await board, latencies, statuses, rate)
        finally:
            board.cancel()
            with contextlib.suppress(asyncio.CancelledError, BenchError):
                await board


async def wait_until_idle(server: Server) -> None:
    """Let the server finish what wrk abandoned at its deadline (it serves it all the same,
    in threads or in PostgreSQL), so the next run, real or ceiling, has the machine to
    itself."""
    quiet = 0
    deadline = time.monotonic() + IDLE_WAIT_SECONDS
    while quiet < 3 and time.monotonic() < deadline:
        quiet = 0 if await server.is_busy() else quiet + 1
    if quiet < 3:
        log(f"  the server was still busy after {IDLE_WAIT_SECONDS} s; going on")


async def probe(
    base: str, pages: list[Target], session: Session
) -> tuple[dict[str, httpx.Response], dict[str, str]]:
    """Each page once: its answer, or why it cannot be loaded (an error, or minutes)."""
    answers, failures = {}, {}
    async with httpx.AsyncClient(base_url=base, timeout=PROBE_SECONDS) as client:
        for target in pages:
            if target.vote:
                continue
            try:
                answer = await client.get(target.path, headers=session.headers())
            except httpx.TimeoutException:
                failures[target.key] = f"no answer within {PROBE_SECONDS} s"
                continue
            if answer.status_code == 200:
                answers[target.key] = answer
            else:
                failures[target.key] = f"answered {answer.status_code}"
    return answers, failures


def first_idea_shown(html: str) -> str:
    section = html.split('id="results"', 1)[-1]
    found = re.search(r'href="/ideas/(\d+)"', section)
    return f"#{found.group(1)}" if found else "none"


async def count_queries(
    data_set: DataSet, pages: list[Target], args: argparse.Namespace, vote_on: int, work: Path
) -> dict[str, int]:
    """Statements per request as a development server reports them (`x-sql-queries`)."""
    counts = {}
    async with real_server(data_set.url, work, production=False) as server:
        base = server.base
        session = await sign_in(base, args.email, args.password)
        async with httpx.AsyncClient(base_url=base, timeout=120) as client:
            for target in pages:
                if target.vote:
                    answer = await client.post(
                        target.path.format(id=vote_on), headers=session.htmx_post_headers()
                    )
                else:
                    # Counted the second time, once any first-use work is done.
                    await client.get(target.path, headers=session.headers())
                    answer = await client.get(target.path, headers=session.headers())
                if answer.status_code != 200:
                    raise BenchError(f"{target.path} answered {answer.status_code} (development)")
                counts[target.key] = int(answer.headers["x-sql-queries"])
    return counts


@dataclass(frozen=True)
class FarPage:
    page: int
    path: str


async def far_page(db: Database, wanted: int, per_page: int = 20) -> FarPage:
    """A deep page as a reader reaches it, by "Next": its link carries the id of the last
    idea on the page before (newest first), and the page is read by keyset from there."""
    ideas = int(await db.value("SELECT COUNT(*) FROM idea WHERE merged_into IS NULL"))
    page = max(1, min(wanted, math.ceil(ideas / per_page)))
    if page == 1:
        return FarPage(1, "/ideas")
    after = await db.value(
        "SELECT id FROM idea WHERE merged_into IS NULL ORDER BY id DESC LIMIT 1 OFFSET ?",
        (page - 1) * per_page - 1,
    )
    return FarPage(page, f"/ideas?page={page}&after={after}")


# ─── votes: what wrk counted against what the database holds ─────────────────────────


async def ideas_to_vote_on(db: Database, person_id: int) -> list[int]:
    rows = await db.rows(
        "SELECT id FROM idea WHERE merged_into IS NULL AND author <> ? "
        "AND id NOT IN (SELECT idea FROM support WHERE person = ?) ORDER BY id",
        person_id,
        person_id,
    )
    ids = [row[0] for row in rows]
    if not ids:
        raise BenchError(f"{db.url} has no idea left that the bench person may vote on")
    random.Random(10).shuffle(ids)  # spread the writes over the table as people would
    return ids


async def check_votes(
    db: Database, person_id: int, baseline: int, ledger: VoteLedger
) -> VoteIntegrity:
    voted = [
        row[0]
        for row in await db.rows(
            "SELECT idea FROM support WHERE person = ? AND id > ?", person_id, baseline
        )
    ]
    sent, confirmed, stored = set(ledger.sent), set(ledger.confirmed), set(voted)
    counters = await db.rows(
        "SELECT i.id, i.support_count, (SELECT COUNT(*) FROM support s WHERE s.idea = i.id) "
        "FROM idea i WHERE i.id IN (SELECT idea FROM support WHERE person = ? AND id > ?)",
        person_id,
        baseline,
    )
    return VoteIntegrity(
        sent=len(ledger.sent),
        ok=ledger.ok,
        not_ok=ledger.not_ok,
        in_flight=ledger.in_flight,
        confirmed=len(ledger.confirmed),
        confirmed_stored=len(confirmed & stored),
        new_rows=len(voted),
        ideas_with_new_rows=len(stored),
        stored_in_flight=len(stored & (sent - confirmed)),
        stored_unsent=len(stored - sent),
        miscounted_ideas=sum(1 for _id, kept, counted in counters if kept != counted),
    )


async def withdraw_bench_votes(db: Database, person_id: int, baseline: int) -> None:
    """Leave the data set as seeded: remove this run's votes and recount their ideas."""
    await db.execute_in_transaction(
        [
            (
                "UPDATE idea SET support_count = (SELECT COUNT(*) FROM support s "
                "WHERE s.idea = idea.id AND NOT (s.person = ? AND s.id > ?)) "
                "WHERE id IN (SELECT idea FROM support WHERE person = ? AND id > ?)",
                (person_id, baseline, person_id, baseline),
            ),
            ("DELETE FROM support WHERE person = ? AND id > ?", (person_id, baseline)),
        ]
    )


class FreshVotes:
    """Every vote load on ideas the bench person has not supported: each load's votes are
    checked against the database, then withdrawn, so a fast server never runs out of
    ideas and every load finds the data set as seeded."""

    def __init__(self, db: Database, person_id: int, ideas: list[int]) -> None:
        self.db, self.person_id, self.ideas = db, person_id, ideas
        self.checked: list[VoteIntegrity] = []

    @contextlib.asynccontextmanager
    async def ledger(self) -> AsyncIterator[VoteLedger]:
        baseline = await self.db.value("SELECT COALESCE(MAX(id), 0) FROM support")
        ledger = VoteLedger(list(self.ideas))
        try:
            yield ledger
            await asyncio.sleep(1)  # what wrk left in flight is finished
            self.checked.append(await check_votes(self.db, self.person_id, baseline, ledger))
        finally:
            await withdraw_bench_votes(self.db, self.person_id, baseline)

    def integrity(self) -> VoteIntegrity:
        return VoteIntegrity.combined(self.checked)


async def bench_person(db: Database, email: str) -> int:
    person_id = await db.value("SELECT id FROM person WHERE email = ?", email)
    if person_id is None:
        raise BenchError(f"{email} is not in {db.url}")
    return int(person_id)


# ─── one database ────────────────────────────────────────────────────────────────────


async def prepare_data_sets(kind: str, args: argparse.Namespace) -> tuple[DataSet, DataSet]:
    """The large data set that is loaded and the 1k one whose query counts compare."""
    size = DataSetSize.for_ideas(args.ideas)
    large = await prepare_data_set(kind, size, args, getattr(args, f"{kind}_url"))
    small = await prepare_data_set(
        kind, DataSetSize.for_ideas(1000), args, getattr(args, f"{kind}_small_url")
    )
    return large, small


async def bench_database(
    kind: str,
    data_sets: tuple[DataSet, DataSet],
    args: argparse.Namespace,
    timing: Timing,
    ceiling: str,
    work: Path,
) -> DatabaseReport:
    large, small = data_sets
    large_db, small_db = Database(large.url), Database(small.url)
    # One search term for both sizes (the large set's), so their query counts compare.
    pages = targets(large, large.search_term, await far_page(large_db, 1000))
    small_pages = targets(small, large.search_term, await far_page(small_db, 1000))
    person_id = await bench_person(large_db, args.email)
    small_person_id = await bench_person(small_db, args.email)
    baseline = await large_db.value("SELECT COALESCE(MAX(id), 0) FROM support")
    small_baseline = await small_db.value("SELECT COALESCE(MAX(id), 0) FROM support")
    votes = FreshVotes(large_db, person_id, await ideas_to_vote_on(large_db, person_id))
    emails = [args.login_email.format(n=n) for n in range(args.login_accounts)]
    try:
        await large_db.settle()
        log(f"{kind}: production server on {large.url}")
        # A first server tries each page once; one stuck on a slow page is thrown away.
        async with real_server(large.url, work, production=True) as real:
            answers, failures = await probe(
                real.base, pages, await sign_in(real.base, args.email, args.password)
            )
        if "board" not in answers:
            raise BenchError(f"the board cannot be measured: {failures['board']}")
        async with real_server(large.url, work, production=True) as real:
            session = await sign_in(real.base, args.email, args.password)
            bench = Bench(real, ceiling, session, votes, timing, work)
            ceiling_single = await bench.load_ceiling(timing.single, connections=1)
            results = []
            for target in pages:
                once = answers[target.key].elapsed.total_seconds() if target.key in answers else 0
                alone = max(timing.single, min(SLOW_PAGE_ALONE_SECONDS, math.ceil(5 * once)))
                results.append(await bench.measure(target, failures.get(target.key), alone))
            log(f"  board while {args.login_rate:g} people a second sign in")
            await large_db.settle()  # after the votes
            login_load = await bench.board_while_signing_in(emails, args.password, args.login_rate)
        integrity = votes.integrity()
        log(f"{kind}: counting queries on development servers")
        measurable = [target for target in pages if target.key not in failures]
        large_counts = await count_queries(large, measurable, args, votes.ideas[0], work)
        small_measurable = [target for target in small_pages if target.key not in failures]
        small_vote = (await ideas_to_vote_on(small_db, small_person_id))[0]
        small_counts = await count_queries(small, small_measurable, args, small_vote, work)
    finally:
        await withdraw_bench_votes(large_db, person_id, baseline)
        await withdraw_bench_votes(small_db, small_person_id, small_baseline)
    for result in results:
        if result.unmeasured is None:
            result.queries = (small_counts[result.target.key], large_counts[result.target.key])
    async with httpx.AsyncClient(timeout=30) as client:
        ceiling_body = (await client.get(f"{ceiling}/ideas")).content
    return DatabaseReport(
        kind=kind,
        large=large,
        small=small,
        pages=results,
        ceiling_single=ceiling_single,
        login_load=login_load,
        integrity=integrity,
        body_bytes={"real": len(answers["board"].content), "ceiling": len(ceiling_body)},
        first_ideas={
            target.label: first_idea_shown(answers[target.key].text)
            for target in pages[:2]
            if target.key in answers
        },
        authored_by_bench=await large_db.value(
            "SELECT COUNT(*) FROM idea WHERE author = ?", person_id
        ),
        engine_version=sqlite3.sqlite_version
        if large_db.is_sqlite
        else await large_db.value("SHOW server_version"),
    )


# ─── the report ──────────────────────────────────────────────────────────────────────


def median(values: Iterable[float]) -> float:
    """The median of the numbers that exist (a run with no answer has no latency)."""
    known = [value for value in values if not math.isnan(value)]
    return statistics.median(known) if known else math.nan


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(pct / 100 * len(ordered)) - 1)]


@dataclass(frozen=True)
class Check:
    passed: bool
    text: str

    def line(self) -> str:
        return f"- **{'PASS' if self.passed else 'FAIL'}** {self.text}"


def shown(value: float, spec: str, unit: str = "") -> str:
    """A number for the report; "—" where there is none (nothing answered in time)."""
    return "—" if math.isnan(value) else format(value, spec) + unit


def unmeasured(*pages: PageResult) -> str:
    return "".join(
        f" — {page.target.label.lower()} not measured: {page.unmeasured}"
        for page in pages
        if page.unmeasured
    )


def checks(report: DatabaseReport) -> list[Check]:
    """The done-when targets of issue #10 for one database."""
    name = report.name
    board, far, search = report.page("board"), report.page("board_far"), report.page("search")
    pipeline, vote, login = report.page("pipeline"), report.page("vote"), report.login_load
    large, small = report.large.label, report.small.label
    far_cost = far.single_p50_ms / board.single_p50_ms
    found = [
        Check(
            board.ratio >= 0.5,
            f"{name}: board at {large}, 32 connections, is {shown(board.ratio, '.0%')} of the "
            f"ceiling's req/s ({board.real_rps:,.0f} / {board.ceiling_rps:,.0f}; target ≥ 50%)",
        ),
        Check(
            board.p99_ms < 60,
            f"{name}: board p99 {shown(board.p99_ms, '.1f', ' ms')} (target < 60 ms; the "
            f"ceiling's own p99 in the same rounds: {shown(board.ceiling_p99_ms, '.1f', ' ms')})",
        ),
        Check(
            board.single_p50_ms <= 2.5,
            f"{name}: board p50 at 1 connection {shown(board.single_p50_ms, '.2f', ' ms')} "
            "(target ≤ 2.5 ms)",
        ),
        Check(
            far_cost <= 1.5,
            f"{name}: {far.target.label.lower()} costs {shown(far_cost, '.2f', '×')} page 1 "
            f"(p50 at 1 connection {shown(far.single_p50_ms, '.2f')} vs "
            f"{shown(board.single_p50_ms, '.2f')} ms; target ≤ 1.5×){unmeasured(far)}",
        ),
        Check(
            search.single_p50_ms < 30,
            f"{name}: search p50 {shown(search.single_p50_ms, '.1f', ' ms')} at 1 connection "
            f"(target < 30 ms){unmeasured(search)}",
        ),
        Check(
            pipeline.single_p50_ms < 150,
            f"{name}: pipeline p50 {shown(pipeline.single_p50_ms, '.1f', ' ms')} at 1 "
            f"connection (target < 150 ms){unmeasured(pipeline)}",
        ),
    ]
    if report.kind == "sqlite":
        found.append(
            Check(
                vote.real_rps >= 400 and vote.p99_ms < 150,
                f"{name}: votes {vote.real_rps:,.0f}/s, p99 {shown(vote.p99_ms, '.1f', ' ms')} "
                "(target ≥ 400/s, p99 < 150 ms)",
            )
        )
    else:
        found.append(
            Check(vote.real_rps >= 900, f"{name}: votes {vote.real_rps:,.0f}/s (target ≥ 900/s)")
        )
    integrity = report.integrity
    found += [
        Check(
            integrity.passed,
            f"{name}: every vote stored exactly once — {integrity.ok:,} answered 2xx, "
            f"{integrity.confirmed_stored:,} of them found once each in the database; "
            f"{integrity.new_rows:,} new Support rows = {integrity.ok:,} + "
            f"{integrity.stored_in_flight} of the {integrity.in_flight} votes in flight at "
            f"wrk's deadlines; {integrity.not_ok} non-2xx; {integrity.miscounted_ideas} ideas "
            "whose support_count differs from their Support rows",
        ),
        Check(
            login.board.p99_ms < 100,
            f"{name}: board p99 {shown(login.board.p99_ms, '.1f', ' ms')} while "
            f"{login.rate:g} sign-ins a second arrive (target < 100 ms)",
        ),
    ]
    differing = [
        page.target.label
        for page in report.pages
        if page.queries is None or page.queries[0] != page.queries[1]
    ]
    found.append(
        Check(
            not differing,
            f"{name}: queries per request equal at {small} and {large} on every page"
            + (f" (differ or not counted: {', '.join(differing)})" if differing else ""),
        )
    )
    return found


def machine() -> list[str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    meminfo = Path("/proc/meminfo").read_text()
    memory = re.search(r"MemTotal:\s*(\d+) kB", meminfo)
    release = Path("/etc/os-release").read_text()
    pretty = re.search(r'PRETTY_NAME="(.+)"', release)
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return [
        f"- CPU: {model.group(1) if model else 'unknown'}, {os.cpu_count()} cores (nproc)",
        f"- RAM: {int(memory.group(1)) / 1024 / 1024:.1f} GiB" if memory else "- RAM: unknown",
        f"- OS: {pretty.group(1) if pretty else platform.platform()}, kernel {platform.release()}",
        f"- Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{wrk.stdout.split('[')[0].strip() or 'wrk'}",
        "- load average when the run began: "
        + ", ".join(f"{load:.2f}" for load in os.getloadavg()),
    ]


def commit() -> str:
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return f"{head or 'unknown'}{' with uncommitted changes' if dirty else ''}"


def page_table(report: DatabaseReport) -> list[str]:
    large, small = report.large.label, report.small.label
    lines = [
        f"| page | real req/s | ceiling req/s | ratio | p50 ms | p99 ms | p50 @1 conn ms "
        f"| queries/request @{small} | @{large} |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for page in report.pages:
        if page.unmeasured or page.queries is None:
            lines.append(f"| {page.target.label} | not measured: {page.unmeasured} |||||||| ")
            continue
        lines.append(
            f"| {page.target.label} | {page.real_rps:,.0f} | {page.ceiling_rps:,.0f} "
            f"| {shown(page.ratio, '.0%')} | {shown(page.p50_ms, '.1f')} "
            f"| {shown(page.p99_ms, '.1f')} | {shown(page.single_p50_ms, '.2f')} "
            f"| {page.queries[0]} | {page.queries[1]} |"
        )
    return lines


def database_section(report: DatabaseReport) -> list[str]:
    login = report.login_load
    integrity = report.integrity
    statuses = ", ".join(f"{status}: {count}" for status, count in sorted(login.statuses.items()))
    lines = [
        f"## {report.name} {report.engine_version}",
        "",
        f"Data set: {report.large.description()} (`{report.large.url}`); the query counts "
        f"also on {report.small.description()} "
        f"(`{report.small.url}`).",
        "",
        *page_table(report),
        "",
        f"- Ceiling alone at 1 connection: p50 {report.ceiling_single.p50_ms:.2f} ms; at 32 "
        f"connections on the board: p50 {shown(report.page('board').ceiling_p50_ms, '.1f')} ms, "
        f"p99 {shown(report.page('board').ceiling_p99_ms, '.1f')} ms.",
        f"- Board body: real {report.body_bytes['real']:,} bytes, ceiling "
        f"{report.body_bytes['ceiling']:,} bytes (both uncompressed: wrk sends no "
        "Accept-Encoding).",
        "- First idea shown: "
        + ", ".join(f"{page}: {idea}" for page, idea in report.first_ideas.items())
        + ".",
        f"- Ideas authored by the bench person (they cannot support those): "
        f"{report.authored_by_bench}.",
    ]
    for page in report.pages:
        if problems := page.problems():
            lines.append(f"- {page.target.label}: {'; '.join(problems)}.")
    lines += [
        "",
        f"**Sign-ins under load.** While wrk loaded the board (32 connections, "
        f"{login.board.duration_s:.0f} s), {len(login.latencies_ms)} sign-ins arrived at "
        f"{login.rate:g} a second (open loop): board "
        f"{login.board.rps:,.0f} req/s, p50 {shown(login.board.p50_ms, '.1f', ' ms')}, p99 "
        f"{shown(login.board.p99_ms, '.1f', ' ms')}; sign-in p50 "
        f"{shown(login.p50_ms, '.0f', ' ms')}, p99 {shown(login.p99_ms, '.0f', ' ms')}; "
        f"answers {statuses}.",
        "",
        f"**Votes.** wrk sent {integrity.sent:,} support POSTs, each on an idea the bench "
        f"person had not supported: {integrity.ok:,} were answered 2xx "
        f"({integrity.confirmed:,} of those answers show the idea as supported), "
        f"{integrity.not_ok} otherwise, and {integrity.in_flight} were unanswered when wrk "
        "stopped at a deadline and closed its connections (the server finishes those it had "
        "read; those still unread in the socket are dropped with it). After each load the "
        "database held, in all, "
        f"{integrity.new_rows:,} new Support rows for the bench person on "
        f"{integrity.ideas_with_new_rows:,} ideas (one row per idea): one for each of "
        f"{integrity.confirmed_stored:,} confirmed votes, {integrity.stored_in_flight} for "
        f"votes in flight, {integrity.stored_unsent} on ideas wrk never sent. "
        f"{integrity.miscounted_ideas} touched ideas had a support_count different from their "
        "Support rows. Each load's votes are checked, then withdrawn (rows deleted, counters "
        "recounted), so every load, and the next run, finds the data set as seeded.",
        "",
    ]
    return lines


METHOD = """\
## Method

`bench/run` seeds (or reuses) each data set with `bench/seed.py` and settles it
(PostgreSQL: `VACUUM (ANALYZE)`; SQLite: the WAL checkpointed and emptied; again after the
votes, before the sign-in load). It then starts the real server — `incubator serve
--workers 1 --no-scheduler`, `INCUBATOR_ENV=production`, no Redis (file stores) — and
the ceiling, `bench/ceiling.py`: a bare Litestar app with no database and no middleware
that renders the same `ideas/board.html.jinja2`, with the app's own Jinja environment,
from 20 constant rows, also on uvicorn with one worker.

Every page is loaded by wrk (`-t2 -c32`, keep-alive, a signed-in session cookie, no
compression) after a {warmup:g} s warm-up of both servers, in {rounds} rounds of
{seconds:g} s alternating ceiling and real, so both see the same machine; the table shows
the medians over rounds, the ratio real/ceiling req/s, and the real page's p50 and p99 at
32 connections. "p50 @1 conn" is a {single:g} s run with one connection (`-t1 -c1`),
longer for a slow page (five of its answers, up to a minute); the latency targets for the
board, search and the pipeline are read there. Each page is first requested once on a
separate server: a page that fails or takes over a minute is reported as not measured.
After every real run the harness waits until the server is idle (no CPU in its process,
no active query in PostgreSQL), since it still serves what wrk left in flight. The vote is an
htmx `POST /ideas/<id>/support` with the CSRF header; each request supports a different
idea the bench person had not supported. Sign-in load: while wrk loads the board for
{login:g} s, an asyncio client posts the real sign-in form at a steady rate, rotating
over the seeded `login<n>@bench.example` accounts. The server runs with
`INCUBATOR_AUTH_POSTS_PER_MINUTE=1000000`: the per-address flood guard on `POST /login`
(30 a minute by default) would otherwise refuse nearly every sign-in from the one
loopback address. Queries per request come from the `x-sql-queries` header of a
development server (production hides it) on the same data, at both sizes; the small data
set has 250 people (`bench/seed.py`'s minimum, for the sign-in accounts), and its page
1,000 does not exist, so there its last page is counted.

The machine is shared and has 2 cores that wrk, the server, PostgreSQL and the
harness all use: compare the ratio more than the absolute numbers.
"""


def write_report(
    reports: list[DatabaseReport],
    timing: Timing,
    started: datetime,
    machine_lines: list[str],
    output: Path,
    *,
    quick: bool,
) -> str:
    lines = [
        "# Benchmark results (`bench/run`)",
        "",
        f"Measured {started:%Y-%m-%d %H:%M} UTC at commit {commit()}"
        + (", **a quick smoke run (short loads): not for comparison**" if quick else "")
        + ".",
        "",
        "## Machine",
        "",
        *machine_lines,
        "",
        METHOD.format(**vars(timing)),
    ]
    for report in reports:
        lines += database_section(report)
    lines += ["## Targets (issue #10)", ""]
    for report in reports:
        lines += [check.line() for check in checks(report)]
    text = "\n".join(lines) + "\n"
    write_part(output, "single-worker", text)
    return text


def write_part(output: Path, name: str, text: str) -> None:
    """Put `text` in `output` as its part `name`, replacing that part and keeping the
    others: `bench/run` and `bench/run --workers` share bench/RESULTS.md. A file without
    parts yet is taken as the single-worker part."""
    old = output.read_text() if output.exists() else ""
    if old and "<!-- part:" not in old:
        old = f"<!-- part: single-worker -->\n{old.rstrip()}\n<!-- end of part -->\n"
    parts = dict(re.findall(r"<!-- part: (\S+) -->\n(.*?)<!-- end of part -->\n", old, re.S))
    parts[name] = text.rstrip() + "\n"
    output.write_text(
        "\n".join(
            f"<!-- part: {part} -->\n{body}<!-- end of part -->\n" for part, body in parts.items()
        )
    )


# ─── command line ────────────────────────────────────────────────────────────────────


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/run", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--duration", type=int, help="seconds per wrk round (default 8)")
    parser.add_argument(
        "--rounds", type=int, help="ceiling/real rounds per page (default 3; 7 with --workers)"
    )
    parser.add_argument("--warmup", type=int, help="warm-up seconds per page (default 2)")
    parser.add_argument("--single", type=int, help="seconds of the 1-connection run (default 4)")
    parser.add_argument(
        "--login-duration", type=int, help="seconds of board load with sign-ins (default 20)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="short loads for a smoke check (RESULTS-quick.md)"
    )
    parser.add_argument("--ideas", type=int, default=100_000, help="the large data set's ideas")
    parser.add_argument("--force-seed", action="store_true", help="seed both data sets anew")
    parser.add_argument(
        "--no-seed",
        action="store_true",
        help="use the databases as they are (e.g. `incubator demo`): no bench/seed.py",
    )
    parser.add_argument("--sqlite-url", help="the large SQLite data set (default bench/data/…)")
    parser.add_argument("--sqlite-small-url", help="the 1k-idea SQLite data set")
    parser.add_argument("--postgres-url", help="the large PostgreSQL data set")
    parser.add_argument("--postgres-small-url", help="the 1k-idea PostgreSQL data set")
    parser.add_argument("--postgres-server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--email", default="bench@bench.example")
    parser.add_argument("--password", default="incubator-bench")
    parser.add_argument(
        "--login-email",
        default="login{n}@bench.example",
        help="accounts signing in under load ({n} counts from 0)",
    )
    parser.add_argument("--login-accounts", type=int, default=200)
    parser.add_argument("--login-rate", type=float, default=20, help="sign-ins per second")
    parser.add_argument("--output", type=Path, help="default bench/RESULTS.md")
    parser.add_argument(
        "--workers",
        help="issue #12 instead: the board and votes on PostgreSQL + Redis with each of these "
        "worker counts, e.g. 1,2, and one worker at 1/N of the connections for each N > 1 "
        "(bench/scaleout.py; written to the scale-out part of --output)",
    )
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379", help="the server; --workers uses db 13"
    )
    return parser.parse_args(argv)


def timing_of(args: argparse.Namespace) -> Timing:
    quick = Timing(seconds=2, rounds=1, warmup=1, single=2, login=6)
    full = Timing(seconds=8, rounds=3, warmup=2, single=4, login=20)
    defaults = quick if args.quick else full
    return Timing(
        seconds=args.duration or defaults.seconds,
        rounds=args.rounds or defaults.rounds,
        warmup=args.warmup or defaults.warmup,
        single=args.single or defaults.single,
        login=args.login_duration or defaults.login,
    )


async def run(args: argparse.Namespace) -> None:
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    timing = timing_of(args)
    output = args.output or (
        DATA_DIR / "RESULTS-quick.md" if args.quick else BENCH_DIR / "RESULTS.md"
    )
    started = datetime.now(UTC)
    machine_lines = machine()
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    # Every data set first: a seeding failure stops the run before any load.
    data_sets = {kind: await prepare_data_sets(kind, args) for kind in kinds}
    reports = []
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    WORK_DIR.mkdir(parents=True)
    async with ceiling_server(WORK_DIR) as ceiling:
        for kind in kinds:
            reports.append(
                await bench_database(kind, data_sets[kind], args, timing, ceiling, WORK_DIR)
            )
    text = write_report(reports, timing, started, machine_lines, output, quick=args.quick)
    print(text)
    log(f"written to {output}")


def main() -> None:
    args = parse_args()
    if args.workers:
        scale_out = str(BENCH_DIR / "scaleout.py")
        os.execv(PYTHON, [PYTHON, scale_out, *sys.argv[1:]])  # noqa: S606 - no shell wanted
    try:
        asyncio.run(run(args))
    except BenchError as error:
        log(f"bench failed: {error}\n(server logs: {WORK_DIR})")
        raise SystemExit(1) from None
    except (KeyboardInterrupt, asyncio.CancelledError):
        log("interrupted: every server this run started is stopped")
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
