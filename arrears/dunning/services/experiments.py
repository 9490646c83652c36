"""Champion/challenger: compare the two arms of a segment rule's split (issue #3).

    experiments = experiment_list()                      # rules with a challenger, active or not
    report = experiment_report(rule=rule, start=date(2026, 3, 1), end=date(2026, 5, 31), currency="EUR")

**Population.** A customer belongs to the experiment when a run dated in the period recorded a
``DunningAction`` for it under the rule's champion strategy in arm 0 or under its challenger strategy
in arm 1 (each action carries ``arm`` and ``strategy_version``). Actions, not
``CustomerDunningState``, because the state only holds the latest night: an action is dated, so the
population is the period's, and it survives a later change of the rule. A customer whose actions show
both arms (the percentage or salt changed during the period) stays in the arm of its first action and
is counted in ``switched``. Customers the run never acted on in the period are not in the report.
When another active rule or the default also gives the champion strategy, its customers' arm-0
actions cannot be told apart from this rule's and the report says so in ``warnings``.

**Figures per arm**, in the reporting currency (each amount converted at the latest ``FxRate`` on or
before its day, exactly, rounded half-up to the currency's minor unit only at the end):
opening balance (debit documents issued before the start, less every allocation dated before it;
rate of the start day), new invoices (debit documents issued in the period; rate of the issue day),
cash collected (payment allocations dated in the period to those customers' documents; rate of the
allocation day), collected per customer, collection rate = collected / (opening + new invoices),
days to pay (debit documents that became paid in the period: ``closed_date`` minus ``due_date``),
touches (dispatched e-mails, letters and SMS of the run + calls logged in the worklist) and touches
per 1,000 units collected.

**Significance.** Welch's t-test (unequal variances) on the per-customer collection rate (points of
what was owed) and on the per-document days to pay, with the 95 % confidence interval of the
difference (challenger minus champion) and Mann-Whitney U as the robust check. Statistics are
computed in floats (scipy) from exact Decimal ratios; money never passes through a float.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import statistics
import warnings
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet, Sum

from arrears.common.money import MoneyError, check_currency, quantize
from arrears.dunning import hooks
from arrears.dunning.errors import DunningError, DunningErrorCode
from arrears.dunning.models import ActionStatus, DunningAction, SegmentRule, Strategy
from arrears.ledger.fx import FxRateMissing, FxTable
from arrears.ledger.models import (
    ZERO,
    Allocation,
    AllocationSource,
    Document,
    DocumentKind,
    DocumentStatus,
)
from arrears.users.models import Role

ARMS = ("champion", "challenger")
READERS = frozenset({Role.ADMIN, Role.HEAD, Role.LEAD, Role.AUDITOR})
MIN_PER_ARM = 5  # fewer observations than this in an arm: "not enough data", no test
SMALL_SAMPLE = 30  # below this per arm a "no difference" verdict says the sample is small
ALPHA = 0.05
CONTACT_CHANNELS = ("email", "letter", "sms")  # a dispatched call task is a task; the call itself is the touch
HUNDRED = Decimal(100)
THOUSAND = Decimal(1000)


def experiment_may_read(*, user: Any) -> bool:
    """The one gate for the pages and the API: admin, head of collections, team lead and auditor read
    experiments (they compare strategies across the portfolio); collectors do not."""
    return bool(user and user.is_authenticated and (user.is_superuser or user.role in READERS))


# ---------------------------------------------------------------------------------------------------
# Which experiments exist
# ---------------------------------------------------------------------------------------------------


def experiment_list() -> list[dict[str, Any]]:
    """Every segment rule with a challenger (active or not), with its arms' customer counts to date."""
    rules = list(
        SegmentRule.objects.filter(challenger__isnull=False).select_related("strategy", "challenger")
        .order_by("position", "id")
    )
    out = []
    for rule in rules:
        rows = (_actions_of(rule).order_by().values("arm")
                .annotate(customers=Count("customer_id", distinct=True), first=Min("as_of")))
        counts = {ARMS[r["arm"]]: r["customers"] for r in rows}
        firsts = [r["first"] for r in rows]
        out.append({
            **_rule_record(rule),
            "customers": {arm: counts.get(arm, 0) for arm in ARMS},
            "first_action": min(firsts) if firsts else None,
        })
    return out


