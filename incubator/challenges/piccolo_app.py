from pathlib import Path

from piccolo.conf.apps import AppConfig

from incubator.challenges.tables import Challenge, ChallengeTag

APP_CONFIG = AppConfig(
    app_name="challenges",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Challenge, ChallengeTag],
    migration_dependencies=["incubator.accounts.piccolo_app"],
)
