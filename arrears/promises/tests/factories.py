"""Promise and plan factories: the customer, currency and documents always agree."""

import datetime as dt
from decimal import Decimal

from arrears.promises.services import plan_create, promise_create


def make_promise(customer, *, amount="100", promised=dt.date(2026, 3, 1), documents=(), made_on=dt.date(2026, 2, 1), **kw):
    return promise_create(
        customer=customer, amount=Decimal(amount), currency="EUR", promised_date=promised, documents=documents,
        made_on=made_on, **kw,
    )


def make_plan(customer, documents, *, by=None, count=3, first=dt.date(2026, 3, 1), made_on=dt.date(2026, 2, 1), **kw):
    return plan_create(
        customer=customer, documents=documents, created_by=by, instalment_count=count, first_due_date=first,
        frequency=kw.pop("frequency", "monthly"), made_on=made_on, **kw,
    )
