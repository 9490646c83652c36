"""Targets and their progress: cash collected in the period on the portfolio, against the target.

Cash collected is the payment allocations dated in the period (up to `as_of`) on documents of the
customers whose collector is the person (or a member of the team) now. Each currency's total is
converted to the target's currency at the latest `FxRate` on or before the period's last counted day
(direct, inverse, or across a common quote currency); a currency with no rate is left out and named.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum

from arrears.common.money import quantize
from arrears.ledger.models import ZERO, Allocation, AllocationSource
from arrears.users.models import Role, Team, User
from arrears.worklist.models import Target, TargetPeriod, TargetScope
from arrears.worklist.selectors.risk import fx_rates_to, money_text


def period_end(*, period: str, start: dt.date) -> dt.date:
    if period == TargetPeriod.DAILY:
        return start
    if period == TargetPeriod.WEEKLY:
        return start + dt.timedelta(days=6)
    month0 = start.month  # the same day next month (clamped), less a day
    year, month = start.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1])) - dt.timedelta(days=1)


@dataclass
class Progress:
    target: Target
    start: dt.date
    end: dt.date
    collected: Decimal = ZERO
    by_currency: dict[str, Decimal] = field(default_factory=dict)
    missing_rates: list[str] = field(default_factory=list)

    @property
    def percent(self) -> int:
        if not self.target.amount:
            return 0
        return int((self.collected * 100 / self.target.amount).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    @property
    def bar_percent(self) -> int:
        return min(self.percent, 100)

    @property
    def remaining(self) -> Decimal:
        return max(self.target.amount - self.collected, ZERO)

    @property
    def text(self) -> str:
        t = self.target
        return f"{money_text(self.collected, t.currency)} of {money_text(t.amount, t.currency)} ({self.percent}%)"


def _collector_ids(target: Target) -> list[int]:
    if target.scope == TargetScope.USER:
        return [target.user_id]
    return list(User.objects.filter(team_id=target.team_id).values_list("pk", flat=True))


def target_progress(*, target: Target, as_of: dt.date) -> Progress:
    end = period_end(period=target.period, start=target.start_date)
    progress = Progress(target=target, start=target.start_date, end=end)
    last = min(end, as_of)
    if last < target.start_date:
        return progress
    rows = (
        Allocation.objects.filter(
            source=AllocationSource.PAYMENT, date__gte=target.start_date, date__lte=last,
            document__customer__collector_id__in=_collector_ids(target),
        )
        .order_by().values("currency").annotate(s=Sum("amount")).values_list("currency", "s")
    )
    progress.by_currency = {c: s for c, s in rows if s}
    rates = fx_rates_to(target=target.currency, currencies=progress.by_currency, on=last)
    total = ZERO
    for currency, amount in sorted(progress.by_currency.items()):
        rate = rates.get(currency)
        if rate is None:
            progress.missing_rates.append(currency)
            continue
        total += amount * rate
    progress.collected = quantize(total, target.currency)
    return progress


def target_list_current(*, as_of: dt.date, users: list[Any] | None = None, teams: list[Team] | None = None) -> QuerySet[Target]:
    """Targets whose period may contain `as_of` (filtered exactly by `targets_current`)."""
    q = Q()
    if users is not None:
        q |= Q(scope=TargetScope.USER, user__in=users)
    if teams is not None:
        q |= Q(scope=TargetScope.TEAM, team__in=teams)
    qs = Target.objects.filter(start_date__lte=as_of, start_date__gte=as_of - dt.timedelta(days=31))
    if users is not None or teams is not None:
        qs = qs.filter(q)
    return qs.select_related("user", "team", "set_by").order_by("period", "start_date", "id")


def targets_current(*, as_of: dt.date, users: list[Any] | None = None, teams: list[Team] | None = None) -> list[Progress]:
    out = []
    for target in target_list_current(as_of=as_of, users=users, teams=teams):
        if period_end(period=target.period, start=target.start_date) >= as_of:
            out.append(target_progress(target=target, as_of=as_of))
    return out


def target_list_visible(*, user: Any) -> QuerySet[Target]:
    """The gate for targets: head, admin and auditors see all; a lead their teams' and members';
    a collector their own and their team's."""
    qs = Target.objects.select_related("user", "team", "set_by")
    if user.sees_whole_portfolio:
        return qs
    if user.role == Role.LEAD:
        teams = Team.objects.filter(lead=user)
        return qs.filter(Q(team__in=teams) | Q(user__team__in=teams) | Q(user=user))
    return qs.filter(Q(user=user) | Q(team_id=user.team_id, team__isnull=False))


def teams_visible(*, user: Any) -> QuerySet[Team]:
    """Teams whose dashboard this user may open: all for head/admin/auditor, the ones they lead for a lead."""
    if user.sees_whole_portfolio:
        return Team.objects.all()
    if user.role == Role.LEAD:
        return Team.objects.filter(lead=user)
    return Team.objects.none()
