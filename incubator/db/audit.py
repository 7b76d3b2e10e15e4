"""The append-only audit log."""

from __future__ import annotations

from typing import Any

from incubator.db.tables import AuditEvent


async def record_event(
    *,
    actor_id: int | None,
    action: str,
    subject_type: str,
    subject_id: int | None,
    data: dict[str, Any] | None = None,
) -> None:
    """Append one event; call it inside the transaction of the change it describes."""
    await AuditEvent.insert(
        AuditEvent(
            actor_id=actor_id,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            data=data or {},
        )
    ).run()
