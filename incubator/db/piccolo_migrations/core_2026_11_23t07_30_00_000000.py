"""One run per job and period."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T07:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique job runs"


class JobRun(Table, tablename="job_run"):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def create() -> None:
        await JobRun.raw("CREATE UNIQUE INDEX IF NOT EXISTS job_run_uniq ON job_run (job, period)")

    async def drop() -> None:
        await JobRun.raw("DROP INDEX IF EXISTS job_run_uniq")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
