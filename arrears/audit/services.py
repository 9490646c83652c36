from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from arrears.audit.context import current_actor
from arrears.audit.models import AuditEvent
from arrears.common.clock import now
from arrears.common.json import jsonable

# Secrets never enter the trail; timestamps are the event's own.
_NEVER_SNAPSHOT = frozenset({"created_at", "updated_at", "password", "last_login"})


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The concrete field values of a model instance, JSON-ready (FKs as ids)."""
    names = list(fields) if fields is not None else [f.attname for f in instance._meta.concrete_fields]
    return jsonable({n: getattr(instance, n) for n in names if n not in _NEVER_SNAPSHOT})


def audit_record(
    *,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    customer_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
    actor: Any = None,
) -> AuditEvent:
    user, label = current_actor()
    if actor is not None:
        user, label = actor, actor.get_username()
    return AuditEvent.objects.create(
        at=now(),
        actor=user,
        actor_label=label[:150],
        action=action,
        object_type=object_type or (obj._meta.label_lower if obj is not None else ""),
        object_id=str(object_id if object_id is not None else (obj.pk if obj is not None else "")),
        object_repr=str(obj)[:200] if obj is not None else "",
        customer_id=customer_id,
        before=before,
        after=after,
        note=note,
    )


def audit_record_change(*, obj: models.Model, before: dict[str, Any], customer_id: int | None, note: str = "") -> AuditEvent | None:
    """Record an update with only the fields that changed; nothing if nothing changed."""
    after = snapshot(obj, before.keys())
    changed = {k for k in before if before[k] != after.get(k)}
    if not changed:
        return None
    return audit_record(
        action="update",
        obj=obj,
        customer_id=customer_id,
        before={k: before[k] for k in sorted(changed)},
        after={k: after[k] for k in sorted(changed)},
        note=note,
    )
