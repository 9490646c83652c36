"""Calls logged by collectors, per customer: the worklist's touches for dunning's experiment report."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count

from arrears.worklist.models import CallLog


def calls_per_customer(*, customer_ids: list[int], since: dt.datetime, until: dt.datetime) -> dict[int, int]:
    rows = (CallLog.objects.filter(customer_id__in=customer_ids, at__gte=since, at__lt=until).order_by()
            .values_list("customer_id").annotate(n=Count("id")))
    return dict(rows)