def experiment_get(*, rule_id: int) -> SegmentRule:
    rule = SegmentRule.objects.select_related("strategy", "challenger").filter(pk=rule_id).first()
    if rule is None:
        raise DunningError(DunningErrorCode.INVALID_INPUT, f"rule: no segment rule with id {rule_id}", field="rule")
    if rule.challenger_id is None:
        raise DunningError(DunningErrorCode.INVALID_INPUT,
                           f"rule: segment rule {rule_id} ({rule.name}) has no challenger: it is not an experiment",
                           field="rule")
    return rule


def experiment_period_default(*, rule: SegmentRule, today: dt.date) -> tuple[dt.date, dt.date]:
    """From the first night that acted for the rule (else the rule's creation day) to ``today``."""
    first = _actions_of(rule).aggregate(first=Min("as_of"))["first"]
    start = first or rule.created_at.date()
    return min(start, today), today


def _rule_record(rule: SegmentRule) -> dict[str, Any]:
    challenger = rule.challenger
    assert challenger is not None
    return {
        "id": rule.pk,
        "name": rule.name,
        "active": rule.active,
        "position": rule.position,
        "champion": {"id": rule.strategy_id, "name": rule.strategy.name},
        "challenger": {"id": challenger.pk, "name": challenger.name},
        "challenger_percent": rule.challenger_percent,
        "salt": rule.salt,
    }


def _actions_of(rule: SegmentRule) -> QuerySet[DunningAction]:
    return DunningAction.objects.filter(
        Q(arm=0, strategy_version__strategy_id=rule.strategy_id)
        | Q(arm=1, strategy_version__strategy_id=rule.challenger_id)
    )


# ---------------------------------------------------------------------------------------------------
# FX: the ledger's table; a missing rate is a DunningError naming the currency field
# ---------------------------------------------------------------------------------------------------


class _Fx(FxTable):
    def rate(self, currency: str, on: dt.date) -> Decimal:
        try:
            return super().rate(currency, on)
        except FxRateMissing as exc:
            raise DunningError(DunningErrorCode.NO_FX_RATE, f"currency: {exc}", field="currency") from exc



# ---------------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class _Customer:
    arm: int
    opening: Decimal = ZERO
    new: Decimal = ZERO
    collected: Decimal = ZERO
    actions: int = 0
    calls: int = 0


