"""One "seen it too" per person and insight; one link per insight and subject."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T07:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "insight uniqueness"


class Insight(Table, tablename="insight"):
    pass


_INDEXES = {
    "insight_seen_uniq": "CREATE UNIQUE INDEX IF NOT EXISTS insight_seen_uniq "
    "ON insight_seen (insight, person)",
    "insight_link_uniq": "CREATE UNIQUE INDEX IF NOT EXISTS insight_link_uniq "
    "ON insight_link (insight, subject_type, subject_id)",
    "insight_link_subject": "CREATE INDEX IF NOT EXISTS insight_link_subject "
    "ON insight_link (subject_type, subject_id)",
}


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="insights", description=DESCRIPTION)

    async def create() -> None:
        for sql in _INDEXES.values():
            await Insight.raw(sql)

    async def drop() -> None:
        for name in _INDEXES:
            await Insight.raw(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
