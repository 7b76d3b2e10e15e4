from pathlib import Path

from piccolo.conf.apps import AppConfig

from incubator.db.tables import AuditEvent, JobRun, Lease

APP_CONFIG = AppConfig(
    app_name="core",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[AuditEvent, JobRun, Lease],
)
