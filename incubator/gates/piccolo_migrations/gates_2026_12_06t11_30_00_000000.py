"""Open rounds by deadline: what the scheduler's sweep reads on every pass.

The sweep asked for open rounds past their deadline through the index on closes_at,
which holds every round ever run: past ones are filtered out row by row, so a pass grew
with the history (100 ms at 82,000 rounds on PostgreSQL, every few seconds). The open
rounds are a handful; this index holds only them."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-06T11:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index of open rounds by deadline"

_NAME = "gate_round_open_closes_at"


class GateRound(Table, tablename="gate_round"):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="gates", description=DESCRIPTION)

    async def create() -> None:
        await GateRound.raw(
            f"CREATE INDEX IF NOT EXISTS {_NAME} ON gate_round (closes_at) WHERE status = 'open'"
        )

    async def drop() -> None:
        await GateRound.raw(f"DROP INDEX IF EXISTS {_NAME}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
