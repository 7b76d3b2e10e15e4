"""The append-only audit log, chained by hashes.

Every event stores the hash of the event before it (`prev_hash`) and its own `hash`:
sha256 over a canonical JSON serialization of (prev_hash, id, actor_id, action,
subject_type, subject_id, data, at). Triggers already refuse UPDATE and DELETE; the
chain makes what slips past them visible: an edited row no longer matches its hash, a
removed row breaks the link of the one after it, a row inserted into the middle breaks
its successor's link.

The chain must stay linear: two transactions appending at once must not both chain to
the same predecessor. On SQLite writes are serialized already (one writer; transactions
begin IMMEDIATE, which also queues other processes). On PostgreSQL the append takes a
transaction-scoped advisory lock first, so appenders queue until the holder commits or
rolls back; the next one then reads the committed last event. A unique index on
`prev_hash` turns any fork that still happened into an error instead of a silent fork
(rows written around `record_event`, with no link, are not chained and fail `verify`).

The lock is held until the writing transaction ends, so audited transactions on
PostgreSQL commit one at a time; services record their event late and keep their
transactions short.

Limit: sha256 is not keyed. Someone with write access who recomputes every later hash
can rewrite the tail; `verify_chain` reports the head (last id and hash) so it can be
recorded elsewhere (backups carry it too) and compared later.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from piccolo.querystring import QueryString
from piccolo.utils.encoding import dump_json

from incubator.db.tables import AuditEvent
from incubator.db.transactions import engine, is_sqlite, transaction
from incubator.events import Recorded, publish

GENESIS = "0" * 64
# Any constant shared by every process: the key of the "append to the audit chain" lock.
_CHAIN_LOCK_KEY = 0x1A0D17C4A1
VERIFY_BATCH = 1000


def canonical_data(data: Any) -> str:
    """The one text form of an event's data: keys sorted, no spaces, UTF-8 as is."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def canonical_at(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(
    *,
    prev_hash: str,
    event_id: int,
    actor_id: int | None,
    action: str,
    subject_type: str,
    subject_id: int | None,
    data: Any,
    at: datetime,
) -> str:
    """The hash of one event given its predecessor's (`data` parsed, not as text)."""
    payload = [
        prev_hash,
        event_id,
        actor_id,
        action,
        subject_type,
        subject_id,
        json.loads(canonical_data(data)),
        canonical_at(at),
    ]
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def row_hash(row: dict[str, Any], prev_hash: str) -> str:
    """The hash a stored row (as selected) should carry after `prev_hash`."""
    data = row["data"]
    return event_hash(
        prev_hash=prev_hash,
        event_id=int(row["id"]),
        actor_id=row["actor_id"],
        action=row["action"],
        subject_type=row["subject_type"],
        subject_id=row["subject_id"],
        data=json.loads(data) if isinstance(data, str) else data,
        at=row["at"],
    )


async def _fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await engine().run_querystring(QueryString(sql, *args))
    return rows


async def _next_link() -> tuple[int, str]:
    """The id the new event gets and the hash it chains to. Call it holding the chain."""
    last = await _fetch("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1")
    prev_hash = str(last[0]["hash"]) if last else GENESIS
    if is_sqlite():
        # One writer at a time and no deletes: the next rowid is the last one plus one.
        return (int(last[0]["id"]) + 1 if last else 1), prev_hash
    sequence = await _fetch("SELECT nextval(pg_get_serial_sequence('audit_event', 'id')) AS id")
    return int(sequence[0]["id"]), prev_hash


async def record_event(
    *,
    actor_id: int | None,
    action: str,
    subject_type: str,
    subject_id: int | None,
    data: dict[str, Any] | None = None,
) -> None:
    """Append one event; call it inside the transaction of the change it describes (on
    its own it opens one)."""
    async with transaction():
        if not is_sqlite():
            await _fetch("SELECT pg_advisory_xact_lock({})", _CHAIN_LOCK_KEY)
        event_id, prev_hash = await _next_link()
        at = datetime.now(UTC)
        # Stored as Piccolo writes JSON; hashed as what it parses back to.
        text = dump_json(data or {})
        await AuditEvent.insert(
            AuditEvent(
                id=event_id,
                actor_id=actor_id,
                action=action,
                subject_type=subject_type,
                subject_id=subject_id,
                data=text,
                at=at,
                prev_hash=prev_hash,
                hash=event_hash(
                    prev_hash=prev_hash,
                    event_id=event_id,
                    actor_id=actor_id,
                    action=action,
                    subject_type=subject_type,
                    subject_id=subject_id,
                    data=json.loads(text),
                    at=at,
                ),
            )
        ).run()
        await publish(Recorded(action=action, subject_type=subject_type, subject_id=subject_id))


@dataclass(frozen=True)
class ChainReport:
    """What verifying found: how many events, the head, and the first broken event."""

    count: int
    head_id: int | None
    head_hash: str
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


_COLUMNS = "id, actor_id, action, subject_type, subject_id, data, at, prev_hash, hash"


async def stored_events(batch: int = VERIFY_BATCH) -> AsyncIterator[dict[str, Any]]:
    """Every event in id order, read by keyset in batches (the log may be huge)."""
    last_id = 0
    while True:
        rows = await _fetch(
            f"SELECT {_COLUMNS} FROM audit_event WHERE id > {{}} ORDER BY id LIMIT {{}}",  # noqa: S608
            last_id,
            batch,
        )
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        last_id = int(rows[-1]["id"])


async def verify_chain(batch: int = VERIFY_BATCH) -> ChainReport:
    """Walk the chain in id order; stop at the first event whose link or hash is wrong."""
    count = 0
    prev_hash = GENESIS
    head_id: int | None = None
    async for row in stored_events(batch):
        event_id = int(row["id"])
        if row["prev_hash"] != prev_hash:
            reason = "does not link to the event before it (one was removed or inserted)"
            return ChainReport(count, head_id, prev_hash, event_id, reason)
        if row["hash"] != row_hash(row, prev_hash):
            reason = "its content does not match its hash (it was edited or forged)"
            return ChainReport(count, head_id, prev_hash, event_id, reason)
        count += 1
        prev_hash = str(row["hash"])
        head_id = event_id
    return ChainReport(count, head_id, prev_hash)
