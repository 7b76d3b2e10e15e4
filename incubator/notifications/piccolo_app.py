from pathlib import Path

from piccolo.conf.apps import AppConfig

from incubator.notifications.tables import Notification, NotificationPreference, OutboxMessage

APP_CONFIG = AppConfig(
    app_name="notifications",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Notification, NotificationPreference, OutboxMessage],
    migration_dependencies=["incubator.accounts.piccolo_app"],
)
