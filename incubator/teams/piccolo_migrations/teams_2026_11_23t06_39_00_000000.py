"""One pending join request per person and idea: a partial unique index (SQLite and
PostgreSQL both have them), so answered requests do not block asking again later."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T06:39:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one pending join request per person and idea"


class JoinRequest(Table, tablename="join_request"):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="teams", description=DESCRIPTION)

    async def create() -> None:
        await JoinRequest.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS join_request_pending_uniq "
            "ON join_request (idea, person) WHERE status = 'pending'"
        )

    async def drop() -> None:
        await JoinRequest.raw("DROP INDEX IF EXISTS join_request_pending_uniq")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
