"""One preference per person and kind."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T07:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique notification preferences"


class NotificationPreference(Table, tablename="notification_preference"):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)

    async def create() -> None:
        await NotificationPreference.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS notification_preference_uniq "
            "ON notification_preference (person, kind)"
        )

    async def drop() -> None:
        await NotificationPreference.raw("DROP INDEX IF EXISTS notification_preference_uniq")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
