"""PostgreSQL: new supports written by one function, `add_supports`, planned once.

A batch of supports (incubator.ideas.supports) was one prepared statement. PostgreSQL
planned it anew at every run while batches held fewer than about ten presses: for small
arrays its estimates favour a plan made for the values, and that planning cost 200-270 µs
of the database's CPU per batch (a batch of 7: 793 → 527 µs with the plan kept). Under
load on two workers batches hold 6-8 presses, so every batch paid it. A PL/pgSQL function
keeps its statement's plan for the session, and `plan_cache_mode` makes that plan the
generic one whatever the batch's size. The statement is the batch's, unchanged."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

ID = "2026-12-06T19:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "add_supports(): a batch of new supports in one planned statement (PostgreSQL)"

# Lock the live ideas in id order; add each (person, idea) that is not the author's and
# not there yet; move each counter by what was added to it; say which were added, at
# what count. One statement is atomic: the supports and the counters move together.
_CREATE = """
CREATE OR REPLACE FUNCTION add_supports(people integer[], ideas integer[], pressed_at timestamptz)
RETURNS TABLE (supporter integer, supported integer, supports integer)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $body$
BEGIN
    RETURN QUERY
    WITH wanted AS (
        SELECT * FROM unnest(people, ideas) AS wanted(person, idea)
    ), live AS (
        SELECT id, author FROM idea
        WHERE id = ANY(ideas) AND merged_into IS NULL
        ORDER BY id
        FOR UPDATE
    ), added AS (
        INSERT INTO support (person, idea, created_at)
        SELECT wanted.person, live.id, pressed_at
        FROM wanted JOIN live ON live.id = wanted.idea AND live.author <> wanted.person
        ON CONFLICT DO NOTHING
        RETURNING support.person, support.idea
    ), counted AS (
        UPDATE idea SET support_count = idea.support_count + added_to.supports
        FROM (SELECT added.idea, count(*) AS supports FROM added GROUP BY added.idea)
            AS added_to
        WHERE idea.id = added_to.idea
        RETURNING idea.id, idea.support_count
    )
    SELECT added.person, added.idea, counted.support_count
    FROM added JOIN counted ON counted.id = added.idea;
END
$body$
"""


class Idea(Table, tablename="idea"):
    pass


def _on_postgres() -> bool:
    engine = engine_finder()
    return engine is not None and engine.engine_type == "postgres"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="ideas", description=DESCRIPTION)

    async def create() -> None:
        if _on_postgres():
            await Idea.raw(_CREATE)

    async def drop() -> None:
        if _on_postgres():
            await Idea.raw("DROP FUNCTION IF EXISTS add_supports(integer[], integer[], timestamptz)")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
