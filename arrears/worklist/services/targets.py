"""Setting targets: the head of collections (or an admin) for anyone; a team lead for their teams and
their members; nobody else. Setting the same person's (or team's) target for the same period and
start date again changes its amount (audited)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from arrears.audit.services import audit_record
from arrears.common.money import MoneyError, check_currency, parse_amount
from arrears.users.models import Role, Team
from arrears.worklist.errors import WorklistError, WorklistErrorCode
from arrears.worklist.models import Target, TargetPeriod, TargetScope


def target_may_set(*, actor: Any, user: Any = None, team: Team | None = None) -> bool:
    if actor is None or not actor.is_authenticated or actor.is_read_only:
        return False
    if actor.is_superuser or actor.role in (Role.HEAD, Role.ADMIN):
        return True
    if actor.role != Role.LEAD:
        return False
    if team is not None:
        return team.lead_id == actor.pk
    return user is not None and user.team_id is not None and Team.objects.filter(pk=user.team_id, lead=actor).exists()


@transaction.atomic
def target_set(
    *, actor: Any, scope: str, period: str, start_date: dt.date, amount: Decimal | str, currency: str,
    user: Any = None, team: Team | None = None,
) -> Target:
    if scope not in TargetScope.values:
        raise WorklistError(WorklistErrorCode.BAD_TARGET, f"scope: {scope!r} is not one of {', '.join(TargetScope.values)}")
    if period not in TargetPeriod.values:
        raise WorklistError(WorklistErrorCode.BAD_TARGET, f"period: {period!r} is not one of {', '.join(TargetPeriod.values)}")
    if scope == TargetScope.USER and (user is None or team is not None):
        raise WorklistError(WorklistErrorCode.BAD_TARGET, "user: a collector's target names the collector (and no team)")
    if scope == TargetScope.TEAM and (team is None or user is not None):
        raise WorklistError(WorklistErrorCode.BAD_TARGET, "team: a team's target names the team (and no collector)")
    try:
        currency = check_currency(currency)
        value = parse_amount(amount, currency)
    except MoneyError as exc:
        raise WorklistError(WorklistErrorCode.BAD_TARGET, f"amount: {exc}") from exc
    if value <= 0:
        raise WorklistError(WorklistErrorCode.BAD_TARGET, f"amount: must be positive, got {value}")
    if not target_may_set(actor=actor, user=user, team=team):
        who = team if team is not None else user
        raise WorklistError(WorklistErrorCode.TARGET_FORBIDDEN, f"you may not set targets for {who}")
    key = {"scope": scope, "period": period, "start_date": start_date, "user": user, "team": team}
    target = Target.objects.select_for_update().filter(**key).first()
    before = {"amount": str(target.amount), "currency": target.currency} if target else None
    if target is None:
        target = Target.objects.create(**key, amount=value, currency=currency, set_by=actor)
    else:
        target.amount, target.currency, target.set_by = value, currency, actor
        target.save(update_fields=["amount", "currency", "set_by", "updated_at"])
    audit_record(
        action="update" if before else "create", obj=target, before=before,
        after={"scope": scope, "who": str(user or team), "period": period, "start_date": start_date.isoformat(),
               "amount": str(value), "currency": currency},
        actor=actor,
    )
    return target
