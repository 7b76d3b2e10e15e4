"""`incubator serve | migrate | demo | createadmin | scheduler | backup | restore | audit`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
import signal
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any

from incubator.settings import SettingsError, get_settings


def _run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coroutine)


def cmd_migrate(_args: argparse.Namespace) -> int:
    from incubator.db.migrate import migrate
    from incubator.gates.pipelines import ensure_default_pipeline

    async def run() -> None:
        await migrate()
        await ensure_default_pipeline()

    _run(run())
    print("Database is up to date.")
    return 0


# Python's own event loop, not uvloop: under a full load uvloop served some connections
# far later than others (32 connections on the idea board: p99 810 ms against p50 78 ms;
# the bare-Litestar ceiling alike, 370 ms against 42 ms), where asyncio answers them in
# turn (p99 120-140 ms, the ceiling 60 ms) at the same throughput (bench/RESULTS.md).
EVENT_LOOP = "asyncio"


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE

    from incubator.serving import CoalescingHttpToolsProtocol, serve_workers

    if args.no_scheduler:
        os.environ["INCUBATOR_SCHEDULER"] = "off"  # read by every worker's settings
    settings = get_settings()
    config = uvicorn.Config(
        "incubator.app:create_app",
        factory=True,
        loop=EVENT_LOOP,
        http=CoalescingHttpToolsProtocol,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        forwarded_allow_ips=args.forwarded_allow_ips,
        timeout_graceful_shutdown=args.graceful_timeout,
        access_log=not settings.is_production,
    )
    if config.workers > 1:
        serve_workers(config)
        return 0
    server = uvicorn.Server(config)
    server.run()
    return 0 if server.started else STARTUP_FAILURE


def cmd_scheduler(args: argparse.Namespace) -> int:
    import logging

    from incubator.app import close_database, open_database
    from incubator.scheduler import run_forever, tick
    from incubator.subscribers import register_all

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    register_all()

    async def run() -> None:
        # SIGTERM (how a supervisor stops a process) and SIGINT (Ctrl-C, and a SIGINT that
        # a parent shell had set to be ignored) both end the loop the same way: the
        # lease is released, so another clock takes over at once.
        loop, main = asyncio.get_running_loop(), asyncio.current_task()
        assert main is not None
        for stop in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(stop, main.cancel)
        await open_database()
        try:
            if args.once:
                decided = await tick()
                print(f"{len(decided)} round(s) decided or extended.")
            else:
                await (run_forever(args.interval) if args.interval else run_forever())
        finally:
            await close_database()

    with contextlib.suppress(asyncio.CancelledError, KeyboardInterrupt):
        _run(run())
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from incubator.db.migrate import migrate
    from incubator.demo import DEMO_PASSWORD, seed_demo
    from incubator.subscribers import register_all

    register_all()

    async def run() -> list[tuple[str, str, str]]:
        await migrate()
        return await seed_demo()

    logins = _run(run())
    print(f"\nDemo company ready. Sign in with any of these (password: {DEMO_PASSWORD}):\n")
    for email, name, roles in logins:
        print(f"  {email:<34} {name:<22} {roles}")
    print()
    return 0


def cmd_createadmin(args: argparse.Namespace) -> int:
    from incubator.accounts.services import create_admin
    from incubator.db.migrate import migrate
    from incubator.errors import ValidationFailed

    interactive = sys.stdin.isatty()
    email = args.email or (input("Email: ") if interactive else "")
    name = args.name or (input("Name [Administrator]: ") if interactive else "") or "Administrator"
    password = args.password or (getpass.getpass("Password: ") if interactive else "")
    if not email or not password:
        print(
            "createadmin needs --email and --password when not run interactively.", file=sys.stderr
        )
        return 2

    async def run() -> None:
        await migrate()
        await create_admin(email=email, password=password, name=name)

    try:
        _run(run())
    except ValidationFailed as failed:
        for field, message in failed.errors.items():
            print(f"{field}: {message}", file=sys.stderr)
        return 1
    print(f"{email} is an administrator (every role).")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from incubator.db.backup import BackupError, backup

    try:
        summary = _run(backup(Path(args.file)))
    except (BackupError, OSError) as error:
        print(f"Backup failed: {error}", file=sys.stderr)
        return 1
    print(f"Backed up {summary.rows} rows from {len(summary.tables)} tables to {args.file}.")
    return 0


async def _rebuild_search_index() -> int:
    """Index every unmerged idea again (the index is engine-specific: a backup from the
    other engine does not carry one)."""
    from incubator.db.transactions import transaction
    from incubator.ideas import search
    from incubator.ideas.tables import Idea

    ideas = (
        await Idea.select(Idea.id, Idea.title, Idea.summary, Idea.description, Idea.tags)
        .where(Idea.merged_into.is_null())
        .run()
    )
    async with transaction():
        for idea in ideas:
            await search.index_idea(
                int(idea["id"]),
                title=idea["title"],
                summary=idea["summary"],
                body=idea["description"] + "\n" + " ".join(idea["tags"]),
            )
    return len(ideas)


def cmd_restore(args: argparse.Namespace) -> int:
    from incubator.db.backup import BackupError, restore
    from incubator.db.migrate import migrate

    async def run() -> int:
        await migrate()
        summary = await restore(Path(args.file), force=args.force)
        print(f"Restored {summary.rows} rows into {len(summary.tables)} tables from {args.file}.")
        if "idea_search" in summary.skipped:
            print(f"Rebuilt the search index for {await _rebuild_search_index()} ideas.")
        return 0

    try:
        code: int = _run(run())
    except (BackupError, OSError) as error:
        print(f"Restore refused: {error}", file=sys.stderr)
        return 1
    return code


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from incubator.db.audit import verify_chain

    report = _run(verify_chain(batch=args.batch))
    if report.ok:
        print(f"OK: {report.count} audit events, chain head #{report.head_id} {report.head_hash}.")
        return 0
    print(
        f"BROKEN at audit event #{report.broken_id}: {report.reason} "
        f"({report.count} events verified before it).",
        file=sys.stderr,
    )
    return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="incubator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the web portal")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY", "1")),
        help="worker processes (default: $WEB_CONCURRENCY, else 1); share state via REDIS_URL",
    )
    serve.add_argument(
        "--graceful-timeout",
        type=int,
        default=10,
        help="on SIGTERM, seconds to let requests in flight finish before closing them",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        help="proxies whose X-Forwarded-For is trusted (comma-separated, or *)",
    )
    serve.add_argument(
        "--no-scheduler",
        action="store_true",
        help="do not run the deadline loop here (a separate `incubator scheduler` does)",
    )
    serve.set_defaults(handler=cmd_serve)

    scheduler = commands.add_parser("scheduler", help="decide due gate rounds every minute")
    scheduler.add_argument("--once", action="store_true", help="one pass, then exit")
    scheduler.add_argument("--interval", type=float, help="seconds between passes (default 60)")
    scheduler.set_defaults(handler=cmd_scheduler)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(
        handler=cmd_migrate
    )
    commands.add_parser(
        "demo", help="migrate, then fill the database with a bilingual demo company"
    ).set_defaults(handler=cmd_demo)

    admin = commands.add_parser("createadmin", help="create (or promote) an administrator")
    admin.add_argument("--email")
    admin.add_argument("--password")
    admin.add_argument("--name")
    admin.set_defaults(handler=cmd_createadmin)

    backup = commands.add_parser(
        "backup", help="write a consistent, portable snapshot of the database to FILE"
    )
    backup.add_argument("file", metavar="FILE", help="the backup to write (gzip'd JSON lines)")
    backup.set_defaults(handler=cmd_backup)

    restore = commands.add_parser(
        "restore", help="migrate, then load a backup into this empty database"
    )
    restore.add_argument("file", metavar="FILE")
    restore.add_argument(
        "--force",
        action="store_true",
        help="replace whatever the database holds (in the same transaction as the restore)",
    )
    restore.set_defaults(handler=cmd_restore)

    audit = commands.add_parser("audit", help="audit log tools")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_commands.add_parser("verify", help="check the audit log's hash chain")
    verify.add_argument("--batch", type=int, default=1000, help="events read per query")
    verify.set_defaults(handler=cmd_audit_verify)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        code = args.handler(args)
    except SettingsError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        code = 2
    raise SystemExit(code)
