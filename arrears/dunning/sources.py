"""The nightly run's view of promises, payment plans and disputes (registered in apps.py).

Adapters from the promises and disputes selectors to the shapes in `dunning.hooks`: the hooks keep
the run testable with fakes; these are the real sources.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from arrears.disputes.selectors import dispute_events_between, dispute_open_amounts
from arrears.dunning.hooks import PromiseFacts
from arrears.ledger.models import Document, DocumentKind
from arrears.promises.selectors import plan_active_documents, promise_active_coverage, promise_events_between


def disputed_amounts_load(*, document_ids: list[int], as_of: dt.date) -> dict[int, Decimal]:
    wanted = set(document_ids)
    return {doc: amount for doc, amount in dispute_open_amounts(as_of=as_of).items() if doc in wanted}


def _owners(document_ids: Iterable[int]) -> dict[int, int]:
    return dict(Document.objects.filter(pk__in=list(document_ids)).values_list("pk", "customer_id"))


def _uncovered(customers: set[int], covered: set[int]) -> frozenset[int]:
    if not customers:
        return frozenset()
    open_docs = (
        Document.objects.filter(customer_id__in=customers, open_amount__gt=0)
        .exclude(kind=DocumentKind.CREDIT_NOTE)
        .values_list("pk", flat=True)
    )
    return frozenset(set(open_docs) - covered)


def promise_facts_load(*, customer_ids: list[int], as_of: dt.date) -> PromiseFacts:
    wanted = set(customer_ids)
    coverage = promise_active_coverage(as_of=as_of)
    plan_docs = plan_active_documents(as_of=as_of)
    owners = _owners(set(coverage) | plan_docs)
    until: dict[int, dt.date] = {}
    for doc, deadline in coverage.items():
        customer = owners.get(doc)
        if customer in wanted:
            until[customer] = max(deadline, until.get(customer, deadline))
    plan_customers = {owners[d] for d in plan_docs if owners.get(d) in wanted}
    return PromiseFacts(
        promise_until=until,
        plan_active=frozenset(plan_customers),
        promise_uncovered=_uncovered(set(until), set(coverage)),
        plan_uncovered=_uncovered(plan_customers, plan_docs),
    )


def events_load(*, customer_ids: list[int], since: dt.date, as_of: dt.date) -> list[tuple[int, str, dt.date, bool]]:
    wanted = set(customer_ids)
    rows = [*promise_events_between(start=since, end=as_of), *dispute_events_between(start=since, end=as_of)]
    return [(c, kind, day, kind == "promise_kept") for c, day, kind in rows if c in wanted]
