"""The Litestar application: plugins, routes, templates, stores and the database lifecycle."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Router
from litestar.config.app import AppConfig
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader
from litestar.logging.config import LoggingConfig
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.flash import FlashConfig, FlashPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router
from piccolo.engine.postgres import PostgresEngine

from incubator import __version__
from incubator.accounts.controllers import (
    AdminPeopleController,
    AuthController,
    PeopleController,
    ProfileController,
)
from incubator.accounts.tokens import actor_for_token
from incubator.audit.controllers import audit_log
from incubator.challenges.api import ChallengeApiController
from incubator.challenges.controllers import ChallengeController
from incubator.db.engines import IncubatorSQLiteEngine, enable_wal
from incubator.db.transactions import engine
from incubator.discussion.controllers import CommentController
from incubator.gates.controllers import GateController
from incubator.gates.pipeline_controllers import ChallengePipelineController, PipelineController
from incubator.gates.pipelines import ensure_default_pipeline
from incubator.home.controllers import home
from incubator.ideas.api import IdeaApiController
from incubator.ideas.controllers import IdeaController
from incubator.insights.controllers import InsightController
from incubator.notifications.controllers import NotificationController
from incubator.notifications.queries import signed_in_actor
from incubator.pipeline.controllers import (
    LeadershipController,
    PeopleAnalyticsController,
    PipelineDashboardController,
)
from incubator.scheduler import scheduler_lifespan
from incubator.settings import Settings, get_settings
from incubator.subscribers import register_all
from incubator.teams.controllers import TeamController
from incubator.web.auth import session_auth
from incubator.web.errors import EXCEPTION_HANDLERS
from incubator.web.flood_guard import FloodGuardMiddleware
from incubator.web.forms import refuse_what_the_database_cannot_hold
from incubator.web.health import healthz
from incubator.web.identities import IdentityCache
from incubator.web.live import LiveSignalsMiddleware, channels_plugin, live_events
from incubator.web.locale import LocaleMiddleware
from incubator.web.query_count import QueryCountMiddleware
from incubator.web.security import SecurityHeadersMiddleware
from incubator.web.stores import build_stores
from incubator.web.templating import template_config

logger = logging.getLogger("incubator")

# Paths whose POSTs are flood-guarded per client address (on top of the per-account
# failure throttle): credential stuffing tries many emails from one place.
_AUTH_POSTS = {"/login", "/register"}


async def open_database() -> None:
    settings = get_settings()
    db = engine()
    if isinstance(db, PostgresEngine):
        # Connections open on demand (while the database is down nothing retries in the
        # background) and idle ones close: incubator.db.pg_pool.
        await db.start_connection_pool(max_size=settings.db_pool_size)
    elif isinstance(db, IncubatorSQLiteEngine):
        enable_wal(settings.sqlite_path)
        await db.start_connection_pool()
    await ensure_default_pipeline()


async def close_database() -> None:
    db = engine()
    if isinstance(db, PostgresEngine | IncubatorSQLiteEngine):
        await db.close_connection_pool()


@asynccontextmanager
async def database_lifespan(_app: Litestar) -> AsyncIterator[None]:
    """The pools, open before anything else starts (the scheduler's first pass runs at
    once) and closed after everything else has stopped."""
    await open_database()
    try:
        yield
    finally:
        await close_database()


@asynccontextmanager
async def settled_heap(_app: Litestar) -> AsyncIterator[None]:
    """Once the app has started, put what it loaded (modules, templates, tables, pools)
    out of the garbage collector's sight. Each full collection walked those objects
    again; under load they were the slowest pages: the board's p99 at 32 connections
    went from 140 to 90 ms with them frozen."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


async def _is_auth_post(request: Any) -> bool:
    """Async on purpose: Litestar runs a sync check in a thread, for every request."""
    return request.method == "POST" and request.url.path in _AUTH_POSTS


def count_queries_outermost(app_config: AppConfig) -> AppConfig:
    app_config.middleware.insert(0, QueryCountMiddleware())
    return app_config


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    register_all()
    templates = template_config(
        settings.templates_dir, settings.static_dir, auto_reload=not settings.is_production
    )
    auth = session_auth(
        IdentityCache(signed_in_actor), actor_for_token, secure_cookies=settings.secure_cookies
    )
    rate_limit = RateLimitConfig(
        rate_limit=("minute", settings.auth_posts_per_minute),
        store="rate-limit",
        check_throttle_handler=_is_auth_post,
        middleware_class=FloodGuardMiddleware,
    )
    return Litestar(
        route_handlers=[
            # Pages: people's HTML, kept out of the API schema.
            Router(
                path="/",
                include_in_schema=False,
                route_handlers=[
                    home,
                    healthz,
                    AuthController,
                    ProfileController,
                    PeopleController,
                    AdminPeopleController,
                    ChallengeController,
                    IdeaController,
                    InsightController,
                    NotificationController,
                    live_events,
                    CommentController,
                    TeamController,
                    GateController,
                    PipelineController,
                    ChallengePipelineController,
                    audit_log,
                    LeadershipController,
                    PeopleAnalyticsController,
                ],
            ),
            # /pipeline (a page) and /api/v1/pipeline share their filters.
            PipelineDashboardController,
            IdeaApiController,
            ChallengeApiController,
            create_static_files_router(
                path="/static",
                directories=[settings.static_dir],
                opt={"public": True},
                include_in_schema=False,
                # Pages link assets through static_url(), whose hash changes with the file.
                cache_control=CacheControlHeader(max_age=31_536_000, public=True, immutable=True)
                if settings.is_production
                else CacheControlHeader(no_cache=True),
            ),
        ],
        # Counting runs outermost, so the session and sign-in lookups are counted too.
        on_app_init=[auth.on_app_init]
        + ([] if settings.is_production else [count_queries_outermost]),
        plugins=[
            HTMXPlugin(),
            FlashPlugin(FlashConfig(template_config=templates)),
            channels_plugin(settings.redis_url),
        ],
        template_config=templates,
        # Pages and lists shrink several times over gzip; level 5 keeps the CPU cost small.
        # The live stream stays uncompressed so each event reaches the browser at once.
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=1024, gzip_compress_level=5, exclude="^/events"
        ),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_secure=settings.secure_cookies,
            cookie_samesite="lax",
        ),
        middleware=[
            SecurityHeadersMiddleware(hsts=settings.secure_cookies),
            LocaleMiddleware(),
            LiveSignalsMiddleware(),
            rate_limit.middleware,
        ],
        stores=build_stores(settings),
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=refuse_what_the_database_cannot_hold,
        lifespan=[
            database_lifespan,
            *([scheduler_lifespan] if settings.run_scheduler else []),
            settled_heap,
        ],
        openapi_config=OpenAPIConfig(
            title="Incubator",
            version=__version__,
            path="/schema",
            render_plugins=[JsonRenderPlugin()],
            description="Read the portal as a signed-in person: with the session cookie, or "
            "with a personal token from the profile page in `Authorization: Bearer <token>`.",
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(
                        type="http", scheme="bearer", description="A personal API token."
                    )
                }
            ),
            security=[{"BearerToken": []}],
        ),
        request_max_body_size=settings.max_body_bytes,
        logging_config=LoggingConfig(
            log_exceptions="never",  # our 500 handler logs tracebacks; 401s and 404s are not errors
            loggers={
                "incubator": {"level": "INFO", "handlers": ["queue_listener"], "propagate": False}
            },
        ),
        debug=False,
    )
