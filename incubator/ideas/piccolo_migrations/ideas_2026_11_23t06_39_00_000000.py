"""A person is on an idea's team at most once."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T06:39:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique team membership"


class TeamMember(Table, tablename="team_member"):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="ideas", description=DESCRIPTION)

    async def create() -> None:
        await TeamMember.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS team_member_uniq ON team_member (idea, person)"
        )

    async def drop() -> None:
        await TeamMember.raw("DROP INDEX IF EXISTS team_member_uniq")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
