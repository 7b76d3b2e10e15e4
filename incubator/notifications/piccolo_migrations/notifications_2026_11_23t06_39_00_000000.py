"""A person's notifications are read newest first, unread ones counted often."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T06:39:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "notification inbox index"


class Notification(Table, tablename="notification"):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)

    async def create() -> None:
        await Notification.raw(
            "CREATE INDEX IF NOT EXISTS notification_inbox ON notification (recipient, read_at, id)"
        )

    async def drop() -> None:
        await Notification.raw("DROP INDEX IF EXISTS notification_inbox")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
