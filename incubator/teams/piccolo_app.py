from pathlib import Path

from piccolo.conf.apps import AppConfig

from incubator.teams.tables import JoinRequest, RoleWanted

APP_CONFIG = AppConfig(
    app_name="teams",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[RoleWanted, JoinRequest],
    migration_dependencies=["incubator.ideas.piccolo_app"],
)
