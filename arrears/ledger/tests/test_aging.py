import datetime as dt
import random
from decimal import Decimal

import pytest

from arrears.ledger.aging import DUE_BUCKETS, INVOICE_BUCKETS, age_bucket, aging_report
from arrears.ledger.errors import LedgerError, LedgerErrorCode
from arrears.ledger.models import Allocation, Document, DocumentKind, FxRate, Payment
from arrears.ledger.services import credit_note_apply, document_write_off, payment_allocate
from arrears.ledger.tests.factories import (
    BusinessUnitFactory,
    CustomerFactory,
    DocumentFactory,
    PaymentFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal
AS_OF = dt.date(2025, 6, 30)
DUE_KEYS = [b.key for b in DUE_BUCKETS]
INVOICE_KEYS = [b.key for b in INVOICE_BUCKETS]


def amounts(row, keys=DUE_KEYS):
    return dict(zip(keys, row.buckets, strict=True))


def only(bucket, amount, keys=DUE_KEYS):
    return {k: (D(amount) if k == bucket else D("0.00")) for k in keys}


DUE_EDGES = [(-1, "current"), (0, "current"), (1, "1-30"), (30, "1-30"), (31, "31-60"), (60, "31-60"),
             (61, "61-90"), (90, "61-90"), (91, "91-120"), (120, "91-120"), (121, "121+")]
INVOICE_EDGES = [(0, "0-30"), (30, "0-30"), (31, "31-60"), (60, "31-60"), (61, "61-90"), (90, "61-90"),
                 (91, "91-120"), (120, "91-120"), (121, "121+")]


@pytest.mark.parametrize(("dpd", "bucket"), DUE_EDGES)
def test_due_basis_puts_each_edge_in_its_bucket(dpd, bucket):
    due = AS_OF - dt.timedelta(days=dpd)
    DocumentFactory(issue_date=min(due, AS_OF), due_date=due, amount=D("10.00"))

    report = aging_report(as_of=AS_OF)

    assert age_bucket(as_of=AS_OF, anchor=due) == bucket
    assert amounts(report.rows[0]) == only(bucket, "10.00")
    assert report.rows[0].document_count == 1


@pytest.mark.parametrize(("age", "bucket"), INVOICE_EDGES)
def test_invoice_basis_ages_from_the_issue_date(age, bucket):
    issued = AS_OF - dt.timedelta(days=age)
    DocumentFactory(issue_date=issued, due_date=issued + dt.timedelta(days=60), amount=D("10.00"))

    report = aging_report(as_of=AS_OF, basis="invoice")

    assert age_bucket(as_of=AS_OF, anchor=issued, basis="invoice") == bucket
    assert amounts(report.rows[0], INVOICE_KEYS) == only(bucket, "10.00", INVOICE_KEYS)


def test_kpi_worked_example_gives_the_published_bucket_totals():
    # docs/domain KPIS §6: seven invoices as of 30 Jun 2025.
    cust = CustomerFactory()
    for issued, due, amount in [
        ("2025-06-10", "2025-07-10", "5000"), ("2025-05-15", "2025-06-14", "3000"),
        ("2025-04-01", "2025-05-16", "2000"), ("2025-03-01", "2025-03-31", "4000"),
        ("2025-01-15", "2025-02-14", "1500"), ("2025-04-20", "2025-06-19", "2500"),
        ("2025-03-10", "2025-05-09", "1000"),
    ]:
        DocumentFactory(customer=cust, issue_date=dt.date.fromisoformat(issued),
                        due_date=dt.date.fromisoformat(due), amount=D(amount))

    by_due = aging_report(as_of=AS_OF).total_row
    by_invoice = aging_report(as_of=AS_OF, basis="invoice").total_row

    assert [str(v) for v in by_due.buckets] == ["5000.00", "5500.00", "3000.00", "0.00", "4000.00", "1500.00"]
    assert by_due.total == D("19000.00")
    assert [str(v) for v in by_invoice.buckets] == ["5000.00", "3000.00", "4500.00", "1000.00", "5500.00"]
    assert by_due.document_count == 7


def test_document_paid_later_is_still_open_before_its_payment_date():
    doc = DocumentFactory(issue_date=dt.date(2025, 5, 1), due_date=dt.date(2025, 5, 31), amount=D("100.00"))
    pay = PaymentFactory(customer=doc.customer, amount=D("100.00"), received_date=dt.date(2025, 7, 15))
    payment_allocate(payment=pay)

    before = aging_report(as_of=AS_OF)
    on_the_day = aging_report(as_of=dt.date(2025, 7, 15))

    assert amounts(before.rows[0]) == only("1-30", "100.00")
    assert before.rows[0].document_count == 1
    assert before.rows[0].unapplied_credits == D("0.00")  # the payment had not arrived yet
    assert on_the_day.rows == ()


def test_partially_paid_document_shows_the_remainder_from_the_payment_date_on():
    doc = DocumentFactory(issue_date=dt.date(2025, 5, 1), due_date=dt.date(2025, 5, 31), amount=D("100.00"))
    pay = PaymentFactory(customer=doc.customer, amount=D("40.00"), received_date=dt.date(2025, 6, 10))
    payment_allocate(payment=pay)
    later = PaymentFactory(customer=doc.customer, amount=D("60.00"), received_date=dt.date(2025, 8, 1))
    payment_allocate(payment=later)

    assert aging_report(as_of=dt.date(2025, 6, 9)).rows[0].total == D("100.00")
    assert amounts(aging_report(as_of=AS_OF).rows[0]) == only("1-30", "60.00")
    assert aging_report(as_of=dt.date(2025, 8, 1)).rows == ()


def test_documents_issued_after_as_of_do_not_count():
    DocumentFactory(issue_date=dt.date(2025, 7, 1), due_date=dt.date(2025, 7, 31))

    assert aging_report(as_of=AS_OF).rows == ()


def test_write_off_after_as_of_leaves_the_document_open_at_as_of():
    doc = DocumentFactory(issue_date=dt.date(2025, 1, 1), due_date=dt.date(2025, 1, 31), amount=D("80.00"))
    document_write_off(document=doc, date=dt.date(2025, 9, 1), reason="insolvent")

    assert amounts(aging_report(as_of=AS_OF).rows[0]) == only("121+", "80.00")
    assert aging_report(as_of=dt.date(2025, 9, 1)).rows == ()


def test_open_credit_notes_and_unapplied_cash_reduce_the_net_balance():
    cust = CustomerFactory()
    DocumentFactory(customer=cust, issue_date=dt.date(2025, 6, 1), due_date=dt.date(2025, 7, 1), amount=D("500.00"))
    DocumentFactory(customer=cust, kind=DocumentKind.CREDIT_NOTE, issue_date=dt.date(2025, 6, 5),
                    due_date=dt.date(2025, 6, 5), amount=D("30.00"))
    PaymentFactory(customer=cust, amount=D("45.50"), received_date=dt.date(2025, 6, 20))
    PaymentFactory(customer=cust, amount=D("999.00"), received_date=dt.date(2025, 7, 2))  # after as_of

    row = aging_report(as_of=AS_OF).rows[0]

    assert row.total == D("500.00")
    assert row.unapplied_credits == D("-75.50")
    assert row.net_balance == D("424.50")
    assert row.document_count == 1  # credit notes are not aged debit documents


def test_credit_note_applied_after_as_of_was_still_unapplied_at_as_of():
    cust = CustomerFactory()
    inv = DocumentFactory(customer=cust, issue_date=dt.date(2025, 6, 1), due_date=dt.date(2025, 7, 1), amount=D("100.00"))
    cn = DocumentFactory(customer=cust, kind=DocumentKind.CREDIT_NOTE, issue_date=dt.date(2025, 6, 2),
                         due_date=dt.date(2025, 6, 2), amount=D("25.00"))
    credit_note_apply(credit_note=cn, document=inv, amount=D("25.00"), date=dt.date(2025, 7, 10))

    at = aging_report(as_of=AS_OF).rows[0]
    after = aging_report(as_of=dt.date(2025, 7, 10)).rows[0]

    assert (at.total, at.unapplied_credits, at.net_balance) == (D("100.00"), D("-25.00"), D("75.00"))
    assert (after.total, after.unapplied_credits, after.net_balance) == (D("75.00"), D("0.00"), D("75.00"))


def test_cash_received_after_as_of_gives_no_row():
    PaymentFactory(amount=D("12.00"), received_date=dt.date(2025, 7, 1))

    assert aging_report(as_of=AS_OF).rows == ()
    assert aging_report(as_of=AS_OF, by="business-unit").rows == ()


def test_customer_with_only_unapplied_cash_gets_a_row():
    pay = PaymentFactory(amount=D("12.00"), received_date=dt.date(2025, 6, 1))

    row = aging_report(as_of=AS_OF).rows[0]

    assert (row.key, row.total, row.unapplied_credits, row.net_balance) == (
        pay.customer_id, D("0.00"), D("-12.00"), D("-12.00"))


def test_disputed_documents_stay_in_their_bucket_and_are_shown_apart():
    cust = CustomerFactory()
    DocumentFactory(customer=cust, issue_date=dt.date(2025, 5, 1), due_date=dt.date(2025, 5, 31),
                    amount=D("70.00"), attributes={"disputed": True})
    DocumentFactory(customer=cust, issue_date=dt.date(2025, 5, 1), due_date=dt.date(2025, 5, 31), amount=D("30.00"))

    row = aging_report(as_of=AS_OF).rows[0]

    assert amounts(row) == only("1-30", "100.00")
    assert row.disputed == D("70.00")


def test_grouping_by_collector_segment_and_business_unit(make_user):
    alice, bob = make_user("alice"), make_user("bob")
    eu = BusinessUnitFactory(code="EU", name="Europe")
    uk = BusinessUnitFactory(code="UK", name="Britain", home_currency="EUR")
    c1 = CustomerFactory(business_unit=eu, collector=alice, segment="smb")
    c2 = CustomerFactory(business_unit=uk, collector=bob, segment="enterprise")
    c3 = CustomerFactory(business_unit=uk, collector=None, segment="smb")
    for cust, amount in ((c1, "10.00"), (c2, "20.00"), (c3, "40.00")):
        DocumentFactory(customer=cust, issue_date=dt.date(2025, 6, 1), due_date=dt.date(2025, 6, 20), amount=D(amount))

    def totals(by):
        return {(r.key, r.label): r.total for r in aging_report(as_of=AS_OF, by=by).rows}

    assert totals("customer") == {(c1.pk, c1.name): D("10.00"), (c2.pk, c2.name): D("20.00"), (c3.pk, c3.name): D("40.00")}
    assert totals("collector") == {(alice.pk, "alice"): D("10.00"), (bob.pk, "bob"): D("20.00"), (None, "(unassigned)"): D("40.00")}
    assert totals("segment") == {("smb", "smb"): D("50.00"), ("enterprise", "enterprise"): D("20.00")}
    assert totals("business-unit") == {(eu.pk, "EU Europe"): D("10.00"), (uk.pk, "UK Britain"): D("60.00")}
    assert aging_report(as_of=AS_OF, by="segment").total_row.total == D("70.00")


def test_filters_narrow_the_report():
    c1, c2 = CustomerFactory(segment="smb"), CustomerFactory(segment="enterprise")
    DocumentFactory(customer=c1, issue_date=dt.date(2025, 6, 1), amount=D("10.00"))
    DocumentFactory(customer=c2, issue_date=dt.date(2025, 6, 1), amount=D("20.00"))

    assert [r.key for r in aging_report(as_of=AS_OF, filters={"segment": "enterprise"}).rows] == [c2.pk]
    assert [r.key for r in aging_report(as_of=AS_OF, filters={"customer": c1.pk}).rows] == [c1.pk]
    with pytest.raises(ValueError, match="unknown aging filter"):
        aging_report(as_of=AS_OF, filters={"colour": "red"})


def _mixed_currency_ledger():
    cust = CustomerFactory()
    DocumentFactory(customer=cust, issue_date=dt.date(2025, 6, 1), due_date=dt.date(2025, 6, 20), amount=D("100.00"))
    DocumentFactory(customer=cust, issue_date=dt.date(2025, 6, 1), due_date=dt.date(2025, 6, 20), amount=D("50.00"),
                    currency="USD")
    DocumentFactory(customer=cust, issue_date=dt.date(2025, 6, 1), due_date=dt.date(2025, 7, 20), amount=D("1000"),
                    currency="JPY")
    return cust


def test_several_currencies_without_conversion_give_a_row_and_a_total_per_currency():
    cust = _mixed_currency_ledger()

    report = aging_report(as_of=AS_OF)

    assert report.currency is None
    assert [(r.key, r.currency, r.total) for r in report.rows] == [
        (cust.pk, "EUR", D("100.00")), (cust.pk, "JPY", D("1000")), (cust.pk, "USD", D("50.00"))]
    assert [(t.currency, t.total) for t in report.totals] == [("EUR", D("100.00")), ("JPY", D("1000")), ("USD", D("50.00"))]


def test_currency_filter_keeps_one_currency():
    _mixed_currency_ledger()

    report = aging_report(as_of=AS_OF, currency="usd")

    assert report.currency == "USD"
    assert [(r.currency, r.total) for r in report.rows] == [("USD", D("50.00"))]


def test_reporting_currency_converts_with_the_latest_rate_on_or_before_as_of():
    _mixed_currency_ledger()
    FxRate.objects.create(date=dt.date(2025, 6, 1), currency="USD", quote_currency="EUR", rate=D("0.5"))
    FxRate.objects.create(date=dt.date(2025, 6, 30), currency="USD", quote_currency="EUR", rate=D("0.9"))
    FxRate.objects.create(date=dt.date(2025, 7, 1), currency="USD", quote_currency="EUR", rate=D("2"))  # too late
    FxRate.objects.create(date=dt.date(2025, 1, 1), currency="JPY", quote_currency="EUR", rate=D("0.006155"))

    report = aging_report(as_of=AS_OF, reporting_currency="EUR")

    row = report.rows[0]
    assert report.currency == "EUR"
    assert report.fx_rates == {"EUR": D(1), "USD": D("0.9"), "JPY": D("0.006155")}
    assert amounts(row) == {"current": D("6.16"), "1-30": D("145.00"), "31-60": D("0.00"), "61-90": D("0.00"),
                            "91-120": D("0.00"), "121+": D("0.00")}
    assert row.document_count == 3


def test_missing_fx_rate_names_the_currency_and_date():
    _mixed_currency_ledger()
    FxRate.objects.create(date=dt.date(2025, 6, 1), currency="USD", quote_currency="EUR", rate=D("0.9"))

    with pytest.raises(LedgerError) as err:
        aging_report(as_of=AS_OF, reporting_currency="EUR")

    assert err.value.code == LedgerErrorCode.NO_FX_RATE
    assert "JPY" in str(err.value)
    assert "2025-06-30" in str(err.value)


def test_collector_ages_only_their_own_portfolio(make_user):
    alice, bob = make_user("alice"), make_user("bob")
    mine = CustomerFactory(collector=alice)
    theirs = CustomerFactory(collector=bob)
    for cust in (mine, theirs):
        doc = DocumentFactory(customer=cust, issue_date=dt.date(2025, 6, 1), amount=D("10.00"))
        pay = PaymentFactory(customer=cust, amount=D("15.00"), received_date=dt.date(2025, 6, 2))
        payment_allocate(payment=pay, allocations=[(doc, D("4.00"))], date=dt.date(2025, 7, 5))

    report = aging_report(as_of=AS_OF, user=alice)
    everyone = aging_report(as_of=AS_OF, user=make_user("boss", role="head"))

    assert [r.key for r in report.rows] == [mine.pk]
    assert (report.total_row.total, report.total_row.unapplied_credits) == (D("10.00"), D("-15.00"))
    assert {r.key for r in everyone.rows} == {mine.pk, theirs.pk}


@pytest.mark.smoke
def test_report_as_dict_has_amounts_as_strings():
    DocumentFactory(issue_date=dt.date(2025, 6, 1), due_date=dt.date(2025, 6, 20), amount=D("12.30"))

    data = aging_report(as_of=AS_OF).as_dict()

    assert data["as_of"] == "2025-06-30"
    assert (data["by"], data["basis"], data["currency"]) == ("customer", "due", "EUR")
    assert [b["key"] for b in data["buckets"]] == DUE_KEYS
    assert data["rows"][0]["buckets"]["1-30"] == "12.30"
    assert data["totals"][0]["total"] == "12.30"


def _reference(as_of, basis):
    """The definition, one document at a time: amount less allocations dated on or before as_of."""
    out = {}
    for doc in Document.objects.all():
        if doc.issue_date > as_of:
            continue
        key = (doc.customer_id, doc.currency)
        if doc.kind == DocumentKind.CREDIT_NOTE:
            used = sum((a.amount for a in Allocation.objects.filter(credit_note=doc, date__lte=as_of)), D(0))
            out.setdefault(key, {}).setdefault("credits", D(0))
            out[key]["credits"] -= doc.amount - used
            continue
        used = sum((a.amount for a in doc.allocations.filter(date__lte=as_of)), D(0))
        if doc.amount - used > 0:
            bucket = age_bucket(as_of=as_of, anchor=doc.due_date if basis == "due" else doc.issue_date, basis=basis)
            out.setdefault(key, {}).setdefault(bucket, D(0))
            out[key][bucket] += doc.amount - used
    for pay in Payment.objects.filter(received_date__lte=as_of):
        used = sum((a.amount for a in pay.allocations.filter(date__lte=as_of)), D(0))
        out.setdefault((pay.customer_id, pay.currency), {}).setdefault("credits", D(0))
        out[(pay.customer_id, pay.currency)]["credits"] -= pay.amount - used
    return {k: {b: v for b, v in d.items() if v} for k, d in out.items() if any(d.values())}


def test_history_matches_the_definition_on_a_random_ledger():
    rng = random.Random(7)
    customers = [CustomerFactory() for _ in range(4)]
    start = dt.date(2025, 1, 1)
    for i in range(40):
        cust = rng.choice(customers)
        issued = start + dt.timedelta(days=rng.randrange(150))
        kind = DocumentKind.CREDIT_NOTE if i % 7 == 0 else DocumentKind.INVOICE
        DocumentFactory(customer=cust, kind=kind, issue_date=issued,
                        due_date=issued + dt.timedelta(days=rng.choice([0, 14, 30, 60])),
                        amount=D(rng.randrange(100, 10000)) / 100)
    for _ in range(25):
        cust = rng.choice(customers)
        pay = PaymentFactory(customer=cust, amount=D(rng.randrange(100, 8000)) / 100,
                             received_date=start + dt.timedelta(days=rng.randrange(30, 200)))
        payment_allocate(payment=pay, date=pay.received_date + dt.timedelta(days=rng.randrange(0, 20)))
    for cn in Document.objects.filter(kind=DocumentKind.CREDIT_NOTE):
        target = Document.objects.filter(customer=cn.customer, open_amount__gt=0).exclude(kind=DocumentKind.CREDIT_NOTE).first()
        if target:
            credit_note_apply(credit_note=cn, document=target, amount=min(cn.amount, target.open_amount) / 2,
                              date=cn.issue_date + dt.timedelta(days=rng.randrange(60)))
    assert Allocation.objects.count() > 20

    for as_of in (dt.date(2025, 2, 1), dt.date(2025, 4, 15), dt.date(2025, 6, 1), dt.date(2025, 9, 1), dt.date(2026, 1, 1)):
        for basis in ("due", "invoice"):
            report = aging_report(as_of=as_of, basis=basis)
            keys = [b.key for b in report.buckets]
            got = {
                (r.key, r.currency): {
                    b: v for b, v in [*zip(keys, r.buckets, strict=True), ("credits", r.unapplied_credits)] if v
                }
                for r in report.rows
            }
            assert got == _reference(as_of, basis), (as_of, basis)


def test_team_lead_ages_the_team_and_filters_stay_inside_the_gate(make_user):
    from arrears.users.models import Team

    lead = make_user("lea", role="lead")
    team = Team.objects.create(name="North", lead=lead)
    ann, bob = make_user("ann", team=team), make_user("bob")
    anns, bobs = CustomerFactory(collector=ann, segment="smb"), CustomerFactory(collector=bob, segment="smb")
    for cust in (anns, bobs):
        DocumentFactory(customer=cust, issue_date=dt.date(2025, 6, 1), amount=D("10.00"))
        PaymentFactory(customer=cust, amount=D("1.00"), received_date=dt.date(2025, 6, 1))

    team_report = aging_report(as_of=AS_OF, user=lead, by="collector")
    asked_for_bob = aging_report(as_of=AS_OF, user=lead, filters={"collector": bob.pk})

    assert [(r.key, r.total, r.unapplied_credits) for r in team_report.rows] == [(ann.pk, D("10.00"), D("-1.00"))]
    assert asked_for_bob.rows == ()
