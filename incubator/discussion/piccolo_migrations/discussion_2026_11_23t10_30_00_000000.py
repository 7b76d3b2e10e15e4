"""Replies are fetched by their parent: index it (a thread read scanned every comment)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T10:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index comment replies by parent"


class Comment(Table, tablename="comment"):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="discussion", description=DESCRIPTION)

    async def create() -> None:
        await Comment.raw("CREATE INDEX IF NOT EXISTS comment_parent ON comment (parent, id)")

    async def drop() -> None:
        await Comment.raw("DROP INDEX IF EXISTS comment_parent")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
