"""Fill the idea rows' comment counts, and index the "most supported" keyset order."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T10:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "backfill comment counts; keyset index on supports"


class Idea(Table, tablename="idea"):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="ideas", description=DESCRIPTION)

    async def backfill_and_index() -> None:
        await Idea.raw(
            'UPDATE idea SET comment_count = (SELECT count(*) FROM "comment" '
            "WHERE \"comment\".subject_type = 'idea' AND \"comment\".subject_id = idea.id "
            'AND "comment".deleted_at IS NULL)'
        )
        await Idea.raw(
            "CREATE INDEX IF NOT EXISTS idea_support_count_id ON idea (support_count, id)"
        )

    async def drop_index() -> None:
        await Idea.raw("DROP INDEX IF EXISTS idea_support_count_id")

    manager.add_raw(backfill_and_index)
    manager.add_raw_backwards(drop_index)
    return manager
