"""Back the database up into one portable file, and restore it into an empty database.

The file is gzip'd JSON lines: a header (format version, app version, source engine,
applied migrations, each table's columns and row count, the audit chain's head), then
every table's rows in dependency order (parents first), one JSON array per row, then
an end line. Values are written by column type (timestamps in ISO 8601, arrays as lists,
JSON as its text), so a SQLite backup restores into PostgreSQL and the other way round;
only the engine-specific raw tables (the full-text index) stay behind on a change of
engine, and the caller rebuilds them.

A consistent snapshot on both engines:
- SQLite: the sqlite3 backup API copies the live file into a private snapshot in one
  step (a WAL read transaction: writers go on, the copy is one moment's state); the
  export then reads only that snapshot.
- PostgreSQL: one `REPEATABLE READ READ ONLY` transaction reads every table, so all of
  them come from one snapshot. Chosen over `pg_dump`: it needs no client binary whose
  major version matches the server's, writes the same portable format as SQLite, and
  streams through a cursor. (SERIALIZABLE DEFERRABLE would only add protection against
  anomalies among serializable writers, which a read-only copy does not need, and may
  wait for a quiet moment.)

Restore writes into a migrated database whose applied migrations are exactly the
backup's, in one transaction: it refuses a database that has data unless told to
replace it (then the old rows are removed in the same transaction, so a failed restore
leaves them in place), inserts the rows with their ids, resets PostgreSQL's sequences,
and checks every table's count against the header. The audit log is inserted as is
(its triggers refuse only updates and deletes), so its hash chain survives.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from uuid import UUID

import asyncpg
from piccolo.apps.migrations.tables import Migration
from piccolo.columns import (
    JSON,
    JSONB,
    Array,
    Boolean,
    Bytea,
    Column,
    Date,
    ForeignKey,
    Interval,
    Numeric,
    Serial,
    Time,
    Timestamp,
    Timestamptz,
)
from piccolo.columns import UUID as UUIDColumn
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table, sort_table_classes

from incubator import __version__
from incubator.db.transactions import engine

FORMAT = "incubator-backup"
FORMAT_VERSION = 1
BATCH = 2000


class BackupError(RuntimeError):
    """A backup that cannot be written or restored; the message says why."""


@dataclass(frozen=True)
class TableSpec:
    """How one table is read and written: Piccolo tables by column type, raw tables
    (made by raw migrations) as text."""

    name: str
    columns: list[str]
    kinds: list[str]
    key: str  # what rows are ordered by
    raw: bool = False
    serial: str | None = None  # a PostgreSQL sequence to move past the restored ids
    self_references: list[str] = field(default_factory=list)
    casts: list[str] = field(default_factory=list)  # PostgreSQL types of a raw table

    def header(self, rows: int) -> dict[str, Any]:
        return {
            "name": self.name,
            "columns": self.columns,
            "kinds": self.kinds,
            "raw": self.raw,
            "rows": rows,
        }


@dataclass(frozen=True)
class Summary:
    engine: str
    tables: dict[str, int]
    skipped: list[str] = field(default_factory=list)  # raw tables left for the caller

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


_KINDS: list[tuple[type[Column], str]] = [
    (Timestamptz, "timestamptz"),
    (Timestamp, "timestamp"),
    (Date, "date"),
    (Time, "time"),
    (Interval, "interval"),
    (Numeric, "numeric"),
    (UUIDColumn, "uuid"),
    (Boolean, "bool"),
    (Array, "array"),
    (JSONB, "json"),
    (JSON, "json"),
    (Bytea, "bytes"),
]


def _kind(column: Column) -> str:
    for column_type, kind in _KINDS:
        if isinstance(column, column_type):
            return kind
    return "plain"


def piccolo_tables() -> list[type[Table]]:
    """Every table of the registered apps, parents before children."""
    from incubator.piccolo_conf import APP_REGISTRY

    tables = [table for app in APP_REGISTRY.app_configs.values() for table in app.table_classes]
    return sort_table_classes(tables)


def _spec(table: type[Table]) -> TableSpec:
    columns = table._meta.columns
    primary = table._meta.primary_key
    return TableSpec(
        name=table._meta.tablename,
        columns=[column._meta.db_column_name for column in columns],
        kinds=[_kind(column) for column in columns],
        key=primary._meta.db_column_name,
        serial=primary._meta.db_column_name if isinstance(primary, Serial) else None,
        self_references=[
            column._meta.db_column_name
            for column in columns
            if isinstance(column, ForeignKey)
            and column._foreign_key_meta.resolved_references is table
        ],
    )


def _known_tables() -> set[str]:
    return {table._meta.tablename for table in piccolo_tables()} | {Migration._meta.tablename}


# Values ------------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, list):
        return [_encode(item) for item in value]
    return value


def _decode(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "timestamptz":
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if kind == "timestamp":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "time":
        return time.fromisoformat(value)
    if kind == "interval":
        return timedelta(seconds=value)
    if kind == "numeric":
        return Decimal(value)
    if kind == "uuid":
        return UUID(value)
    if kind == "bool":
        return bool(value)
    if kind == "json":
        return value if isinstance(value, str) else json.dumps(value)
    if kind == "bytes":
        return base64.b64decode(value)
    return value


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# SQLite ------------------------------------------------------------------------------


def _sqlite_raw_specs(connection: sqlite3.Connection) -> list[TableSpec]:
    known = _known_tables()
    specs = []
    for row in connection.execute("PRAGMA table_list").fetchall():
        schema, name, kind = row[0], row[1], row[2]
        if schema != "main" or kind not in ("table", "virtual") or name.startswith("sqlite_"):
            continue
        if name in known:
            continue
        info = connection.execute(f'PRAGMA table_info("{name}")').fetchall()
        columns = [str(column[1]) for column in info]
        if kind == "virtual":  # FTS tables address their rows by rowid
            columns = ["rowid", *columns]
        specs.append(TableSpec(name, columns, ["plain"] * len(columns), key=columns[0], raw=True))
    return sorted(specs, key=lambda spec: spec.name)


def _sqlite_specs(connection: sqlite3.Connection) -> list[TableSpec]:
    return [_spec(table) for table in piccolo_tables()] + _sqlite_raw_specs(connection)


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f'"{name}"' if name != "rowid" else name for name in names)


def _select(spec: TableSpec) -> str:
    key = spec.key if spec.key == "rowid" else f'"{spec.key}"'
    return f'SELECT {_quoted(spec.columns)} FROM "{spec.name}" ORDER BY {key}'  # noqa: S608


def _migrations_sqlite(connection: sqlite3.Connection) -> list[list[str]]:
    rows = connection.execute("SELECT app_name, name FROM migration ORDER BY app_name, name")
    return [[str(app), str(name)] for app, name in rows.fetchall()]


def _sqlite_export(path: str, out: IO[str]) -> Summary:
    with tempfile.TemporaryDirectory(prefix="incubator-backup-") as scratch:
        snapshot = str(Path(scratch) / "snapshot.db")
        source = sqlite3.connect(path, timeout=30)
        target = sqlite3.connect(snapshot)
        try:
            source.backup(target)  # one step: a single read transaction on the live file
        finally:
            source.close()
            target.close()
        # Piccolo's converters (registered on import) type the values by declared type.
        connection = sqlite3.connect(snapshot, detect_types=sqlite3.PARSE_DECLTYPES)
        try:
            specs = _sqlite_specs(connection)
            counts = _sqlite_counts(connection, specs)
            head = connection.execute(
                "SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1"
            ).fetchone()
            _write_header(out, "sqlite", _migrations_sqlite(connection), specs, counts, head)
            for spec in specs:
                for row in connection.execute(_select(spec)):
                    out.write(_dumps([_encode(value) for value in row]) + "\n")
        finally:
            connection.close()
    _write_end(out, counts)
    return Summary("sqlite", counts)


def _sqlite_counts(connection: sqlite3.Connection, specs: list[TableSpec]) -> dict[str, int]:
    sql = 'SELECT count(*) FROM "{}"'
    return {
        spec.name: int(connection.execute(sql.format(spec.name)).fetchone()[0]) for spec in specs
    }


def _sqlite_clear(connection: sqlite3.Connection, specs: list[TableSpec]) -> None:
    """Remove every row, children first, lifting the tables' triggers meanwhile (the audit
    log refuses deletes) and putting them back: all inside the restore's transaction."""
    names = [spec.name for spec in specs]
    placeholders = ", ".join("?" for _ in names)
    triggers = connection.execute(
        "SELECT name, sql FROM sqlite_master "  # noqa: S608 - placeholders only
        f"WHERE type = 'trigger' AND tbl_name IN ({placeholders})",
        names,
    ).fetchall()
    for name, _sql in triggers:
        connection.execute(f'DROP TRIGGER "{name}"')
    for spec in reversed(specs):
        connection.execute(f'DELETE FROM "{spec.name}"')  # noqa: S608
    for _name, sql in triggers:
        connection.execute(sql)


