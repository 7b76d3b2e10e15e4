"""Apply every app's pending migrations (safe to run again: applied ones are skipped)."""

from __future__ import annotations

import contextlib
import io

from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.engine.sqlite import SQLiteEngine

from incubator.db.engines import enable_wal
from incubator.db.transactions import engine


class MigrationFailed(RuntimeError):
    pass


async def migrate(*, quiet: bool = True) -> None:
    db = engine()
    if isinstance(db, SQLiteEngine):
        enable_wal(db.path)
    output = io.StringIO()
    with contextlib.redirect_stdout(output) if quiet else contextlib.nullcontext():
        result = await run_forwards(app_name="all")
    if not result.success:
        raise MigrationFailed(result.message or output.getvalue())
