from pathlib import Path

from piccolo.conf.apps import AppConfig

from incubator.discussion.tables import Comment, Follow

APP_CONFIG = AppConfig(
    app_name="discussion",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Comment, Follow],
    migration_dependencies=["incubator.accounts.piccolo_app"],
)
