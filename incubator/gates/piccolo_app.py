from pathlib import Path

from piccolo.conf.apps import AppConfig

from incubator.gates.tables import Criterion, Gate, GateRound, PanelMember, Pipeline, Stage, Vote

APP_CONFIG = AppConfig(
    app_name="gates",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Pipeline, Stage, Gate, Criterion, GateRound, PanelMember, Vote],
    migration_dependencies=["incubator.ideas.piccolo_app"],
)
