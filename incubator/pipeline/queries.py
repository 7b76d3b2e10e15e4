"""Pipeline figures, each computed by the database in one aggregate query whatever the
number of ideas: the funnel, gate conversion, time in stage and decision latency
(median and 90th percentile, nearest rank), throughput, stalls.

Percentiles use window functions (SQLite ≥ 3.25 and PostgreSQL alike): the p-th
percentile of n sorted values is the value at 0-based rank floor((n − 1) × p)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from piccolo.querystring import QueryString

from incubator.db.dialect import days_between, month_of
from incubator.db.transactions import engine
from incubator.ideas.stages import STAGE_KEYS
from incubator.pipeline.snapshots import Snapshot, shared_cache

DEFAULT_STALLED_DAYS = 30
PERIODS = {"30": 30, "90": 90, "365": 365}


@dataclass(frozen=True)
class Filters:
    challenge_id: int | None = None
    department_id: int | None = None
    period_days: int | None = None
    stalled_days: int = DEFAULT_STALLED_DAYS

    @property
    def key(self) -> str:
        return f"{self.challenge_id}:{self.department_id}:{self.period_days}:{self.stalled_days}"


def _where(filters: Filters, now: datetime) -> tuple[str, list[Any]]:
    """Conditions on `idea` (and its author `person`) shared by every figure."""
    clauses: list[str] = ["idea.merged_into IS NULL"]
    args: list[Any] = []
    if filters.challenge_id is not None:
        clauses.append("idea.challenge = {}")
        args.append(filters.challenge_id)
    if filters.department_id is not None:
        clauses.append("person.department = {}")
        args.append(filters.department_id)
    if filters.period_days is not None:
        clauses.append("idea.created_at >= {}")
        args.append(now - timedelta(days=filters.period_days))
    return " AND ".join(clauses), args


async def _rows(sql: str, *args: Any) -> list[dict[str, Any]]:
    result = await engine().run_querystring(QueryString(sql, *args))
    return [dict(row) for row in result]  # asyncpg answers Records; SQLite dicts


_IDEAS = "FROM idea JOIN person ON person.id = idea.author"


async def funnel(filters: Filters, now: datetime) -> list[dict[str, Any]]:
    """Per stage: ideas there now, ideas that reached it (there now or further), and that
    as a share of all ideas."""
    where, args = _where(filters, now)
    rows = await _rows(
        f"SELECT idea.stage AS stage, idea.status AS status, count(*) AS ideas {_IDEAS} "
        f"WHERE {where} GROUP BY idea.stage, idea.status",
        *args,
    )
    now_in: dict[str, int] = dict.fromkeys(STAGE_KEYS, 0)
    stopped: dict[str, int] = dict.fromkeys(STAGE_KEYS, 0)
    for row in rows:
        if row["stage"] in now_in:
            now_in[row["stage"]] += int(row["ideas"])
            if row["status"] == "killed":
                stopped[row["stage"]] += int(row["ideas"])
    total = sum(now_in.values())
    funnel_rows = []
    for index, stage in enumerate(STAGE_KEYS):
        reached = sum(now_in[key] for key in STAGE_KEYS[index:])
        funnel_rows.append(
            {
                "stage": stage,
                "now": now_in[stage],
                "stopped": stopped[stage],
                "reached": reached,
                "share": round(reached / total, 4) if total else 0.0,
            }
        )
    return funnel_rows


async def conversion(filters: Filters, now: datetime) -> list[dict[str, Any]]:
    """Per gate (by the stage it leads out of): decided rounds and the share that passed."""
    where, args = _where(filters, now)
    rows = await _rows(
        "SELECT r.from_stage AS stage, count(*) AS decided, "
        "SUM(CASE WHEN r.status = 'passed' THEN 1 ELSE 0 END) AS passed, "
        "SUM(CASE WHEN r.status = 'killed' THEN 1 ELSE 0 END) AS killed "
        f"FROM gate_round r JOIN idea ON idea.id = r.idea JOIN person ON person.id = idea.author "
        f"WHERE r.status <> 'open' AND {where} GROUP BY r.from_stage",
        *args,
    )
    by_stage = {row["stage"]: row for row in rows}
    result = []
    for stage, to_stage in pairwise(STAGE_KEYS):
        row = by_stage.get(stage, {"decided": 0, "passed": 0, "killed": 0})
        decided, passed = int(row["decided"]), int(row["passed"] or 0)
        result.append(
            {
                "from_stage": stage,
                "to_stage": to_stage,
                "decided": decided,
                "passed": passed,
                "killed": int(row["killed"] or 0),
                "rate": round(passed / decided, 4) if decided else None,
            }
        )
    return result


def _percentiles_sql(values_sql: str, group: str) -> str:
    return (
        f"WITH v AS ({values_sql}), ranked AS ("
        f"SELECT {group} AS grp, days, "
        f"ROW_NUMBER() OVER (PARTITION BY {group} ORDER BY days) AS rn, "
        f"COUNT(*) OVER (PARTITION BY {group}) AS n FROM v) "
        "SELECT grp, days, rn, n FROM ranked "
        # Integer division truncates on both engines (a CAST rounds on PostgreSQL).
        "WHERE rn = (n - 1) / 2 + 1 OR rn = ((n - 1) * 9) / 10 + 1"
    )


def _collect(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    figures: dict[str, dict[str, Any]] = {}
    for row in rows:
        n = int(row["n"])
        entry = figures.setdefault(row["grp"], {"count": n, "median": None, "p90": None})
        rank = int(row["rn"])
        if rank == (n - 1) // 2 + 1:
            entry["median"] = round(float(row["days"]), 1)
        if rank == ((n - 1) * 9) // 10 + 1:
            entry["p90"] = round(float(row["days"]), 1)
    return figures


async def time_in_stage(filters: Filters, now: datetime) -> list[dict[str, Any]]:
    """Days ideas spent in each stage before passing its gate (completed stays only)."""
    where, args = _where(filters, now)
    entered = "COALESCE(p.previous, p.created_at)"
    visits = (
        "SELECT p.from_stage AS stage, "
        f"{days_between('p.decided_at', entered)} AS days FROM ("
        "SELECT r.from_stage, r.decided_at, idea.created_at, "
        "LAG(r.decided_at) OVER (PARTITION BY r.idea ORDER BY r.decided_at) AS previous "
        "FROM gate_round r JOIN idea ON idea.id = r.idea JOIN person ON person.id = idea.author "
        f"WHERE r.status = 'passed' AND {where}) AS p"
    )
    figures = _collect(await _rows(_percentiles_sql(visits, "stage"), *args))
    return [
        {"stage": stage, **figures.get(stage, {"count": 0, "median": None, "p90": None})}
        for stage in STAGE_KEYS[:-1]
    ]


async def decision_latency(filters: Filters, now: datetime) -> dict[str, Any]:
    """Days from a round's opening to its decision."""
    where, args = _where(filters, now)
    values = (
        f"SELECT 'all' AS bucket, {days_between('r.decided_at', 'r.opened_at')} AS days "
        "FROM gate_round r JOIN idea ON idea.id = r.idea JOIN person ON person.id = idea.author "
        f"WHERE r.status <> 'open' AND r.decided_at IS NOT NULL AND {where}"
    )
    figures = _collect(await _rows(_percentiles_sql(values, "bucket"), *args))
    return figures.get("all", {"count": 0, "median": None, "p90": None})


