"""Uniqueness Piccolo cannot declare portably: case-insensitive email, one row per skill.

Plain `CREATE UNIQUE INDEX` works on SQLite and PostgreSQL alike (Piccolo's composite
`Unique` constraint emits `ALTER TABLE … ADD CONSTRAINT`, which SQLite rejects).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T06:18:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique email (any case) and person skills"


class Person(Table, tablename="person"):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def create_indexes() -> None:
        await Person.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS person_email_lower_uniq ON person (lower(email))"
        )
        await Person.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS person_skill_uniq ON person_skill (person, skill)"
        )

    async def drop_indexes() -> None:
        await Person.raw("DROP INDEX IF EXISTS person_email_lower_uniq")
        await Person.raw("DROP INDEX IF EXISTS person_skill_uniq")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
