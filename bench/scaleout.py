"""`bench/run --workers 1,2`: issue #12's numbers. The idea board and vote POSTs against
`incubator serve --workers N` on PostgreSQL and Redis, for each N in one run, with a
clock process passing every few seconds beside them; and where the CPU went — the
server's workers, wrk, PostgreSQL, Redis — since on one machine they share the cores.

Every vote wrk was answered for must be stored once, as in the main benchmark."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import resource
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import redis.asyncio as aioredis
from harness import (
    BENCH_DIR,
    CONNECTIONS,
    DATA_DIR,
    INCUBATOR,
    WRK_THREADS,
    BenchError,
    Database,
    DataSetSize,
    FreshVotes,
    Session,
    VoteIntegrity,
    WrkResult,
    bench_person,
    commit,
    free_port,
    ideas_to_vote_on,
    log,
    machine,
    median,
    parse_args,
    prepare_data_set,
    run_wrk,
    server_env,
    serving,
    sign_in,
    timing_of,
    write_part,
)

WORK_DIR = DATA_DIR / "last-scaleout"
REDIS_DB = 13  # the tests use 14 and 15
CLOCK_INTERVAL_SECONDS = 5.0
TICKS = os.sysconf("SC_CLK_TCK")


def _processes() -> Iterator[tuple[str, int, int, float]]:
    """(command name, id, process group, CPU seconds used so far) of every live process."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                raw = (entry / "stat").read_text()
            except OSError:
                continue  # it ended meanwhile
            fields = raw.rsplit(")", 1)[1].split()
            name = raw[raw.index("(") + 1 : raw.rindex(")")]
            yield name, int(entry.name), int(fields[2]), (int(fields[11]) + int(fields[12])) / TICKS


def _preemptions(pid: int) -> int:
    """How often the process's main thread (a worker's event loop) was switched out while
    it could still run: its involuntary context switches so far."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0  # it ended meanwhile
    for line in status.splitlines():
        if line.startswith("nonvoluntary_ctxt_switches:"):
            return int(line.split()[1])
    return 0


def _machine_busy() -> tuple[float, float]:
    """(busy, all) CPU seconds of the whole machine since boot."""
    values = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICKS, sum(values) / TICKS


@dataclass
class Cpu:
    """CPU seconds spent during one load, by who spent them."""

    server: float
    clock: float
    wrk: float
    postgres: float
    redis: float
    machine_busy: float
    machine_all: float
    # Not CPU: how often a server process was switched out while it could still run.
    server_preemptions: float

    def per_core(self, seconds: float) -> dict[str, float]:
        """Each as a share of one core over the load's wall time."""
        return {
            "server": self.server / seconds,
            "clock": self.clock / seconds,
            "wrk": self.wrk / seconds,
            "postgres": self.postgres / seconds,
            "redis": self.redis / seconds,
            "machine": self.machine_busy / seconds,
        }


class CpuMeter:
    def __init__(self, server_group: int, clock_group: int) -> None:
        self.server_group, self.clock_group = server_group, clock_group

    def _read(self) -> tuple[float, ...]:
        server = clock = postgres = redis = preemptions = 0.0
        for name, pid, group, cpu in _processes():
            if group == self.server_group:
                server += cpu
                preemptions += _preemptions(pid)
            elif group == self.clock_group:
                clock += cpu
            elif name.startswith("postgres"):
                postgres += cpu
            elif name.startswith("redis-server"):
                redis += cpu
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        wrk = children.ru_utime + children.ru_stime  # counted once wrk has been waited for
        return (server, clock, wrk, postgres, redis, *_machine_busy(), preemptions)

    @contextlib.asynccontextmanager
    async def measuring(self) -> AsyncIterator[list[Cpu]]:
        holder: list[Cpu] = []
        before = self._read()
        yield holder
        after = self._read()
        holder.append(Cpu(*(b - a for a, b in zip(before, after, strict=True))))


@dataclass
class Load:
    result: WrkResult
    cpu: Cpu


