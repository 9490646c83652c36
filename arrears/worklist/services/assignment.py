"""Assignment rules: which collector gets each customer.

Rules are tried by `order`; the first active rule whose conditions all match decides. A rule names
one collector, or a team whose active collectors take new customers in turn (round-robin, the
position kept on the rule). A customer already with a member of the rule's team stays with them, so
running the rules again moves nobody. Changes go through `ledger.services.customer_update`, so each
one is in the customer's audit trail (and on its timeline as an assignment change).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum

from arrears.audit.context import acting_as
from arrears.common.clock import today
from arrears.ledger.models import ZERO, Contact, Customer, Document, DocumentKind
from arrears.ledger.services import customer_update
from arrears.users.models import Role, User
from arrears.worklist.models import AssignmentRule
from arrears.worklist.selectors import fx_rates_to


@dataclass
class AssignmentChange:
    customer_id: int
    customer: str
    rule: str
    from_user: str | None
    to_user: str


@dataclass
class AssignmentResult:
    dry_run: bool
    checked: int = 0
    matched: int = 0
    changes: list[AssignmentChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run, "checked": self.checked, "matched": self.matched, "changed": len(self.changes),
            "changes": [vars(c) for c in self.changes], "warnings": self.warnings,
        }


def _matches(rule: AssignmentRule, row: dict[str, Any], region: str, balance: Decimal | None) -> bool:
    if rule.segments and row["segment"] not in rule.segments:
        return False
    if rule.countries and row["country"].upper() not in {c.upper() for c in rule.countries}:
        return False
    if rule.regions and region not in rule.regions:
        return False
    if rule.languages and row["language"] not in rule.languages:
        return False
    if rule.business_units and row["business_unit__code"] not in rule.business_units:
        return False
    if rule.min_amount is not None or rule.max_amount is not None:
        if balance is None:
            return False
        if rule.min_amount is not None and balance < rule.min_amount:
            return False
        if rule.max_amount is not None and balance > rule.max_amount:
            return False
    return True


def assignment_apply(*, dry_run: bool = True, actor: Any = None) -> AssignmentResult:
    """Apply the active rules to every customer. With dry_run nothing is written (the answer is the same)."""
    result = AssignmentResult(dry_run=dry_run)
    rules = list(AssignmentRule.objects.filter(active=True).select_related("collector", "team").order_by("order", "id"))
    if not rules:
        return result
    as_of = today()
    rows = list(Customer.objects.values("pk", "name", "segment", "country", "language", "business_unit__code", "collector_id"))
    result.checked = len(rows)
    regions = dict(Contact.objects.filter(is_primary=True).order_by("customer_id", "id").values_list("customer_id", "region"))
    balances: dict[int, dict[str, Decimal]] = defaultdict(dict)
    if any(r.min_amount is not None or r.max_amount is not None for r in rules):
        for customer_id, currency, total in _open_balances():
            balances[customer_id][currency] = total
    currencies = {c for per in balances.values() for c in per}
    rates = {r.amount_currency: fx_rates_to(target=r.amount_currency, currencies=currencies, on=as_of) for r in rules}
    converted: dict[str, dict[int, Decimal | None]] = {}
    members: dict[int, list[User]] = {}
    positions = {r.pk: r.next_index for r in rules}
    names = dict(User.objects.values_list("pk", "username"))
    planned: list[tuple[int, int]] = []
    for row in rows:
        for rule in rules:
            balance = None
            if rule.min_amount is not None or rule.max_amount is not None:
                per = converted.setdefault(rule.amount_currency, {})
                if row["pk"] not in per:
                    per[row["pk"]] = _convert(balances.get(row["pk"], {}), rule.amount_currency, rates[rule.amount_currency],
                                              result.warnings)
                balance = per[row["pk"]]
            if not _matches(rule, row, regions.get(row["pk"], "") or "", balance):
                continue
            result.matched += 1
            if rule.collector_id is not None:
                to_id = rule.collector_id
            else:
                team = members.setdefault(rule.team_id, list(
                    User.objects.filter(team_id=rule.team_id, is_active=True, role=Role.COLLECTOR).order_by("username")
                ))
                if not team:
                    result.warnings.append(f"rule {rule.name}: team {rule.team} has no active collectors")
                    break
                if row["collector_id"] in {m.pk for m in team}:
                    break
                to_id = team[positions[rule.pk] % len(team)].pk
                positions[rule.pk] += 1
            if to_id != row["collector_id"]:
                result.changes.append(AssignmentChange(
                    row["pk"], row["name"], rule.name, names.get(row["collector_id"]), names[to_id],
                ))
                planned.append((row["pk"], to_id))
            break
    result.warnings = sorted(set(result.warnings))
    if dry_run:
        return result
    with transaction.atomic(), acting_as(actor, None if actor is not None else "assignment rules"):
        customers = Customer.objects.select_for_update().in_bulk([pk for pk, _ in planned])
        for pk, to_id in planned:
            customer_update(customer=customers[pk], collector_id=to_id)
        for rule in rules:
            if positions[rule.pk] != rule.next_index:
                rule.next_index = positions[rule.pk]
                rule.save(update_fields=["next_index", "updated_at"])
    return result


def _open_balances() -> list[tuple[int, str, Decimal]]:
    return list(
        Document.objects.filter(open_amount__gt=0).exclude(kind=DocumentKind.CREDIT_NOTE)
        .order_by().values("customer_id", "currency").annotate(s=Sum("open_amount")).values_list("customer_id", "currency", "s")
    )


def _convert(amounts: dict[str, Decimal], target: str, rates: dict[str, Decimal], warnings: list[str]) -> Decimal | None:
    if not amounts:
        return ZERO
    total = ZERO
    for currency, amount in amounts.items():
        if currency not in rates:
            warnings.append(f"no FX rate from {currency} to {target}: amount bands skip customers with {currency}")
            return None
        total += amount * rates[currency]
    return total
