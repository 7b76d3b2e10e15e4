"""Comments counted in the idea row (filled by the next migration: Piccolo runs raw
steps before column changes)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-23T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "comment count in the row"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="ideas", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Idea",
        tablename="idea",
        column_name="comment_count",
        db_column_name="comment_count",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
