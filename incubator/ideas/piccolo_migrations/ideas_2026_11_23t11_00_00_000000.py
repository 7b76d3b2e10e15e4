"""Index the ideas still standing (not merged): the board counts and pages over them."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "partial index of unmerged ideas"


class Idea(Table, tablename="idea"):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="ideas", description=DESCRIPTION)

    async def create() -> None:
        await Idea.raw(
            "CREATE INDEX IF NOT EXISTS idea_unmerged ON idea (id) WHERE merged_into IS NULL"
        )

    async def drop() -> None:
        await Idea.raw("DROP INDEX IF EXISTS idea_unmerged")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
