"""The audit log is append-only in the database itself: updates and deletes are refused."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

ID = "2026-11-23T07:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "append-only audit log"

SQLITE_TRIGGERS = {
    "audit_event_no_update": "CREATE TRIGGER IF NOT EXISTS audit_event_no_update "
    "BEFORE UPDATE ON audit_event BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
    "audit_event_no_delete": "CREATE TRIGGER IF NOT EXISTS audit_event_no_delete "
    "BEFORE DELETE ON audit_event BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
}
POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only';
END;
$$ LANGUAGE plpgsql
"""
POSTGRES_TRIGGER = (
    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
)


class AuditEvent(Table, tablename="audit_event"):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        assert engine is not None
        if engine.engine_type == "sqlite":
            for sql in SQLITE_TRIGGERS.values():
                await AuditEvent.raw(sql)
        else:
            await AuditEvent.raw(POSTGRES_FUNCTION)
            await AuditEvent.raw("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
            await AuditEvent.raw(POSTGRES_TRIGGER)

    async def drop() -> None:
        engine = engine_finder()
        assert engine is not None
        if engine.engine_type == "sqlite":
            for name in SQLITE_TRIGGERS:
                await AuditEvent.raw(f"DROP TRIGGER IF EXISTS {name}")
        else:
            await AuditEvent.raw("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
            await AuditEvent.raw("DROP FUNCTION IF EXISTS audit_event_append_only()")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
