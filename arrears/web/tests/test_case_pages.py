"""Dispute and payment-plan pages: the gates, the workflow buttons and the services behind the forms."""

import datetime as dt
import re
from decimal import Decimal

import pytest

from arrears.disputes.models import Dispute
from arrears.disputes.services import dispute_open, dispute_start_review
from arrears.ledger.models import Document
from arrears.promises.models import PaymentPlan
from arrears.promises.services import plan_create
from arrears.web.tests.conftest import TODAY, login

pytestmark = [pytest.mark.django_db, pytest.mark.urls("arrears.web.tests.urls_cases_test")]


def flashes(response) -> list[str]:
    return re.findall(r'<div class="flash [^"]*" role="status">([^<]*)</div>', response.content.decode())


def dispute_ids(response) -> list[int]:
    return [int(n) for n in re.findall(r'<a href="/disputes/(\d+)/">#', response.content.decode())]


@pytest.fixture
def disputes(portfolio):
    ann = dispute_open(customer=portfolio["ann_c"], reason="pricing", lines=[(portfolio["a_late"], "300.00")],
                       created_by=portfolio["ann"], description="Wrong unit price")
    bob = dispute_open(customer=portfolio["bob_c"], reason="quality", lines=[(portfolio["b_late"], None)])
    return {"ann": ann, "bob": bob}


def test_dispute_list_shows_only_the_collectors_portfolio(client, portfolio, disputes):
    login(client, portfolio["ann"])
    assert dispute_ids(client.get("/disputes/")) == [disputes["ann"].pk]
    login(client, portfolio["head"])
    assert sorted(dispute_ids(client.get("/disputes/"))) == sorted([disputes["ann"].pk, disputes["bob"].pk])


def test_dispute_list_filters_by_status_reason_and_mine(client, portfolio, disputes):
    dispute_start_review(dispute=disputes["bob"])
    login(client, portfolio["head"])
    assert dispute_ids(client.get("/disputes/", {"status": "in_review"})) == [disputes["bob"].pk]
    assert dispute_ids(client.get("/disputes/", {"reason": "pricing"})) == [disputes["ann"].pk]
    assert dispute_ids(client.get("/disputes/", {"owner": "mine"})) == []
    login(client, portfolio["bob"])
    assert dispute_ids(client.get("/disputes/", {"owner": "mine"})) == [disputes["bob"].pk]


def test_dispute_detail_shows_lines_sla_owner_and_only_valid_buttons(client, portfolio, disputes):
    login(client, portfolio["ann"])
    html = client.get(f"/disputes/{disputes['ann'].pk}/").content.decode()
    assert "INV-A1" in html
    assert "300.00 EUR" in html
    assert "2026-03-25 (10 days)" in html  # pricing: 10-day SLA from the frozen today
    assert "Ann Archer" in html
    assert "Wrong unit price" in html
    assert "Start review" in html
    assert "Resolve invalid" not in html
    assert "Credit amount" not in html


def test_collector_cannot_see_another_collectors_dispute(client, portfolio, disputes):
    login(client, portfolio["ann"])
    assert client.get(f"/disputes/{disputes['bob'].pk}/").status_code == 404
    assert client.post(f"/disputes/{disputes['bob'].pk}/review/").status_code == 404
    assert Dispute.objects.get(pk=disputes["bob"].pk).status == "open"


def test_open_a_dispute_from_the_form(client, portfolio):
    login(client, portfolio["ann"])
    url = f"/customers/{portfolio['ann_c'].pk}/disputes/new/"
    form = client.get(url).content.decode()
    assert "INV-A1" in form
    assert "CN-A1" not in form
    assert "INV-A5" not in form
    a1, a3 = portfolio["a_late"], portfolio["a_future"]
    response = client.post(url, {
        "reason": "quantity", "description": "Short delivery", "document": [a1.pk, a3.pk],
        f"amount_{a1.pk}": "120.50", f"amount_{a3.pk}": "",
    })
    dispute = Dispute.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/disputes/{dispute.pk}/"
    assert dispute.reason == "quantity"
    assert dispute.created_by == portfolio["ann"]
    assert {(line.document.external_id, line.amount) for line in dispute.lines.all()} == {
        ("INV-A1", Decimal("120.50")), ("INV-A3", Decimal("300.00")),
    }
    assert dispute.disputed_amount == Decimal("420.50")


