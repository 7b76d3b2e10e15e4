"""Drop two indexes that others cover: every support write paid for them.

`idea.support_count` alone is covered by the keyset index on (support_count, id), and
`support.person` by the unique index on (person, idea). Each support moved both: a
support insert updated four indexes of `support`, and its counter update (never a HOT
update, since the count is indexed) every index of `idea`."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import ForeignKey, Integer

ID = "2026-12-04T23:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "drop the indexes on idea.support_count and support.person (covered)"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="ideas", description=DESCRIPTION)
    manager.alter_column(
        table_class_name="Idea",
        tablename="idea",
        column_name="support_count",
        db_column_name="support_count",
        params={"index": False},
        old_params={"index": True},
        column_class=Integer,
        old_column_class=Integer,
    )
    manager.alter_column(
        table_class_name="Support",
        tablename="support",
        column_name="person",
        db_column_name="person",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
    )
    return manager
