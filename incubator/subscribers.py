"""Every domain's event subscribers, registered by each process at start-up."""

from __future__ import annotations

from incubator.notifications import subscribers as notifications
from incubator.pipeline import subscribers as pipeline


def register_all() -> None:
    notifications.register()
    pipeline.register()