async def throughput(filters: Filters, now: datetime, months: int = 12) -> list[dict[str, Any]]:
    """Per month over the last year: ideas proposed, rounds decided, rounds passed."""
    where, args = _where(filters, now)
    labels = _last_months(now, months)
    since = datetime(int(labels[0][:4]), int(labels[0][5:]), 1, tzinfo=UTC)
    proposed = await _rows(
        f"SELECT {month_of('idea.created_at')} AS month, count(*) AS ideas {_IDEAS} "
        f"WHERE {where} AND idea.created_at >= {{}} GROUP BY month",
        *args,
        since,
    )
    decided = await _rows(
        f"SELECT {month_of('r.decided_at')} AS month, count(*) AS decided, "
        "SUM(CASE WHEN r.status = 'passed' THEN 1 ELSE 0 END) AS passed "
        "FROM gate_round r JOIN idea ON idea.id = r.idea JOIN person ON person.id = idea.author "
        f"WHERE r.status <> 'open' AND r.decided_at >= {{}} AND {where} GROUP BY month",
        since,
        *args,
    )
    ideas = {row["month"]: int(row["ideas"]) for row in proposed}
    rounds = {row["month"]: row for row in decided}
    return [
        {
            "month": month,
            "proposed": ideas.get(month, 0),
            "decided": int(rounds[month]["decided"]) if month in rounds else 0,
            "passed": int(rounds[month]["passed"] or 0) if month in rounds else 0,
        }
        for month in labels
    ]


def _last_months(now: datetime, months: int) -> list[str]:
    """'YYYY-MM' of the last `months` months, this one included, oldest first."""
    year, month, labels = now.year, now.month, []
    for _ in range(months):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return labels[::-1]


async def stalled(filters: Filters, now: datetime, limit: int = 20) -> dict[str, Any]:
    """Active ideas with no stage change for N days and no round open: the ones to ask
    about. The oldest first."""
    where, args = _where(filters, now)
    cutoff = now - timedelta(days=filters.stalled_days)
    condition = (
        f"{where} AND idea.status = 'active' AND idea.stage_entered_at < {{}} "
        "AND NOT EXISTS (SELECT 1 FROM gate_round r WHERE r.idea = idea.id AND r.status = 'open')"
    )
    rows = await _rows(
        f"SELECT idea.id AS id, idea.title AS title, idea.stage AS stage, "
        f"idea.stage_entered_at AS since, count(*) OVER () AS total {_IDEAS} "
        f"WHERE {condition} ORDER BY idea.stage_entered_at, idea.id LIMIT {{}}",
        *args,
        cutoff,
        limit,
    )
    for row in rows:
        since = row["since"]
        if isinstance(since, str):
            since = datetime.fromisoformat(since)
        row["days"] = int((now - since).total_seconds() // 86400)
        row["since"] = since.isoformat()  # as a snapshot keeps it
    return {"ideas": rows, "total": int(rows[0]["total"]) if rows else 0}


async def cached_dashboard(filters: Filters) -> Snapshot:
    """The dashboard's figures from the shared snapshots (see snapshots); computed for
    this request when `pipeline_cache_seconds` is zero."""
    cache = shared_cache()
    if not cache.fresh_for:
        now = datetime.now(UTC)
        return Snapshot(await dashboard(filters, now), now)
    return await cache.get(filters.key, lambda: dashboard(filters))


async def dashboard(filters: Filters, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    return {
        "funnel": await funnel(filters, now),
        "conversion": await conversion(filters, now),
        "time_in_stage": await time_in_stage(filters, now),
        "decision_latency": await decision_latency(filters, now),
        "throughput": await throughput(filters, now),
        "stalled": await stalled(filters, now),
    }
