"""The migrations build exactly the schema the table classes describe."""

from __future__ import annotations

import pytest

from incubator.db.audit import record_event
from incubator.db.tables import AuditEvent
from incubator.db.transactions import engine, is_sqlite
from incubator.piccolo_conf import APP_REGISTRY
from tests.conftest import Run


async def _database_columns(table: str) -> set[str]:
    if is_sqlite():
        rows = await engine().run_ddl(f'PRAGMA table_info("{table}")')
        return {row["name"] for row in rows}
    from piccolo.querystring import QueryString

    rows = await engine().run_querystring(
        QueryString(
            "SELECT column_name FROM information_schema.columns WHERE table_name = {}", table
        )
    )
    return {row["column_name"] for row in rows}


def test_every_declared_column_exists_after_migrating(run: Run) -> None:
    missing = []
    for app in APP_REGISTRY.app_configs.values():
        for table in app.table_classes:
            columns = run(_database_columns(table._meta.tablename))
            for column in table._meta.columns:
                if column._meta.db_column_name not in columns:
                    missing.append(f"{table._meta.tablename}.{column._meta.db_column_name}")
    assert not missing, f"tables.py declares columns no migration creates: {missing}"


async def _index_names() -> set[str]:
    if is_sqlite():
        rows = await engine().run_ddl("SELECT name FROM sqlite_master WHERE type = 'index'")
        return {row["name"] for row in rows}
    rows = await engine().run_ddl("SELECT indexname AS name FROM pg_indexes")
    return {row["name"] for row in rows}


def test_the_uniqueness_guards_exist(run: Run) -> None:
    assert {"person_email_lower_uniq", "person_skill_uniq"} <= run(_index_names())


def test_the_audit_log_refuses_updates_and_deletes(run: Run) -> None:
    run(record_event(actor_id=None, action="test.event", subject_type="test", subject_id=1))
    for statement in (
        AuditEvent.update({AuditEvent.action: "rewritten"}).where(AuditEvent.id > 0),
        AuditEvent.delete().where(AuditEvent.id > 0),
    ):
        with pytest.raises(Exception, match="append-only"):
            run(statement.run())
    assert run(AuditEvent.select(AuditEvent.action).run()) == [{"action": "test.event"}]


@pytest.mark.skipif(is_sqlite(), reason="a PostgreSQL storage setting")
def test_ideas_and_supports_are_vacuumed_after_one_percent_of_changes(run: Run) -> None:
    async def options() -> dict[str, list[str]]:
        rows = await engine().run_ddl(
            "SELECT relname, reloptions FROM pg_class WHERE relname IN ('idea', 'support')"
        )
        return {row["relname"]: sorted(row["reloptions"] or []) for row in rows}

    tuned = ["autovacuum_analyze_scale_factor=0.01", "autovacuum_vacuum_scale_factor=0.01"]
    assert run(options()) == {"idea": tuned, "support": tuned}


def test_the_count_of_standing_ideas_reads_an_index(run: Run) -> None:
    """The board's capped count reads narrow index entries, not the ideas' rows: on SQLite
    the merged_into index (its planner passes over the partial index on the rowid); on
    PostgreSQL the partial index, with no merged_into index for every vote to update."""
    if is_sqlite():
        probe = "SELECT id FROM idea WHERE merged_into IS NULL LIMIT 1 OFFSET 1000"
        plan = run(engine().run_ddl(f"EXPLAIN QUERY PLAN {probe}"))
        assert any("COVERING INDEX idea_merged_into" in row["detail"] for row in plan), plan
        return
    rows = run(engine().run_ddl("SELECT indexname FROM pg_indexes WHERE tablename = 'idea'"))
    names = {row["indexname"] for row in rows}
    assert "idea_unmerged" in names
    assert "idea_merged_into" not in names
