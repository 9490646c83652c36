"""System checks: the dispute settings are well formed."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register

from arrears.disputes import conf
from arrears.disputes.models import DisputeReason


@register()
def check_dispute_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    for reason in DisputeReason.values:
        try:
            days = conf.sla_days(reason)
        except (TypeError, ValueError):
            days = -1
        if days < 0:
            errors.append(Error(f"ARREARS_DISPUTE_SLA_DAYS[{reason!r}] must be a whole number of days >= 0", id="disputes.E001"))
    try:
        if conf.attachment_max_bytes() <= 0:
            raise ValueError
    except (TypeError, ValueError):
        errors.append(Error("ARREARS_DISPUTE_ATTACHMENT_MAX_BYTES must be a positive number of bytes", id="disputes.E002"))
    return errors
