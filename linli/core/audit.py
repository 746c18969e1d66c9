"""Writing the audit log. Service functions call ``record`` inside their transaction."""

from __future__ import annotations

import contextvars
from typing import Any

from django.db import models

from .models import AuditAction, AuditEntry
from .pii import Secret

# The client address of the request being served (set by AuditContextMiddleware).
current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("linli_ip", default=None)


def client_ip(request) -> str | None:
    from django.conf import settings

    if settings.LINLI_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR") or None


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Secret):
        return value.masked  # never plaintext in the log
    if isinstance(value, models.Model):
        return str(value.pk)
    return str(value)


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The audited field values of ``obj``: concrete editable fields, PII masked."""
    exclude = set(getattr(obj, "audit_exclude", ()))
    data = {}
    for f in obj._meta.concrete_fields:
        if f.name in exclude or f.name.endswith("_bidx") or f.primary_key:
            continue
        data[f.name] = _jsonable(getattr(obj, f.attname))
    return data


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list]:
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def record(
    action: str,
    obj: models.Model | None = None,
    *,
    actor,
    changes: dict | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    actor_name: str = "",
) -> AuditEntry:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEntry.objects.create(
        actor=actor if is_user else None,
        actor_name=(actor.get_username() if is_user else actor_name)[:150],
        ip=current_ip.get(),
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        changes=changes or {},
    )


def record_create(obj, *, actor) -> AuditEntry:
    return record(AuditAction.CREATE, obj, actor=actor, changes={"after": snapshot(obj)})


def record_update(obj, before: dict, *, actor) -> AuditEntry | None:
    changed = diff(before, snapshot(obj))
    if not changed:
        return None
    return record(AuditAction.UPDATE, obj, actor=actor, changes=changed)


def record_delete(obj, before: dict, *, actor) -> AuditEntry:
    return record(AuditAction.DELETE, obj, actor=actor, changes={"before": before})
