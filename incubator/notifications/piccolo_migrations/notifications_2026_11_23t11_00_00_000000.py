"""Index unread notifications by recipient: every page shows the count in its header."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "partial index of unread notifications"


class Notification(Table, tablename="notification"):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(
        migration_id=ID, app_name="notifications", description=DESCRIPTION
    )

    async def create() -> None:
        await Notification.raw(
            "CREATE INDEX IF NOT EXISTS notification_unread ON notification (recipient) "
            "WHERE read_at IS NULL"
        )

    async def drop() -> None:
        await Notification.raw("DROP INDEX IF EXISTS notification_unread")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
