"""Uniqueness of supports and tags, and the full-text search index of ideas.

SQLite gets an FTS5 table (unicode61 tokenizer, diacritics removed); PostgreSQL a table
of tsvectors with a GIN index. Both are filled by incubator.ideas.search.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

ID = "2026-11-23T06:29:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique supports and tags, idea search index"


class Idea(Table, tablename="idea"):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="ideas", description=DESCRIPTION)

    async def create() -> None:
        await Idea.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS support_person_idea_uniq ON support (person, idea)"
        )
        await Idea.raw("CREATE UNIQUE INDEX IF NOT EXISTS idea_tag_uniq ON idea_tag (idea, tag)")
        engine = engine_finder()
        assert engine is not None
        if engine.engine_type == "sqlite":
            await Idea.raw(
                "CREATE VIRTUAL TABLE IF NOT EXISTS idea_search USING fts5("
                "title, summary, body, tokenize = 'unicode61 remove_diacritics 2')"
            )
        else:
            await Idea.raw(
                "CREATE TABLE IF NOT EXISTS idea_search ("
                "idea_id integer PRIMARY KEY REFERENCES idea (id) ON DELETE CASCADE, "
                "document tsvector NOT NULL)"
            )
            await Idea.raw(
                "CREATE INDEX IF NOT EXISTS idea_search_document ON idea_search USING gin (document)"
            )

    async def drop() -> None:
        await Idea.raw("DROP TABLE IF EXISTS idea_search")
        await Idea.raw("DROP INDEX IF EXISTS idea_tag_uniq")
        await Idea.raw("DROP INDEX IF EXISTS support_person_idea_uniq")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
