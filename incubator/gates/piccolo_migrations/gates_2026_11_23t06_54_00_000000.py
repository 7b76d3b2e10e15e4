"""One vote per peer and round, one seat per panel member, one open round per idea."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T06:54:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "gate uniqueness"


class GateRound(Table, tablename="gate_round"):
    pass


_INDEXES = {
    "vote_round_voter_uniq": "CREATE UNIQUE INDEX IF NOT EXISTS vote_round_voter_uniq "
    "ON vote (round, voter)",
    "panel_member_uniq": "CREATE UNIQUE INDEX IF NOT EXISTS panel_member_uniq "
    "ON panel_member (round, person)",
    "gate_round_open_uniq": "CREATE UNIQUE INDEX IF NOT EXISTS gate_round_open_uniq "
    "ON gate_round (idea) WHERE status = 'open'",
    "gate_round_idea_number": "CREATE INDEX IF NOT EXISTS gate_round_idea_number "
    "ON gate_round (idea, number)",
}


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="gates", description=DESCRIPTION)

    async def create() -> None:
        for sql in _INDEXES.values():
            await GateRound.raw(sql)

    async def drop() -> None:
        for name in _INDEXES:
            await GateRound.raw(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
