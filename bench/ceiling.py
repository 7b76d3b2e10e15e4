"""The ceiling for bench/run: the idea board's real template rendered by a bare Litestar
app from constant rows. No database, no middleware (no sessions, CSRF, compression or
locale negotiation), served by uvicorn with one worker as `incubator serve` is. What
the real board costs beyond this is the price of the database and the middleware.

    .venv/bin/python bench/ceiling.py --port 8100      # then GET /ideas
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from typing import Any

import uvicorn
from litestar import Litestar, Request, get
from litestar.response import Template
from litestar.utils.scope.state import ScopeState

from incubator.accounts.identity import Actor
from incubator.accounts.roles import ALL_ROLES
from incubator.cli import EVENT_LOOP
from incubator.db.pagination import DEFAULT_PER_PAGE, Page
from incubator.ideas.controllers import looking_names, sort_names
from incubator.ideas.queries import BoardFilters
from incubator.ideas.stages import STAGE_KEYS, stage_names, status_names
from incubator.settings import Settings
from incubator.web.templating import template_config

IDEAS_IN_DATA_SET = 100_000
# A token of the length CSRFMiddleware makes, so the three places showing it weigh the same.
CSRF_TOKEN = "0" * 64
BENCH_PERSON = Actor(
    id=1,
    name="Bench Person",
    email="bench@bench.example",
    locale="en",
    roles=frozenset(role.value for role in ALL_ROLES),
    department_id=1,
    unread=3,
)

_TOPICS = (
    "expense approvals",
    "customer onboarding",
    "field service visits",
    "supplier invoices",
    "warehouse picking",
    "contract renewals",
    "support tickets",
)
_FIXES = ("Shorten", "Automate", "Measure", "Simplify", "Share", "Pilot a faster way for")


def board_rows() -> list[dict[str, Any]]:
    """One page of cards shaped like `incubator.ideas.queries.idea_board`'s items."""
    now = datetime.now(UTC)
    rows = []
    for n in range(DEFAULT_PER_PAGE):
        topic = _TOPICS[n % len(_TOPICS)]
        created = now - timedelta(days=n * 3)
        blind = n % 9 == 4
        rows.append(
            {
                "id": IDEAS_IN_DATA_SET - n,
                "title": f"{_FIXES[n % len(_FIXES)]} {topic} for teams in region {n}",
                "summary": f"Today {topic} take days of back and forth between three teams. "
                "We would try one shared queue with a clear owner for a month, then compare "
                "the time to close and what people say about it.",
                "stage": STAGE_KEYS[n % len(STAGE_KEYS)],
                "status": "killed" if n % 11 == 7 else "active",
                "blind": blind,
                "revealed_at": None,
                "support_count": (n * 7) % 40,
                "created_at": created,
                "stage_entered_at": created + timedelta(days=1),
                "challenge_id": 1 + n % 5 if n % 3 == 0 else None,
                "challenge_title": f"How might we make {topic} painless?" if n % 3 == 0 else None,
                "author_id": None if blind else 1000 + n,
                "author_name": None if blind else f"Person {1000 + n}",
                "author_department": None if blind else f"Department {n % 12}",
                "identity_hidden": blind,
                "on_team": False,
                "is_mine": False,
                "tags": [topic.split()[0], f"region-{n % 4}"],
                "supported": n % 4 == 0,
                "comment_count": (n * 5) % 13,
            }
        )
    return rows


ROWS = board_rows()


@get("/ideas")
async def board(request: Request[Any, Any, Any]) -> Template:
    """The board's first page, with the same context the real handler renders."""
    ScopeState.from_scope(request.scope).csrf_token = CSRF_TOKEN
    context = {
        "me": BENCH_PERSON,
        "results": Page(items=ROWS, page=1, per_page=DEFAULT_PER_PAGE, total=IDEAS_IN_DATA_SET),
        "filters": BoardFilters(),
        "sort_names": sort_names(),
        "looking": "",
        "looking_names": looking_names(),
        "stage_names": stage_names(),
        "status_names": status_names(),
        "stage_keys": STAGE_KEYS,
        "challenge_title": None,
    }
    return Template(template_name="ideas/board.html.jinja2", context=context)


def create_ceiling_app() -> Litestar:
    settings = Settings()
    return Litestar(
        route_handlers=[board],
        template_config=template_config(
            settings.templates_dir, settings.static_dir, auto_reload=False
        ),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args()
    uvicorn.run(
        create_ceiling_app(),
        loop=EVENT_LOOP,  # as `incubator serve` runs
        host=args.host,
        port=args.port,
        workers=1,
        proxy_headers=True,
        timeout_graceful_shutdown=5,
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
