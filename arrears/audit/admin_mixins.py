"""Admin edits are writes too: record them in the audit trail with before and after."""

from __future__ import annotations

from typing import Any

from arrears.audit.context import acting_as
from arrears.audit.services import audit_record, snapshot


class AuditedAdminMixin:
    """For ModelAdmin classes. `audit_customer_id(obj)` says which customer's trail the change belongs to."""

    def audit_customer_id(self, obj: Any) -> int | None:
        return getattr(obj, "customer_id", None)

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        before = snapshot(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else None
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        after = snapshot(obj)
        with acting_as(request.user):
            if before is None:
                audit_record(action="create", obj=obj, customer_id=self.audit_customer_id(obj), after=after, note="admin")
            else:
                changed = sorted(k for k in after if before.get(k) != after.get(k))
                if changed:
                    audit_record(
                        action="update", obj=obj, customer_id=self.audit_customer_id(obj),
                        before={k: before.get(k) for k in changed}, after={k: after[k] for k in changed}, note="admin",
                    )

    def delete_model(self, request: Any, obj: Any) -> None:
        before = snapshot(obj)
        customer_id = self.audit_customer_id(obj)
        label, pk, text = obj._meta.label_lower, obj.pk, str(obj)
        super().delete_model(request, obj)  # type: ignore[misc]
        with acting_as(request.user):
            audit_record(
                action="delete", object_type=label, object_id=pk, customer_id=customer_id, before=before,
                note=f"admin: {text}"[:200],
            )
