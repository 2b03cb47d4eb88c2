from __future__ import annotations

from typing import Any

from django.db import models

from core.models import AuditEvent


def audit_log(
    *,
    actor: Any | None,
    action: str,
    target: models.Model | None = None,
    summary: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record that `actor` did `action` to `target`. Call it inside the service's transaction."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        summary=summary[:500],
        details=details or {},
    )
