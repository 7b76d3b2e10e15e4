from pathlib import Path

from piccolo.conf.apps import AppConfig

from incubator.ideas.tables import Idea, IdeaTag, Support, TeamMember

APP_CONFIG = AppConfig(
    app_name="ideas",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Idea, IdeaTag, Support, TeamMember],
    migration_dependencies=["incubator.challenges.piccolo_app"],
)