@dataclass
class WorkersReport:
    workers: int
    # A control (see measure_side_by_side): one worker at 1/N of the connections, for N.
    control_for: int | None = None
    board: list[Load] = field(default_factory=list)
    votes: list[Load] = field(default_factory=list)

    @property
    def is_control(self) -> bool:
        return self.control_for is not None

    @property
    def connections(self) -> int:
        return CONNECTIONS // self.control_for if self.control_for else CONNECTIONS

    @property
    def label(self) -> str:
        if self.is_control:
            return f"{self.workers} worker at {self.connections} connections"
        return f"{self.workers} worker(s)"

    @property
    def board_rps(self) -> float:
        return _rps(self.board)

    @property
    def votes_rps(self) -> float:
        return _rps(self.votes)

    def paired(self, name: str, alone: WorkersReport) -> list[float]:
        """Each round's load (board or votes) over the one-worker load of the same round:
        two loads taken back to back, on the machine as fast as it then was."""
        return [
            load.result.rps / single.result.rps
            for load, single in zip(getattr(self, name), getattr(alone, name), strict=True)
        ]

    @staticmethod
    def p99(loads: list[Load]) -> float:
        return median(load.result.p99_ms for load in loads)

    @staticmethod
    def p50(loads: list[Load]) -> float:
        return median(load.result.p50_ms for load in loads)


