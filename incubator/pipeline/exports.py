"""CSV exports for leadership, streamed a batch at a time (keyset pagination), so an
export of 100,000 ideas holds a few hundred rows in memory at once.

UTF-8 with a byte-order mark (so spreadsheets keep accents), a header row, and every
cell that a spreadsheet would read as a formula (= + - @, tab, carriage return) prefixed
with an apostrophe."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from piccolo.querystring import QueryString

from incubator.db.dialect import days_between, distinct_list, timestamp_parameter
from incubator.db.transactions import engine

BATCH = 500
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _line(values: Sequence[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([neutralise(value) for value in values])
    return buffer.getvalue()


async def _batches(sql: str, *args: Any) -> AsyncIterator[list[dict[str, Any]]]:
    """Rows of `sql` (which selects `id` and takes the last id then the batch size) in
    batches, in id order."""
    last_id = 0
    while True:
        rows = [
            dict(row)
            for row in await engine().run_querystring(QueryString(sql, *args, last_id, BATCH))
        ]
        if not rows:
            return
        yield rows
        last_id = int(rows[-1]["id"])


async def _csv(
    header: Sequence[str], sql: str, row: Callable[[dict[str, Any]], Sequence[Any]], *args: Any
) -> AsyncIterator[bytes]:
    yield ("\ufeff" + _line(header)).encode()
    async for batch in _batches(sql, *args):
        yield "".join(_line(row(item)) for item in batch).encode()


IDEA_HEADER = (
    "id",
    "title",
    "stage",
    "status",
    "challenge",
    "author_department",
    "team_size",
    "team_departments",
    "supports",
    "days_in_stage",
    "rounds",
    "last_decision",
    "created_at",
)


def ideas_csv(now: datetime | None = None) -> AsyncIterator[bytes]:
    now = now or datetime.now(UTC)
    sql = (
        "SELECT idea.id AS id, idea.title AS title, idea.stage AS stage, idea.status AS status, "
        "challenge.title AS challenge, department.name AS author_department, "
        "(SELECT count(*) FROM team_member t WHERE t.idea = idea.id) AS team_size, "
        f"(SELECT {distinct_list('d.name')} FROM team_member t JOIN person p ON p.id = t.person "
        "JOIN department d ON d.id = p.department WHERE t.idea = idea.id) AS team_departments, "
        "idea.support_count AS supports, "
        f"{days_between(timestamp_parameter(), 'idea.stage_entered_at')} AS days_in_stage, "
        "(SELECT count(*) FROM gate_round r WHERE r.idea = idea.id) AS rounds, "
        "(SELECT r.status FROM gate_round r WHERE r.idea = idea.id AND r.status <> 'open' "
        "ORDER BY r.decided_at DESC LIMIT 1) AS last_decision, idea.created_at AS created_at "
        "FROM idea JOIN person ON person.id = idea.author "
        "LEFT JOIN department ON department.id = person.department "
        "LEFT JOIN challenge ON challenge.id = idea.challenge "
        "WHERE idea.merged_into IS NULL AND idea.id > {} ORDER BY idea.id LIMIT {}"
    )
    return _csv(
        IDEA_HEADER,
        sql,
        lambda r: [
            r["id"],
            r["title"],
            r["stage"],
            r["status"],
            r["challenge"] or "",
            r["author_department"] or "",
            r["team_size"],
            r["team_departments"] or "",
            r["supports"],
            int(float(r["days_in_stage"] or 0)),
            r["rounds"],
            r["last_decision"] or "",
            str(r["created_at"]),
        ],
        now,
    )


ROUND_HEADER = (
    "id",
    "idea_id",
    "idea_title",
    "number",
    "from_stage",
    "to_stage",
    "status",
    "quorum",
    "votes",
    "opened_at",
    "closes_at",
    "extended",
    "decided_at",
)


def rounds_csv() -> AsyncIterator[bytes]:
    sql = (
        "SELECT r.id AS id, r.idea AS idea_id, idea.title AS idea_title, r.number AS number, "
        "r.from_stage AS from_stage, r.to_stage AS to_stage, r.status AS status, "
        "r.quorum AS quorum, r.vote_count AS votes, r.opened_at AS opened_at, "
        "r.closes_at AS closes_at, r.extended AS extended, r.decided_at AS decided_at "
        "FROM gate_round r JOIN idea ON idea.id = r.idea WHERE r.id > {} ORDER BY r.id LIMIT {}"
    )
    return _csv(
        ROUND_HEADER,
        sql,
        lambda r: [r[column] if r[column] is not None else "" for column in ROUND_HEADER],
    )


VOTE_HEADER = (
    "id",
    "round_id",
    "idea_id",
    "voter_department",
    "decision",
    "scores",
    "rationale",
    "cast_at",
)


def votes_csv() -> AsyncIterator[bytes]:
    """Votes without voters' names: what leadership needs is how peers judge, not who."""
    sql = (
        "SELECT v.id AS id, v.round AS round_id, r.idea AS idea_id, d.name AS voter_department, "
        "v.decision AS decision, v.scores AS scores, v.rationale AS rationale, "
        "v.cast_at AS cast_at "
        "FROM vote v JOIN gate_round r ON r.id = v.round JOIN person p ON p.id = v.voter "
        "LEFT JOIN department d ON d.id = p.department "
        "WHERE r.status <> 'open' AND v.id > {} ORDER BY v.id LIMIT {}"
    )
    return _csv(
        VOTE_HEADER,
        sql,
        lambda r: [r[column] if r[column] is not None else "" for column in VOTE_HEADER],
    )