def _sqlite_restore(path: str, reader: _Reader, *, force: bool) -> Summary:
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("BEGIN IMMEDIATE")  # nobody writes between the check and the end
        try:
            specs = _sqlite_specs(connection)
            _check_migrations(reader.header, _migrations_sqlite(connection))
            _check_tables(reader, specs)
            occupied = {name: n for name, n in _sqlite_counts(connection, specs).items() if n}
            if occupied and not force:
                raise _refusal(occupied)
            if occupied:
                _sqlite_clear(connection, specs)
            by_name = {spec.name: spec for spec in specs}
            skipped: list[str] = []
            for entry, rows in reader.tables():
                spec = by_name.get(entry["name"])
                if spec is None or (entry["raw"] and reader.header["engine"] != "sqlite"):
                    skipped.append(entry["name"])
                    for _row in rows:
                        pass
                    continue
                _sqlite_insert(connection, spec, entry, rows)
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    finally:
        connection.close()
    return Summary("sqlite", reader.counts(), skipped)


def _sqlite_insert(
    connection: sqlite3.Connection, spec: TableSpec, entry: dict[str, Any], rows: Iterator[Any]
) -> None:
    columns: list[str] = entry["columns"]
    later = [columns.index(name) for name in spec.self_references if name in columns]
    key = columns.index(spec.key)
    insert = (
        f'INSERT INTO "{spec.name}" ({_quoted(columns)}) '  # noqa: S608
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    links: list[tuple[str, Any, Any]] = []
    batch: list[list[Any]] = []
    for row in _typed(entry, rows):
        for index in later:  # a row may point at one restored after it: link afterwards
            if row[index] is not None:
                links.append((columns[index], row[index], row[key]))
                row[index] = None
        batch.append(row)
        if len(batch) >= BATCH:
            connection.executemany(insert, batch)
            batch = []
    connection.executemany(insert, batch)
    for column, value, row_key in links:
        connection.execute(
            f'UPDATE "{spec.name}" SET "{column}" = ? WHERE "{spec.key}" = ?',  # noqa: S608
            (value, row_key),
        )


# PostgreSQL --------------------------------------------------------------------------


async def _postgres_raw_specs(connection: asyncpg.Connection) -> list[TableSpec]:
    known = _known_tables()
    rows = await connection.fetch(
        "SELECT c.table_name, c.column_name, c.udt_name FROM information_schema.columns c "
        "JOIN information_schema.tables t ON t.table_name = c.table_name "
        "AND t.table_schema = c.table_schema "
        "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' "
        "ORDER BY c.table_name, c.ordinal_position"
    )
    columns: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        if row["table_name"] not in known:
            columns.setdefault(row["table_name"], []).append((row["column_name"], row["udt_name"]))
    return [
        TableSpec(
            name,
            [column for column, _type in pairs],
            ["plain"] * len(pairs),
            key=pairs[0][0],
            raw=True,
            casts=[udt for _column, udt in pairs],
        )
        for name, pairs in sorted(columns.items())
    ]


async def _postgres_specs(connection: asyncpg.Connection) -> list[TableSpec]:
    return [_spec(table) for table in piccolo_tables()] + await _postgres_raw_specs(connection)


def _postgres_select(spec: TableSpec) -> str:
    if not spec.raw:
        return _select(spec)
    # Raw tables travel as text (a tsvector has no other portable form).
    columns = ", ".join(f'"{name}"::text' for name in spec.columns)
    return f'SELECT {columns} FROM "{spec.name}" ORDER BY "{spec.key}"'  # noqa: S608


async def _migrations_postgres(connection: asyncpg.Connection) -> list[list[str]]:
    rows = await connection.fetch("SELECT app_name, name FROM migration ORDER BY app_name, name")
    return [[str(row["app_name"]), str(row["name"])] for row in rows]


async def _postgres_counts(
    connection: asyncpg.Connection, specs: list[TableSpec]
) -> dict[str, int]:
    return {
        spec.name: int(await connection.fetchval(f'SELECT count(*) FROM "{spec.name}"'))  # noqa: S608
        for spec in specs
    }


async def _postgres_export(dsn: str, out: IO[str]) -> Summary:
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            specs = await _postgres_specs(connection)
            counts = await _postgres_counts(connection, specs)
            head = await connection.fetchrow(
                "SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1"
            )
            migrations = await _migrations_postgres(connection)
            _write_header(out, "postgres", migrations, specs, counts, head)
            for spec in specs:
                async for record in connection.cursor(_postgres_select(spec), prefetch=BATCH):
                    out.write(_dumps([_encode(value) for value in record.values()]) + "\n")
    finally:
        await connection.close()
    _write_end(out, counts)
    return Summary("postgres", counts)


async def _postgres_restore(dsn: str, reader: _Reader, *, force: bool) -> Summary:
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            specs = await _postgres_specs(connection)
            names = ", ".join(f'"{spec.name}"' for spec in specs)
            # Writers wait until the restore ends; readers go on.
            await connection.execute(f"LOCK TABLE {names} IN EXCLUSIVE MODE")
            _check_migrations(reader.header, await _migrations_postgres(connection))
            _check_tables(reader, specs)
            counts = await _postgres_counts(connection, specs)
            occupied = {name: count for name, count in counts.items() if count}
            if occupied and not force:
                raise _refusal(occupied)
            if occupied:  # TRUNCATE fires no row triggers and is undone by a rollback
                await connection.execute(f"TRUNCATE {names} RESTART IDENTITY")
            by_name = {spec.name: spec for spec in specs}
            skipped: list[str] = []
            for entry, rows in reader.tables():
                spec = by_name.get(entry["name"])
                if spec is None or (entry["raw"] and reader.header["engine"] != "postgres"):
                    skipped.append(entry["name"])
                    for _row in rows:
                        pass
                    continue
                await _postgres_insert(connection, spec, entry, rows)
            for spec in specs:
                if spec.serial is not None:
                    await _reset_sequence(connection, spec.name, spec.serial)
    finally:
        await connection.close()
    return Summary("postgres", reader.counts(), skipped)


async def _reset_sequence(connection: asyncpg.Connection, table: str, column: str) -> None:
    """The next id after the largest restored one (or 1 for an empty table)."""
    sequence = await connection.fetchval(
        "SELECT pg_get_serial_sequence($1, $2)", f'"{table}"', column
    )
    await connection.execute(
        f'SELECT setval($1, COALESCE(max("{column}"), 1), max("{column}") IS NOT NULL) '  # noqa: S608
        f'FROM "{table}"',
        sequence,
    )


async def _postgres_insert(
    connection: asyncpg.Connection, spec: TableSpec, entry: dict[str, Any], rows: Iterator[Any]
) -> None:
    columns: list[str] = entry["columns"]
    if spec.raw:
        placeholders = ", ".join(
            f"CAST(CAST(${number} AS text) AS {cast})"
            for number, cast in enumerate(spec.casts, start=1)
        )
        insert = f'INSERT INTO "{spec.name}" ({_quoted(columns)}) VALUES ({placeholders})'  # noqa: S608
        await connection.executemany(insert, list(rows))
        return
    later = [columns.index(name) for name in spec.self_references if name in columns]
    key = columns.index(spec.key)
    links: list[tuple[Any, Any]] = []
    batch: list[tuple[Any, ...]] = []

    async def flush() -> None:
        if batch:
            await connection.copy_records_to_table(spec.name, records=batch, columns=columns)
            batch.clear()

    for row in _typed(entry, rows):
        for index in later:  # a row may point at one restored after it: link afterwards
            if row[index] is not None:
                links.append((columns[index], (row[index], row[key])))
                row[index] = None
        batch.append(tuple(row))
        if len(batch) >= BATCH:
            await flush()
    await flush()
    for column, arguments in links:
        await connection.execute(
            f'UPDATE "{spec.name}" SET "{column}" = $1 WHERE "{spec.key}" = $2',  # noqa: S608
            *arguments,
        )


# The file ----------------------------------------------------------------------------


def _write_header(
    out: IO[str],
    engine_name: str,
    migrations: list[list[str]],
    specs: list[TableSpec],
    counts: dict[str, int],
    head: Any,
) -> None:
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "app_version": __version__,
        "created_at": datetime.now(UTC).isoformat(),
        "engine": engine_name,
        "migrations": migrations,
        "audit_head": {"id": head[0], "hash": head[1]} if head else None,
        "tables": [spec.header(counts[spec.name]) for spec in specs],
    }
    out.write(_dumps(header) + "\n")