async def _flush_redis(url: str) -> None:
    client = aioredis.Redis.from_url(url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


def _env(url: str, redis_url: str, work: Path) -> dict[str, str]:
    data_dir = Path(tempfile.mkdtemp(prefix="data-", dir=work))
    return {**server_env(url, data_dir, production=True), "REDIS_URL": redis_url}


@contextlib.asynccontextmanager
async def scaled_server(
    url: str, redis_url: str, workers: int, work: Path
) -> AsyncIterator[tuple[str, int]]:
    """`incubator serve --workers N` on the database and Redis; yields its base URL and
    its process group."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve = [INCUBATOR, "serve", "--port", str(port), "--workers", str(workers), "--no-scheduler"]
    env = _env(url, redis_url, work)
    async with serving(f"serve-{workers}w-{port}", serve, env, f"{base}/healthz", work) as pid:
        await _until_every_worker_answers(base, workers)
        yield base, pid


@contextlib.asynccontextmanager
async def _clock(argv: list[str], env: dict[str, str], log_path: Path) -> AsyncIterator[int]:
    with log_path.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            *argv, env=env, stdout=output, stderr=output, start_new_session=True
        )
    try:
        yield process.pid
    finally:
        if process.returncode is None:
            process.send_signal(2)  # SIGINT: how a clock process stops, lease released
            try:
                await asyncio.wait_for(process.wait(), timeout=30)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _until_every_worker_answers(base: str, workers: int) -> None:
    """uvicorn's workers start one after the other: load none before all are up."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            answers = await asyncio.gather(*(client.get("/healthz") for _ in range(8 * workers)))
            if all(answer.status_code == 200 for answer in answers):
                await asyncio.sleep(2.0 * workers)  # the last worker's imports settle
                return
        raise BenchError(f"{base} did not answer with {workers} workers")


async def settle(url: str) -> None:
    """Clean up after the vote loads before the next load: each vote updates an idea's
    counter and adds a row, and the dead row versions that leaves would send autovacuum
    to work during whichever load comes next (the runs of 2 workers, which come after
    more votes). Vacuuming here, outside any measurement, gives every load the same
    database, as a database that keeps up with its writes is."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("VACUUM (ANALYZE) idea, support")
        for _ in range(120):  # a minute at most
            if not await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
            ):
                break
            await asyncio.sleep(0.5)
    finally:
        await connection.close()


class Measured:
    """One server under test (N workers) and its loads, taken in turn with the others'."""

    def __init__(
        self,
        report: WorkersReport,
        base: str,
        meter: CpuMeter,
        session: Session,
        url: str,
        work: Path,
    ) -> None:
        self.report = report
        self.base, self.meter, self.session, self.url, self.work = (
            base,
            meter,
            session,
            url,
            work,
        )

    async def board(self, seconds: int) -> Load:
        await settle(self.url)
        async with self.meter.measuring() as cpu:
            result = await run_wrk(
                self.base + "/ideas",
                self.session.headers(),
                seconds=seconds,
                connections=self.report.connections,
                work=self.work,
            )
        await asyncio.sleep(1)  # what wrk left in flight is finished
        return Load(result, cpu[0])

    async def votes(self, fresh: FreshVotes, seconds: int) -> Load:
        await settle(self.url)
        async with fresh.ledger() as ledger:
            allocation = ledger.allocate(len(ledger.pool), WRK_THREADS)
            async with self.meter.measuring() as cpu:
                result = await run_wrk(
                    self.base + "/",
                    self.session.htmx_post_headers(),
                    seconds=seconds,
                    connections=self.report.connections,
                    vote_ids=allocation,
                    work=self.work,
                )
            ledger.settle(allocation, result)
        return Load(result, cpu[0])


async def measure_side_by_side(
    counts: list[int], url: str, redis_url: str, args: argparse.Namespace, fresh: FreshVotes
) -> tuple[list[WorkersReport], list[WorkersReport]]:
    """A server for each worker count, all up at once (an idle one costs nothing) and
    loaded one at a time, in turn: board on each, then votes on each, round after
    round, in the opposite order every other round. What drifts during the run (the
    machine, the database's caches, the rows the votes add) falls on every worker count
    alike, as with the ceiling in `bench/run`.

    Beside them, for each N workers, the one-worker server takes a control load at 1/N of
    the connections: what each of N workers gets. What one worker does per request at
    that concurrency, without the others on the cores, tells the batches that shrink
    (fewer requests at once per worker) from the cores that are shared. Returns the
    worker counts' reports and the controls'."""
    await _flush_redis(redis_url)
    clock = [INCUBATOR, "scheduler", "--interval", str(CLOCK_INTERVAL_SECONDS)]
    async with contextlib.AsyncExitStack() as stack:
        env = _env(url, redis_url, WORK_DIR)
        clock_pid = await stack.enter_async_context(_clock(clock, env, WORK_DIR / "clock.log"))
        measured: list[Measured] = []
        controls: list[Measured] = []
        for workers in counts:
            base, pid = await stack.enter_async_context(
                scaled_server(url, redis_url, workers, WORK_DIR)
            )
            session = await sign_in(base, args.email, args.password)
            meter = CpuMeter(pid, clock_pid)
            measured.append(Measured(WorkersReport(workers), base, meter, session, url, WORK_DIR))
            if workers == 1:
                controls = [
                    Measured(
                        WorkersReport(1, control_for=others),
                        base,
                        meter,
                        session,
                        url,
                        WORK_DIR,
                    )
                    for others in counts
                    if 1 < others <= CONNECTIONS
                ]
        log(f"postgres + redis: {', '.join(map(str, counts))} worker(s) on {url}")
        measured += controls
        for server in measured:
            await server.board(args.warmup)
            await server.votes(fresh, args.warmup)
        for turn in range(args.rounds):
            # Every other round the other way round: loaded second, a server served 2-3%
            # less in an A/A run (two 1-worker servers, votes, six rounds).
            order = measured if turn % 2 == 0 else measured[::-1]
            for server in order:
                server.report.board.append(await server.board(args.duration))
            for server in order:
                server.report.votes.append(await server.votes(fresh, args.duration))
        for server in measured:
            report = server.report
            log(
                f"  {report.label}: board {report.board_rps:,.0f} req/s "
                f"(p99 {WorkersReport.p99(report.board):.0f} ms), votes "
                f"{report.votes_rps:,.0f}/s (p99 {WorkersReport.p99(report.votes):.0f} ms)"
            )
    reports = [server.report for server in measured]
    return reports[: len(counts)], reports[len(counts) :]


@dataclass(frozen=True)
class ScaleOut:
    reports: list[WorkersReport]
    # One worker at 1/N of the connections, for each N workers (measure_side_by_side).
    controls: list[WorkersReport]
    integrity: VoteIntegrity
    data_set_label: str
    started: datetime
    machine_lines: list[str]


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _cpu_row(label: str, loads: list[Load], seconds: Callable[[Load], float]) -> str:
    shares = [load.cpu.per_core(seconds(load)) for load in loads]
    mid = {key: median(share[key] for share in shares) for key in shares[0]}
    return (
        f"| {label} | {_pct(mid['server'])} | {_pct(mid['wrk'])} | {_pct(mid['postgres'])} "
        f"| {_pct(mid['redis'])} | {_pct(mid['clock'])} | {_pct(mid['machine'])} |"
    )


def write_section(scale: ScaleOut, args: argparse.Namespace, output: Path) -> str:
    first, *others = scale.reports
    lines = [
        "# Scale-out: workers on PostgreSQL and Redis (`bench/run --workers`)",
        "",
        f"`bench/run --workers {args.workers}` on {scale.started:%Y-%m-%d %H:%M} UTC, "
        f"commit {commit()}, {scale.data_set_label} ideas.",
        "",
        *scale.machine_lines,
        "",
        "## Throughput",
        "",
        f"Median of {args.rounds} runs of {args.duration} s each, {CONNECTIONS} connections, "
        "signed in. One server per worker count, all started together and loaded one at "
        "a time in turn (board on each, then votes on each, round after round, in the "
        "opposite order every other round), so drift falls on each alike. The vote is the "
        "support POST (htmx), each on an idea not voted on yet; each vote load's votes are "
        "checked against the database, then withdrawn, and before each load the database "
        "is vacuumed of what they left. "
        f"An `incubator scheduler` process passes every {CLOCK_INTERVAL_SECONDS:g} s during "
        "every run.",
        "",
        "*× 1 worker* is the median, over the rounds, of each round's load beside the "
        "one-worker load of the same round, which ran just before or after it: the host's "
        "speed drifts from one load to the next (the same load may serve 20% more or less "
        "a minute later), and a ratio of two loads taken back to back is the least touched by "
        "it. *÷ medians* is the ratio of the medians, which may set a fast round of one "
        "worker count against a slow round of the other; it is shown for comparison.",
        *(
            [
                "",
                "*1 at N connections* is a control: the one-worker server under 1/N of the "
                "connections, what each of N workers gets, loaded in turn with the others.",
            ]
            if scale.controls
            else []
        ),
        "",
        "| Workers | Board req/s | × 1 worker | ÷ medians | p50 | p99 "
        "| Votes/s | × 1 worker | ÷ medians | p50 | p99 |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for report in scale.reports + scale.controls:
        board, votes = report.board, report.votes
        workers = f"1 at {report.connections} connections" if report.is_control else report.workers
        lines.append(
            f"| {workers} | {report.board_rps:,.0f} "
            f"| {median(report.paired('board', first)):.2f}× "
            f"| {report.board_rps / first.board_rps:.2f}× "
            f"| {WorkersReport.p50(board):.1f} ms | {WorkersReport.p99(board):.1f} ms "
            f"| {report.votes_rps:,.0f} | {median(report.paired('votes', first)):.2f}× "
            f"| {report.votes_rps / first.votes_rps:.2f}× "
            f"| {WorkersReport.p50(votes):.1f} ms | {WorkersReport.p99(votes):.1f} ms |"
        )
    lines += ["", "Round by round:", ""]
    for report in others:
        for name in ("board", "votes"):
            ratios = ", ".join(f"{ratio:.2f}×" for ratio in report.paired(name, first))
            lines.append(f"- {name}, {report.workers} workers: {ratios}")
    lines += [
        "",
        "## Where the CPU went",
        "",
        "Median CPU during the runs, as a share of one core (the machine has "
        f"{os.cpu_count()} cores, so 200% is all of it). *server* is every process of "
        "`incubator serve`; *clock* is `incubator scheduler`.",
        "",
        "| Load | server | wrk | PostgreSQL | Redis | clock | whole machine |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for report in scale.reports + scale.controls:
        lines.append(_cpu_row(f"Board, {report.label}", report.board, _wall))
        lines.append(_cpu_row(f"Votes, {report.label}", report.votes, _wall))
    lines += [
        "",
        "The same CPU per request, in microseconds (median over the runs), and what it "
        "bounds. With one worker using a share *m* of the machine, more workers can at most "
        "give 200% / *m* times its throughput unless each request costs less with them. "
        "With more workers, the bound takes that load's own costs outside the server "
        "(the database's batches, the clients, Redis) and the server's cost per request "
        "as with one worker: the most they could give if a request cost the server no more "
        "with them. What separates that bound from the measured ratio is the rise in the "
        "server's cost per request. *Preempted* is how often a server process was switched "
        "out per request while it could still run (its involuntary context switches), for "
        "another process to run on its core.",
        *(
            [
                "",
                "A control's bound is the most N workers could give if each request cost "
                "the machine what it costs one worker at 1/N of the connections, alone "
                "on the cores: the cores over that cost, beside one worker's throughput at "
                "all the connections. Fewer requests at once per worker mean smaller batches "
                "(supports written together, events published together, the loop's turns) "
                "and a higher cost per request, before any sharing of the cores.",
            ]
            if scale.controls
            else []
        ),
        "",
        "| Load | server | PostgreSQL | wrk, Redis, clock | whole machine | at most × 1 worker "
        "| preempted |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for report in scale.reports + scale.controls:
        for name, loads, alone in (
            ("Board", report.board, first.board),
            ("Votes", report.votes, first.votes),
        ):
            if report.control_for is not None:
                bound = _control_bound(loads, report.control_for, alone)
            elif loads is alone:
                bound = _share_bound(loads)
            else:
                bound = _no_rise_bound(loads, alone)
            lines.append(_per_request_row(f"{name}, {report.label}", loads, bound))
    integrity = scale.integrity
    lines += [
        "",
        "## Votes",
        "",
        f"{integrity.sent:,} vote POSTs sent over every run, {integrity.ok:,} answered 2xx "
        f"and {integrity.not_ok} otherwise; {integrity.new_rows:,} support rows stored on "
        f"{integrity.ideas_with_new_rows:,} ideas, {integrity.stored_unsent} for a vote never "
        f"sent, {integrity.miscounted_ideas} ideas whose counter disagrees with its rows: "
        + ("**every vote stored once**." if integrity.passed else "**FAIL**."),
        "",
        "## Checks",
        "",
    ]
    for report in others:
        board_ratio = median(report.paired("board", first))
        votes_ratio = median(report.paired("votes", first))
        lines.append(
            f"- {'PASS' if board_ratio >= 1.4 else 'FAIL'}: the board with {report.workers} "
            f"workers serves {board_ratio:.2f}× one worker's throughput (target ≥ 1.4×)."
        )
        lines.append(
            f"- {'PASS' if votes_ratio >= 1.4 else 'FAIL'}: votes with {report.workers} "
            f"workers, {votes_ratio:.2f}× one worker's (target ≥ 1.4×)."
        )
    lines.append(
        f"- {'PASS' if integrity.passed else 'FAIL'}: every vote answered is stored once, "
        "none doubled."
    )
    lines.append("")
    text = "\n".join(lines)
    write_part(output, "scale-out", text)
    return text


def _per_request(loads: list[Load], counted: Callable[[Cpu], float]) -> float:
    """What was counted during each load, per request answered: the median over the loads."""
    return median(counted(load.cpu) / max(load.result.requests, 1) for load in loads)


def _micros(loads: list[Load], spent: Callable[[Cpu], float]) -> float:
    """CPU microseconds per request spent by one party, median over the loads."""
    return _per_request(loads, spent) * 1e6


def _share_bound(alone: list[Load]) -> float:
    """The most more workers could give beside one: the cores over the share of them
    one worker's load used."""
    share = median(load.cpu.machine_busy / _wall(load) for load in alone)
    return (os.cpu_count() or 1) / share if share else math.nan


def _no_rise_bound(loads: list[Load], alone: list[Load]) -> float:
    """The most these workers could give beside one if a request cost the server what it
    costs one worker: the cores over this load's costs outside the server plus one
    worker's server cost, beside one worker's throughput."""
    outside = _micros(loads, lambda cpu: cpu.machine_busy - cpu.server)
    per_request = _micros(alone, lambda cpu: cpu.server) + outside
    return (os.cpu_count() or 1) * 1e6 / per_request / _rps(alone)


def _control_bound(control: list[Load], workers: int, alone: list[Load]) -> float:
    """The most `workers` workers could give beside one if each did what one worker does
    alone at 1/`workers` of the connections: no more than that many times the control,
    nor than the cores allow at the control's cost per request."""
    per_request = _micros(control, lambda cpu: cpu.machine_busy)
    at_most = min(workers * _rps(control), (os.cpu_count() or 1) * 1e6 / per_request)
    return at_most / _rps(alone)


def _rps(loads: list[Load]) -> float:
    return median(load.result.rps for load in loads)


def _per_request_row(label: str, loads: list[Load], bound: float) -> str:
    """CPU microseconds per request by who spent them, and the ceiling of the ratio to
    one worker that `bound` worked out."""
    return (
        f"| {label} | {_micros(loads, lambda cpu: cpu.server):,.0f} "
        f"| {_micros(loads, lambda cpu: cpu.postgres):,.0f} "
        f"| {_micros(loads, lambda cpu: cpu.wrk + cpu.redis + cpu.clock):,.0f} "
        f"| {_micros(loads, lambda cpu: cpu.machine_busy):,.0f} | {bound:.2f}× "
        f"| {_per_request(loads, lambda cpu: cpu.server_preemptions):.2f} |"
    )


def _wall(load: Load) -> float:
    return load.result.duration_s


async def run_scale_out(args: argparse.Namespace) -> None:
    started = datetime.now(UTC)
    machine_lines = machine()
    counts = [int(value) for value in args.workers.split(",")]
    size = DataSetSize.for_ideas(args.ideas)
    data_set = await prepare_data_set("postgres", size, args, args.postgres_url)
    redis_url = f"{args.redis_url.rstrip('/')}/{REDIS_DB}"
    db = Database(data_set.url)
    person_id = await bench_person(db, args.email)
    fresh = FreshVotes(db, person_id, await ideas_to_vote_on(db, person_id))
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    WORK_DIR.mkdir(parents=True)
    reports, controls = await measure_side_by_side(counts, data_set.url, redis_url, args, fresh)
    integrity = fresh.integrity()
    output = args.output or BENCH_DIR / "RESULTS.md"
    text = write_section(
        ScaleOut(reports, controls, integrity, size.label, started, machine_lines), args, output
    )
    print(text)
    log(f"written to {output}")


def main() -> None:
    args = parse_args()
    if args.warmup is None and not args.quick:
        # Every worker fills its own pool and statement caches: a longer warm-up than
        # the single-worker pages' 2 s, or the first rounds of 2 workers measure that.
        args.warmup = 5
    if args.rounds is None and not args.quick:
        # Each 8-s load may run 20% faster or slower than the one before it on this host:
        # a verdict needs more pairs than the three rounds of the single-worker pages.
        args.rounds = 7
    timing = timing_of(args)  # the defaults of `bench/run`, and its --quick
    args.duration, args.rounds, args.warmup = timing.seconds, timing.rounds, timing.warmup
    try:
        asyncio.run(run_scale_out(args))
    except BenchError as error:
        log(f"bench failed: {error}\n(server logs: {WORK_DIR})")
        raise SystemExit(1) from None
    except (KeyboardInterrupt, asyncio.CancelledError):
        log("interrupted: every server this run started is stopped")
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