def experiment_report(*, rule: SegmentRule, start: dt.date, end: dt.date, currency: str | None = None) -> dict[str, Any]:
    """Both arms of ``rule``'s split over [start, end], side by side, with the tests and a verdict."""
    if rule.challenger_id is None:
        raise DunningError(DunningErrorCode.INVALID_INPUT, f"rule: segment rule {rule.pk} has no challenger",
                           field="rule")
    if end < start:
        raise DunningError(DunningErrorCode.INVALID_INPUT,
                           f"to: {end.isoformat()} is before from {start.isoformat()}", field="to")
    actions = _actions_of(rule).filter(as_of__gte=start, as_of__lte=end)
    customers, switched = _population(actions)
    population = actions.values("customer_id")
    target = _reporting_currency(currency, population)
    fx = _Fx(target)

    opening_docs = (Document.objects.filter(customer_id__in=population, issue_date__lt=start)
                    .exclude(kind=DocumentKind.CREDIT_NOTE))
    for cid, cur, total in (opening_docs.order_by().values_list("customer_id", "currency")
                            .annotate(total=Sum("amount"))):
        customers[cid].opening += fx.convert(total, cur, start)
    for cid, cur, total in (Allocation.objects.filter(document__in=opening_docs, date__lt=start).order_by()
                            .values_list("document__customer_id", "document__currency").annotate(total=Sum("amount"))):
        customers[cid].opening -= fx.convert(total, cur, start)
    for cid, cur, day, total in (Document.objects.filter(customer_id__in=population, issue_date__gte=start,
                                                         issue_date__lte=end)
                                 .exclude(kind=DocumentKind.CREDIT_NOTE).order_by()
                                 .values_list("customer_id", "currency", "issue_date").annotate(total=Sum("amount"))):
        customers[cid].new += fx.convert(total, cur, day)
    for cid, cur, day, total in (Allocation.objects.filter(document__customer_id__in=population,
                                                           source=AllocationSource.PAYMENT,
                                                           date__gte=start, date__lte=end).order_by()
                                 .values_list("document__customer_id", "document__currency", "date")
                                 .annotate(total=Sum("amount"))):
        customers[cid].collected += fx.convert(total, cur, day)

    days: dict[int, list[int]] = {0: [], 1: []}
    for cid, due, closed in (Document.objects.filter(customer_id__in=population, status=DocumentStatus.PAID,
                                                     closed_date__gte=start, closed_date__lte=end)
                             .exclude(kind=DocumentKind.CREDIT_NOTE).values_list("customer_id", "due_date",
                                                                                  "closed_date")):
        days[customers[cid].arm].append((closed - due).days)

    for cid, n in (actions.filter(status=ActionStatus.DISPATCHED, channel__in=CONTACT_CHANNELS).order_by()
                   .values_list("customer_id").annotate(n=Count("id"))):
        customers[cid].actions += n
    calls_counted = _calls(customers, start, end)

    arms = [_arm_figures(arm, rule, customers, days[arm], target) for arm in (0, 1)]
    rate_samples = [[_rate_points(c) for c in customers.values() if c.arm == arm and c.opening + c.new > 0]
                    for arm in (0, 1)]
    tests = {
        "collection_rate": _compare(rate_samples[0], rate_samples[1], metric="collection rate", unit="points"),
        "days_to_pay": _compare([float(d) for d in days[0]], [float(d) for d in days[1]], metric="days to pay",
                                unit="days"),
    }
    warnings_ = _warnings(rule, switched, calls_counted)
    return {
        "rule": _rule_record(rule),
        "period": {"from": start, "to": end},
        "currency": target,
        "population": "customers with a dunning action in the period under the rule's champion (arm 0) "
                      "or challenger (arm 1) strategy",
        "switched": switched,
        "arms": arms,
        "tests": tests,
        "verdict": _verdict(tests),
        "warnings": warnings_,
        "fx_rates_used": {cur: [{"date": d, "rate": r} for d, r in sorted(used)] for cur, used in sorted(fx.used.items())},
    }


def _population(actions: QuerySet[DunningAction]) -> tuple[dict[int, _Customer], int]:
    """Each customer's arm (that of its first action in the period) and how many changed arms."""
    arms: dict[int, set[int]] = defaultdict(set)
    customers: dict[int, _Customer] = {}
    for cid, arm in actions.order_by("as_of", "id").values_list("customer_id", "arm"):
        arms[cid].add(arm)
        if cid not in customers:
            customers[cid] = _Customer(arm=arm)
    return customers, sum(1 for a in arms.values() if len(a) > 1)


def _reporting_currency(currency: str | None, population: QuerySet[Any]) -> str:
    if currency:
        try:
            return check_currency(currency)
        except MoneyError as exc:
            raise DunningError(DunningErrorCode.INVALID_INPUT, f"currency: {exc}", field="currency") from exc
    used = list(Document.objects.filter(customer_id__in=population).order_by().values_list("currency", flat=True)
                .distinct()[:2])
    return used[0] if len(used) == 1 else check_currency(settings.ARREARS_REPORTING_CURRENCY)


def _calls(customers: dict[int, _Customer], start: dt.date, end: dt.date) -> bool:
    """Calls logged in the period (business days in the company's zone), from the touch sources the
    apps above dunning register (the worklist's call log); without one, no calls."""
    if not hooks.has_touch_sources():
        return False
    zone = ZoneInfo(settings.TIME_ZONE)
    since = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    for cid, n in hooks.touches(customer_ids=list(customers), since=since, until=until).items():
        customers[cid].calls += n
    return True


def _rate_points(c: _Customer) -> float:
    # an exact Decimal ratio, handed to scipy as a float (a statistic, not money)
    return float(c.collected / (c.opening + c.new) * HUNDRED)


def _q(value: Decimal | float, places: str) -> Decimal:
    return (value if isinstance(value, Decimal) else Decimal(repr(value))).quantize(Decimal(places), ROUND_HALF_UP)


