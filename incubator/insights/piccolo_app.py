from pathlib import Path

from piccolo.conf.apps import AppConfig

from incubator.insights.tables import Insight, InsightLink, InsightSeen

APP_CONFIG = AppConfig(
    app_name="insights",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Insight, InsightSeen, InsightLink],
    migration_dependencies=["incubator.accounts.piccolo_app"],
)
