"""One follow per person and subject; threads and followers read by subject."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T06:28:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique follows, subject indexes"


class Follow(Table, tablename="follow"):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="discussion", description=DESCRIPTION)

    async def create() -> None:
        await Follow.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS follow_uniq "
            "ON follow (person, subject_type, subject_id)"
        )
        await Follow.raw(
            "CREATE INDEX IF NOT EXISTS follow_subject ON follow (subject_type, subject_id)"
        )
        await Follow.raw(
            "CREATE INDEX IF NOT EXISTS comment_subject ON comment (subject_type, subject_id, id)"
        )

    async def drop() -> None:
        for index in ("comment_subject", "follow_subject", "follow_uniq"):
            await Follow.raw(f"DROP INDEX IF EXISTS {index}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
