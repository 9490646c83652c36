import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from arrears.dunning.models import DunningAction, DunningRun
from arrears.dunning.services.strategies import strategy_seed_defaults
from arrears.ledger.tests.factories import ContactFactory, CustomerFactory, DocumentFactory
from arrears.nightly.services import nightly_cycle
from arrears.promises.models import Promise
from arrears.promises.services.promises import promise_create
from arrears.worklist.models import WorklistItem

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 11, 16)  # a Monday


@pytest.fixture
def portfolio(make_user):
    strategy_seed_defaults()
    collector = make_user("cora")
    customers = []
    for n, days_overdue in enumerate((10, 50, 95)):
        customer = CustomerFactory(collector=collector, jurisdiction="eu_b2b", country="DE", timezone="Europe/Berlin")
        ContactFactory(customer=customer, phone=f"+49301234567{n}")
        issue = AS_OF - dt.timedelta(days=30 + days_overdue)
        DocumentFactory(customer=customer, amount=Decimal("1200.00"), issue_date=issue)
        customers.append(customer)
    return customers


def test_the_cycle_runs_every_step_in_order_and_is_safe_to_run_twice(portfolio):
    promise_create(
        customer=portfolio[0], amount="1200.00", currency="EUR", promised_date=AS_OF - dt.timedelta(days=10),
        documents=list(portfolio[0].documents.all()), made_on=AS_OF - dt.timedelta(days=20),
    )
    first = nightly_cycle(as_of=AS_OF)
    assert list(first.steps) == ["promises", "plans", "dunning", "warnings", "worklist", "snapshot"]
    assert Promise.objects.get().status == "broken"  # settled before dunning reads the holds
    assert first.steps["dunning"]["status"] == "completed"
    actions = DunningAction.objects.count()
    items = WorklistItem.objects.count()
    assert actions > 0

    second = nightly_cycle(as_of=AS_OF)
    assert DunningRun.objects.filter(dry_run=False).count() == 1
    assert DunningAction.objects.count() == actions
    assert WorklistItem.objects.count() == items
    assert second.steps["snapshot"]["balances"] == first.steps["snapshot"]["balances"]


def test_the_command_prints_one_json_document(portfolio, capsys):
    call_command("nightly", "--as-of", AS_OF.isoformat(), "--json")
    out = json.loads(capsys.readouterr().out)
    assert out["as_of"] == AS_OF.isoformat()
    assert set(out["durations_s"]) >= {"promises", "dunning", "worklist"}


def test_a_bad_date_is_refused_with_the_expected_format():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("nightly", "--as-of", "16/11/2026")