def test_dispute_form_names_the_reason_of_a_refusal_and_opens_nothing(client, portfolio):
    login(client, portfolio["ann"])
    a1 = portfolio["a_late"]
    response = client.post(f"/customers/{portfolio['ann_c'].pk}/disputes/new/", {
        "reason": "pricing", "document": [a1.pk], f"amount_{a1.pk}": "5000",
    })
    assert response.status_code == 400
    assert any(m.startswith("disputed_exceeds_open: documents[0] (INV-A1).amount") for m in flashes(response))
    assert not Dispute.objects.exists()


def test_walk_open_to_in_review_to_credited_by_a_lead(client, portfolio, disputes):
    dispute = disputes["ann"]
    login(client, portfolio["lead"])
    response = client.post(f"/disputes/{dispute.pk}/review/", follow=True)
    assert flashes(response) == ["Review started."]
    html = response.content.decode()
    assert 'id="dispute-status">In review' in html
    assert "Start review" not in html
    assert 'id="id_credit_amount" name="amount" inputmode="decimal" value="300.00"' in html  # defaults to disputed
    response = client.post(f"/disputes/{dispute.pk}/credit/", {"amount": "300.00", "note": "agreed"}, follow=True)
    assert flashes(response) == ["Credited."]
    dispute.refresh_from_db()
    assert dispute.status == "credited"
    assert dispute.resolution_amount == Decimal("300.00")
    assert Document.objects.get(pk=portfolio["a_late"].pk).open_amount == Decimal("700.00")
    assert "CN-DSP-" in response.content.decode()
    assert 'id="dispute-actions"' not in response.content.decode()


def test_collector_cannot_credit_and_nothing_changes(client, portfolio, disputes):
    dispute = dispute_start_review(dispute=disputes["ann"])
    login(client, portfolio["ann"])
    assert "Credit amount" not in client.get(f"/disputes/{dispute.pk}/").content.decode()
    response = client.post(f"/disputes/{dispute.pk}/credit/", {"amount": "300.00"}, follow=True)
    assert any("only a team lead" in m for m in flashes(response))
    assert Dispute.objects.get(pk=dispute.pk).status == "in_review"
    assert Document.objects.get(pk=portfolio["a_late"].pk).open_amount == Decimal("1000.00")


def test_invalid_transition_is_shown_with_its_reason(client, portfolio, disputes):
    login(client, portfolio["lead"])
    response = client.post(f"/disputes/{disputes['ann'].pk}/invalid/", follow=True)
    assert flashes(response) == [
        f"invalid_transition: dispute {disputes['ann'].pk} is open: it cannot become resolved_invalid; allowed: in_review"
    ]


def test_comment_is_added_and_shown(client, portfolio, disputes):
    login(client, portfolio["ann"])
    response = client.post(f"/disputes/{disputes['ann'].pk}/comment/", {"body": "Called the buyer"}, follow=True)
    assert "Called the buyer" in response.content.decode()
    response = client.post(f"/disputes/{disputes['ann'].pk}/comment/", {"body": "  "}, follow=True)
    assert flashes(response) == ["empty_comment: body: a comment cannot be empty"]


def test_auditor_reads_without_buttons_and_gets_403_on_post(client, portfolio, disputes):
    login(client, portfolio["auditor"])
    html = client.get(f"/disputes/{disputes['ann'].pk}/").content.decode()
    assert "INV-A1" in html
    assert "Start review" not in html
    assert "Add comment" not in html
    assert client.post(f"/disputes/{disputes['ann'].pk}/review/").status_code == 403
    assert client.post(f"/disputes/{disputes['ann'].pk}/comment/", {"body": "x"}).status_code == 403
    a1 = portfolio["a_late"]
    url = f"/customers/{portfolio['ann_c'].pk}/disputes/new/"
    assert client.post(url, {"reason": "pricing", "document": [a1.pk]}).status_code == 403
    assert Dispute.objects.get(pk=disputes["ann"].pk).status == "open"
    assert Dispute.objects.count() == 2


# --- payment plans -------------------------------------------------------------------------------


