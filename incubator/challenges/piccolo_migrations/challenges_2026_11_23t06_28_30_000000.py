"""One row per (challenge, tag): a composite unique index that works on both databases."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T06:28:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique challenge tags"


class ChallengeTag(Table, tablename="challenge_tag"):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="challenges", description=DESCRIPTION)

    async def create() -> None:
        await ChallengeTag.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS challenge_tag_uniq ON challenge_tag (challenge, tag)"
        )

    async def drop() -> None:
        await ChallengeTag.raw("DROP INDEX IF EXISTS challenge_tag_uniq")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
