"""Assignment rules (first match wins, round-robin, audited) and the rebalance for absences."""

import datetime as dt
from decimal import Decimal

import pytest

from arrears.audit.models import AuditEvent
from arrears.ledger.models import Customer, FxRate
from arrears.ledger.tests.factories import DocumentFactory
from arrears.worklist.errors import WorklistError
from arrears.worklist.models import AssignmentRule, FollowUp, ItemStatus, WorklistItem
from arrears.worklist.services import absence_create, assignment_apply, worklist_build, worklist_rebalance
from arrears.worklist.tests.conftest import TODAY

pytestmark = pytest.mark.django_db
D = Decimal


def test_rules_assign_by_segment_country_language_and_amount_band_first_match_wins(make_customer, people):
    big = make_customer("Big", collector=None, amount="60000.00", segment="enterprise")
    fr = make_customer("Fr", collector=None, amount="100.00", language="fr")
    small = make_customer("Small", collector=None, amount="100.00", segment="smb")
    AssignmentRule.objects.create(order=1, name="Key accounts", min_amount=D("50000"), amount_currency="EUR", collector=people["dora"])
    AssignmentRule.objects.create(order=2, name="French", languages=["fr"], countries=["de"], collector=people["carl"])
    AssignmentRule.objects.create(order=3, name="SMB pool", segments=["smb"], team=people["team"])

    preview = assignment_apply(dry_run=True)
    assert Customer.objects.filter(collector__isnull=False).count() == 0
    assert {(c.customer, c.to_user, c.rule) for c in preview.changes} == {
        ("Big", "dora", "Key accounts"), ("Fr", "carl", "French"), ("Small", "carl", "SMB pool"),
    }

    done = assignment_apply(dry_run=False, actor=people["head"])
    assert done.as_dict()["changes"] == preview.as_dict()["changes"]
    big.refresh_from_db(); fr.refresh_from_db(); small.refresh_from_db()  # noqa: E702
    assert (big.collector, fr.collector, small.collector) == (people["dora"], people["carl"], people["carl"])
    event = AuditEvent.objects.get(object_type="ledger.customer", object_id=str(big.pk))
    assert event.after == {"collector_id": people["dora"].pk}
    assert event.actor == people["head"]
    assert assignment_apply(dry_run=False).changes == []  # a second run moves nobody


def test_team_round_robin_takes_turns_and_amount_bands_convert_currencies(make_customer, people, unit):
    FxRate.objects.create(date=TODAY, currency="USD", quote_currency="EUR", rate=D("0.5"))
    rule = AssignmentRule.objects.create(order=1, name="Pool", team=people["team"], max_amount=D("1000"), amount_currency="EUR")
    customers = [make_customer(f"C{i}", collector=None, amount="100.00") for i in range(4)]
    usd = make_customer("Dollar", collector=None, amount=None)
    DocumentFactory(customer=usd, currency="USD", amount=D("3000.00"), open_amount=D("3000.00"))  # 1,500 EUR: outside

    result = assignment_apply(dry_run=False)

    assert [c.to_user for c in result.changes] == ["carl", "cora", "dora", "carl"]
    assert [c.customer for c in result.changes] == [c.name for c in customers]
    rule.refresh_from_db()
    assert rule.next_index == 4


def test_an_absent_collectors_accounts_go_to_the_least_loaded_team_mates(make_customer, people):
    accounts = [make_customer(f"Cora {i}", amount=str(1000 * (i + 1)) + ".00") for i in range(3)]
    busy = make_customer("Carl's", collector="carl")
    for c in [*accounts, busy]:
        FollowUp.objects.create(customer=c, user=c.collector, date=TODAY)
    absence_create(user=people["cora"], start=TODAY, end=TODAY + dt.timedelta(days=2), actor=people["lead"])

    result = worklist_build(as_of=TODAY)  # the build rebalances absences itself

    assert result.moved == 3
    owners = {i.customer.name: i.user.username for i in WorklistItem.objects.filter(status=ItemStatus.OPEN)}
    # highest value first to the least loaded: dora (0), then carl (1) / dora (1) -> carl by name, ...
    assert owners == {"Cora 2": "dora", "Cora 1": "carl", "Cora 0": "dora", "Carl's": "carl"}
    assert all(i.moved_from == people["cora"] for i in WorklistItem.objects.filter(customer__in=accounts))
    assert AuditEvent.objects.filter(action="rebalance").count() == 3
    assert worklist_build(as_of=TODAY).created == 0  # moved items are matched, not rebuilt for cora


def test_only_the_teams_lead_or_the_head_may_rebalance(people):
    with pytest.raises(WorklistError) as refused:
        worklist_rebalance(team=people["team"], as_of=TODAY, actor=people["other_lead"])
    assert refused.value.code == "rebalance_forbidden"
    worklist_rebalance(team=people["team"], as_of=TODAY, actor=people["head"])
    worklist_rebalance(team=people["team"], as_of=TODAY, actor=people["lead"])