def test_collector_makes_a_plan_from_the_form_within_limits_active_at_once(client, portfolio):
    login(client, portfolio["ann"])
    url = f"/customers/{portfolio['ann_c'].pk}/plans/new/"
    assert "INV-A1" in client.get(url).content.decode()
    response = client.post(url, {
        "document": [portfolio["a_late"].pk], "instalment_count": "3", "frequency": "monthly",
        "first_due_date": "2026-04-01",
    })
    plan = PaymentPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/plans/{plan.pk}/"
    assert plan.status == "active"
    assert plan.total == Decimal("1000.00")
    assert [(i.due_date, i.amount) for i in plan.instalments.order_by("sequence")] == [
        (dt.date(2026, 4, 1), Decimal("333.34")), (dt.date(2026, 5, 1), Decimal("333.33")),
        (dt.date(2026, 6, 1), Decimal("333.33")),
    ]
    html = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "2026-05-01" in html
    assert "333.33 EUR" in html
    assert "Pending" in html


def test_plan_form_refusal_names_the_field(client, portfolio):
    login(client, portfolio["ann"])
    response = client.post(f"/customers/{portfolio['ann_c'].pk}/plans/new/", {
        "document": [portfolio["a_late"].pk], "instalment_count": "3", "frequency": "monthly",
        "first_due_date": (TODAY - dt.timedelta(days=1)).isoformat(),
    })
    assert response.status_code == 400
    assert flashes(response) == ["bad_schedule: first_due_date: 2026-03-14 is before 2026-03-15"]
    assert not PaymentPlan.objects.exists()


def test_collectors_plan_above_limits_waits_and_a_lead_approves_it(client, portfolio):
    login(client, portfolio["ann"])
    client.post(f"/customers/{portfolio['ann_c'].pk}/plans/new/", {
        "document": [portfolio["a_late"].pk], "instalment_count": "10", "frequency": "weekly",
        "first_due_date": "2026-03-20",
    })
    plan = PaymentPlan.objects.get()
    assert plan.status == "pending_approval"
    html = client.get(f"/plans/{plan.pk}/").content.decode()
    assert 'id="approval-note"' in html
    assert ">Approve<" not in html
    response = client.post(f"/plans/{plan.pk}/approve/", follow=True)
    assert flashes(response)[0].startswith("approval_limit_exceeded:")
    assert PaymentPlan.objects.get(pk=plan.pk).status == "pending_approval"

    login(client, portfolio["lead"])
    assert ">Approve<" in client.get(f"/plans/{plan.pk}/").content.decode()
    response = client.post(f"/plans/{plan.pk}/approve/", follow=True)
    assert flashes(response) == ["Plan approved: it is active."]
    plan.refresh_from_db()
    assert plan.status == "active"
    assert plan.approved_by == portfolio["lead"]


def test_plan_cancel_and_auditor_403(client, portfolio):
    plan = plan_create(customer=portfolio["ann_c"], documents=[portfolio["a_late"]], created_by=portfolio["ann"],
                       instalment_count=2, first_due_date=dt.date(2026, 4, 1))
    login(client, portfolio["auditor"])
    assert "Cancel plan" not in client.get(f"/plans/{plan.pk}/").content.decode()
    assert client.post(f"/plans/{plan.pk}/cancel/").status_code == 403
    login(client, portfolio["ann"])
    response = client.post(f"/plans/{plan.pk}/cancel/", {"reason": "customer paid"}, follow=True)
    assert flashes(response) == ["Plan cancelled."]
    assert PaymentPlan.objects.get(pk=plan.pk).status == "cancelled"


def test_plan_list_through_the_gate_and_filtered(client, portfolio):
    mine = plan_create(customer=portfolio["ann_c"], documents=[portfolio["a_late"]], created_by=portfolio["ann"],
                       instalment_count=2, first_due_date=dt.date(2026, 4, 1))
    bobs = plan_create(customer=portfolio["bob_c"], documents=[portfolio["b_late"]], created_by=portfolio["bob"],
                       instalment_count=2, first_due_date=dt.date(2026, 4, 1))
    login(client, portfolio["ann"])
    html = client.get("/plans/").content.decode()
    assert f'/plans/{mine.pk}/">#' in html
    assert f'/plans/{bobs.pk}/' not in html
    assert "Alpha Traders" in html
    assert client.get(f"/plans/{bobs.pk}/").status_code == 404
    login(client, portfolio["head"])
    html = client.get("/plans/", {"status": "active"}).content.decode()
    assert f'/plans/{mine.pk}/">#' in html
    assert f'/plans/{bobs.pk}/">#' in html
    assert "No payment plans match." in client.get("/plans/", {"status": "cancelled"}).content.decode()
