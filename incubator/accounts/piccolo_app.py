from pathlib import Path

from piccolo.conf.apps import AppConfig

from incubator.accounts.tables import ApiToken, Department, Person, PersonSkill, Skill

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Department, Skill, Person, PersonSkill, ApiToken],
)