def _arm_figures(arm: int, rule: SegmentRule, customers: dict[int, _Customer], days: list[int],
                 currency: str) -> dict[str, Any]:
    mine = [c for c in customers.values() if c.arm == arm]
    strategy: Strategy | None = rule.strategy if arm == 0 else rule.challenger
    n = len(mine)
    opening = sum((c.opening for c in mine), ZERO)
    new = sum((c.new for c in mine), ZERO)
    collected = sum((c.collected for c in mine), ZERO)
    owed = opening + new
    actions = sum(c.actions for c in mine)
    calls = sum(c.calls for c in mine)
    touches = actions + calls
    figures: dict[str, Any] = {
        "arm": ARMS[arm],
        "strategy": {"id": strategy.pk, "name": strategy.name} if strategy else None,
        "customers": n,
        "opening_balance": quantize(opening, currency),
        "new_invoices": quantize(new, currency),
        "owed": quantize(owed, currency),
        "collected": quantize(collected, currency),
        "collected_per_customer": quantize(collected / n, currency) if n else None,
        "collection_rate": _q(collected / owed * HUNDRED, "0.01") if owed > 0 else None,
        "days_to_pay": {
            "documents": len(days),
            "mean": _q(Decimal(sum(days)) / len(days), "0.1") if days else None,
            "median": _q(Decimal(statistics.median(days)), "0.1") if days else None,
        },
        "touches": {"actions": actions, "calls": calls, "total": touches},
        "touches_per_1000": None,
        "notes": [],
    }
    if n == 0:
        figures["notes"].append("not enough data: no customer in this arm had a dunning action in the period")
    elif owed <= 0:
        figures["notes"].append("collection rate n/a: nothing was owed (no opening balance, no new invoices)")
    if collected > 0:
        # per 1,000 units of the reporting currency collected (exact, shown to 0.01)
        figures["touches_per_1000"] = _q(Decimal(touches) * THOUSAND / collected, "0.01")
    elif n:
        figures["notes"].append(f"touches per 1,000 {currency} collected n/a: no cash collected in the period")
    if not days and n:
        figures["notes"].append("days to pay n/a: no document became fully paid in the period")
    return figures


def _p(value: float) -> Decimal:
    """A p-value to three significant figures (exact enough to read, never a float in the output)."""
    return Decimal(f"{value:.3g}")


def _p_text(value: Decimal) -> str:
    return "p < 0.001" if value < Decimal("0.001") else f"p = {value:.3f}".rstrip("0").rstrip(".")


def _compare(champion: list[float], challenger: list[float], *, metric: str, unit: str) -> dict[str, Any]:
    n0, n1 = len(champion), len(challenger)
    out: dict[str, Any] = {
        "metric": metric, "unit": unit, "n": {"champion": n0, "challenger": n1},
        "mean": {"champion": _q(statistics.fmean(champion), "0.01") if n0 else None,
                 "challenger": _q(statistics.fmean(challenger), "0.01") if n1 else None},
        "difference": None, "ci95": None, "welch_t": None, "welch_df": None, "p_value": None,
        "mann_whitney_u": None, "mann_whitney_p": None, "significant": False, "enough_data": False,
    }
    if min(n0, n1) < MIN_PER_ARM:
        out["verdict"] = (f"not enough data for {metric}: {n0} champion and {n1} challenger observations "
                          f"(at least {MIN_PER_ARM} per arm are needed)")
        return out
    difference = statistics.fmean(challenger) - statistics.fmean(champion)
    out["difference"] = _q(difference, "0.01")
    if statistics.pvariance(champion) == 0 and statistics.pvariance(challenger) == 0:
        out["verdict"] = (f"not enough variation to test {metric}: every observation in each arm is the same "
                          f"(challenger {_signed(difference, unit)})")
        return out
    from scipy import stats  # imported here: scipy costs a second at start-up and only reports need it

    with warnings.catch_warnings():
        # near-constant samples make scipy warn about precision; the NaN check below handles them
        warnings.simplefilter("ignore", RuntimeWarning)
        welch = stats.ttest_ind(challenger, champion, equal_var=False)
        interval = welch.confidence_interval(confidence_level=0.95)
        mann_whitney = stats.mannwhitneyu(challenger, champion, alternative="two-sided")
    if math.isnan(float(welch.pvalue)):
        out["verdict"] = f"not enough variation to test {metric}"
        return out
    p = _p(float(welch.pvalue))
    out.update({
        "enough_data": True,
        "ci95": [_q(float(interval.low), "0.01"), _q(float(interval.high), "0.01")],
        "welch_t": _q(float(welch.statistic), "0.001"),
        "welch_df": _q(float(welch.df), "0.1"),
        "p_value": p,
        "mann_whitney_u": _q(float(mann_whitney.statistic), "0.1"),
        "mann_whitney_p": _p(float(mann_whitney.pvalue)),
        "significant": float(welch.pvalue) < ALPHA,
    })
    out["verdict"] = _sentence(out, difference, metric, unit)
    return out


