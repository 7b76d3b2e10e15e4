"""Chain the audit events that exist already, in id order, then forbid forks (two
events linking to the same predecessor).

The append-only triggers refuse the backfill's UPDATEs, so they are lifted around it and
put back in this same transaction: if anything fails, the triggers were never gone.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

from incubator.db.audit import GENESIS, row_hash
from incubator.db.piccolo_migrations.core_2026_11_23t07_10_00_000000 import SQLITE_TRIGGERS

ID = "2026-12-02T05:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit hash chain backfill"

BATCH = 1000
COLUMNS = "id, actor_id, action, subject_type, subject_id, data, at"


class AuditEvent(Table, tablename="audit_event"):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def backfill() -> None:
        engine = engine_finder()
        assert engine is not None
        # The migration's own transaction: its connection streams and updates in batches.
        connection = engine.current_transaction.get().connection
        sqlite = engine.engine_type == "sqlite"
        if sqlite:
            for name in SQLITE_TRIGGERS:
                await connection.execute(f"DROP TRIGGER IF EXISTS {name}")
        else:
            await connection.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
        prev_hash, last_id = GENESIS, 0
        while True:
            if sqlite:
                rows = await connection.execute_fetchall(
                    f"SELECT {COLUMNS} FROM audit_event WHERE id > ? ORDER BY id LIMIT ?",
                    (last_id, BATCH),
                )
            else:
                rows = await connection.fetch(
                    f"SELECT {COLUMNS} FROM audit_event WHERE id > $1 ORDER BY id LIMIT $2",
                    last_id,
                    BATCH,
                )
            updates = []
            for row in rows:
                event_hash = row_hash(dict(row), prev_hash)
                updates.append((prev_hash, event_hash, row["id"]))
                prev_hash, last_id = event_hash, row["id"]
            if sqlite:
                await connection.executemany(
                    "UPDATE audit_event SET prev_hash = ?, hash = ? WHERE id = ?", updates
                )
            else:
                await connection.executemany(
                    "UPDATE audit_event SET prev_hash = $1, hash = $2 WHERE id = $3", updates
                )
            if len(rows) < BATCH:
                break
        if sqlite:
            for sql in SQLITE_TRIGGERS.values():
                await connection.execute(sql)
        else:
            await connection.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
        # Rows written without a link (prev_hash '') are not chained: verify reports them.
        await connection.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS audit_event_prev_hash_uniq "
            "ON audit_event (prev_hash) WHERE prev_hash <> ''"
        )

    async def drop() -> None:
        await AuditEvent.raw("DROP INDEX IF EXISTS audit_event_prev_hash_uniq")

    manager.add_raw(backfill)
    manager.add_raw_backwards(drop)
    return manager