def _write_end(out: IO[str], counts: dict[str, int]) -> None:
    out.write(_dumps({"end": True, "rows": sum(counts.values())}) + "\n")


class _Reader:
    """Reads a backup file line by line: the header, then each table's rows."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        try:
            self.header: dict[str, Any] = json.loads(stream.readline())
        except (OSError, EOFError, ValueError) as error:
            raise BackupError(f"this is not an Incubator backup ({error})") from error
        if not isinstance(self.header, dict) or self.header.get("format") != FORMAT:
            raise BackupError("this is not an Incubator backup (no header)")
        if self.header.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                f"backup format {self.header.get('format_version')} is not supported "
                f"(this version reads format {FORMAT_VERSION})"
            )

    def counts(self) -> dict[str, int]:
        return {entry["name"]: int(entry["rows"]) for entry in self.header["tables"]}

    def _line(self) -> Any:
        try:
            line = self._stream.readline()
        except (OSError, EOFError) as error:
            raise BackupError(f"the backup file is damaged ({error})") from error
        if not line:
            raise BackupError("the backup file is truncated")
        return json.loads(line)

    def tables(self) -> Iterator[tuple[dict[str, Any], Iterator[Any]]]:
        """Each table's header entry and an iterator over exactly its rows; each iterator
        must be consumed before the next table."""
        for entry in self.header["tables"]:
            yield entry, (self._line() for _ in range(int(entry["rows"])))
        end = self._line()
        if not (isinstance(end, dict) and end.get("end")):
            raise BackupError("the backup file has more rows than its header says")


def _typed(entry: dict[str, Any], rows: Iterator[Any]) -> Iterator[list[Any]]:
    kinds: list[str] = entry["kinds"]
    for row in rows:
        yield [_decode(kind, value) for kind, value in zip(kinds, row, strict=True)]


def _check_migrations(header: dict[str, Any], applied: list[list[str]]) -> None:
    theirs = {tuple(item) for item in header["migrations"]}
    ours = {tuple(item) for item in applied}
    if theirs != ours:
        raise BackupError(
            "the backup's schema differs from this database's: "
            f"{len(theirs - ours)} migration(s) only in the backup, "
            f"{len(ours - theirs)} only here. Restore with the version that made it "
            f"({header.get('app_version')})."
        )


def _check_tables(reader: _Reader, specs: list[TableSpec]) -> None:
    ours = {spec.name for spec in specs if not spec.raw}
    theirs = {entry["name"] for entry in reader.header["tables"] if not entry["raw"]}
    if ours != theirs:
        raise BackupError(f"the backup's tables differ from this database's: {ours ^ theirs}")


def _refusal(occupied: dict[str, int]) -> BackupError:
    listed = ", ".join(f"{name} ({count})" for name, count in sorted(occupied.items()))
    return BackupError(
        f"the target database is not empty: {listed}. Restore into an empty database, or "
        "pass --force to replace everything in it (in one transaction)."
    )


# Entry points ------------------------------------------------------------------------


def _target() -> tuple[str, str]:
    db = engine()
    if isinstance(db, SQLiteEngine):
        return "sqlite", str(db.path)
    assert isinstance(db, PostgresEngine)
    return "postgres", str(db.config["dsn"])


async def backup(file: Path) -> Summary:
    """Write a consistent snapshot of the database to `file` (replaced only on success)."""
    kind, where = _target()
    partial = file.with_name(file.name + ".partial")
    try:
        with gzip.open(partial, "wt", encoding="utf-8") as out:
            if kind == "sqlite":
                summary = await asyncio.to_thread(_sqlite_export, where, out)
            else:
                summary = await _postgres_export(where, out)
        os.replace(partial, file)
    finally:
        partial.unlink(missing_ok=True)
    return summary


async def restore(file: Path, *, force: bool = False) -> Summary:
    """Load a backup into this (migrated) database; see the module's docstring."""
    kind, where = _target()
    try:
        with gzip.open(file, "rt", encoding="utf-8") as stream:
            reader = _Reader(stream)
            if kind == "sqlite":
                return await asyncio.to_thread(_sqlite_restore, where, reader, force=force)
            return await _postgres_restore(where, reader, force=force)
    except (gzip.BadGzipFile, EOFError, UnicodeDecodeError) as error:
        raise BackupError(f"the backup file is damaged ({error})") from error
