"""Piccolo's configuration: the engine from DATABASE_URL and the domain apps."""

from piccolo.conf.apps import AppRegistry

from incubator.db.engines import engine_for
from incubator.settings import get_settings

DB = engine_for(get_settings().database_url)

APP_REGISTRY = AppRegistry(
    apps=[
        "incubator.db.piccolo_app",
        "incubator.accounts.piccolo_app",
        "incubator.challenges.piccolo_app",
        "incubator.ideas.piccolo_app",
        "incubator.discussion.piccolo_app",
        "incubator.teams.piccolo_app",
        "incubator.gates.piccolo_app",
        "incubator.insights.piccolo_app",
        "incubator.notifications.piccolo_app",
    ]
)
