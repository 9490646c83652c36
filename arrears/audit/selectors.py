from __future__ import annotations

from django.db.models import QuerySet

from arrears.audit.models import AuditEvent


def audit_event_list(*, customer_id: int | None = None, object_type: str | None = None) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.select_related("actor")
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if object_type:
        qs = qs.filter(object_type=object_type)
    return qs