def _signed(value: float, unit: str) -> str:
    return f"{'+' if value >= 0 else '−'}{abs(value):.1f} {unit}"


def _sentence(result: dict[str, Any], difference: float, metric: str, unit: str) -> str:
    p = _p_text(result["p_value"])
    n0, n1 = result["n"]["champion"], result["n"]["challenger"]
    size = f"n={n0} per arm" if n0 == n1 else f"n={n0} and {n1} per arm"
    if result["significant"]:
        if unit == "points":
            what = (f"challenger collects {abs(difference):.1f} points {'more' if difference > 0 else 'less'} "
                    "of what was owed")
        else:
            what = (f"challenger's documents are paid {abs(difference):.1f} days "
                    f"{'later' if difference > 0 else 'sooner'}")
        text = f"{what}; {p}, significant at 5%"
        if result["mann_whitney_p"] >= Decimal(str(ALPHA)):
            text += f" (the Mann-Whitney check is not: {_p_text(result['mann_whitney_p'])})"
        return text
    small = f"; {size} is small" if min(n0, n1) < SMALL_SAMPLE else f"; {size}"
    return f"no significant difference yet in {metric} (challenger {_signed(difference, unit)}; {p}{small})"


def _verdict(tests: dict[str, dict[str, Any]]) -> str:
    rate, days = tests["collection_rate"]["verdict"], tests["days_to_pay"]["verdict"]
    return f"Collection rate: {rate}. Days to pay: {days}."


def _warnings(rule: SegmentRule, switched: int, calls_counted: bool) -> list[str]:
    out = []
    shared = list(SegmentRule.objects.filter(active=True, strategy_id=rule.strategy_id).exclude(pk=rule.pk)
                  .values_list("name", flat=True))
    if shared:
        out.append(f"the champion strategy {rule.strategy.name!r} is also given by rule(s) {', '.join(shared)}: "
                   "their customers' actions count in the champion arm")
    if rule.strategy.is_default:
        out.append(f"the champion strategy {rule.strategy.name!r} is the default strategy: customers no rule "
                   "matches count in the champion arm")
    if switched:
        out.append(f"{switched} customer(s) changed arm during the period (the split's percentage or salt changed); "
                   "each counts in the arm of its first action")
    if not calls_counted:
        out.append("the worklist is not installed: calls are not counted as touches")
    return out


def experiment_rows(report: dict[str, Any]) -> list[list[Any]]:
    """The per-arm table as rows (header first): the CSV export and the CLI's text output."""
    header = ["arm", "strategy", "customers", f"opening_balance_{report['currency']}",
              f"new_invoices_{report['currency']}", f"collected_{report['currency']}", "collected_per_customer",
              "collection_rate_pct", "paid_documents", "days_to_pay_mean", "days_to_pay_median", "touches_actions",
              "touches_calls", "touches_total", f"touches_per_1000_{report['currency']}"]
    rows: list[list[Any]] = [header]
    for arm in report["arms"]:
        rows.append([
            arm["arm"], arm["strategy"]["name"] if arm["strategy"] else "", arm["customers"], arm["opening_balance"],
            arm["new_invoices"], arm["collected"], _blank(arm["collected_per_customer"]),
            _blank(arm["collection_rate"]), arm["days_to_pay"]["documents"], _blank(arm["days_to_pay"]["mean"]),
            _blank(arm["days_to_pay"]["median"]), arm["touches"]["actions"], arm["touches"]["calls"],
            arm["touches"]["total"], "n/a" if arm["touches_per_1000"] is None else arm["touches_per_1000"],
        ])
    return rows


def _blank(value: Any) -> Any:
    return "n/a" if value is None else value
