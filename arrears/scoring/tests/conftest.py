from __future__ import annotations

import datetime as dt
import random

import pytest

from arrears.ledger.tests.factories import BusinessUnitFactory
from arrears.scoring.learn import ModelParams
from arrears.scoring.tests.factories import history_build

START = dt.date(2025, 1, 1)
INVOICES = 16
AS_OF = START + dt.timedelta(days=10 * (INVOICES - 1) + 1)  # the day after the last invoice
SMALL = ModelParams(n_estimators=60, learning_rate=0.08)


@pytest.fixture
def small_params() -> ModelParams:
    return SMALL


@pytest.fixture
def portfolio(db):
    """40 customers: 20 pay around the due date, 20 weeks late; the last invoices of each are still open."""
    rng = random.Random(5)
    bu = BusinessUnitFactory()
    late, prompt = [], []
    for c in range(40):
        is_late = c % 2 == 0
        pays = []
        for i in range(INVOICES):
            issue = START + dt.timedelta(days=10 * i)
            delay = rng.randint(8, 40) if is_late else rng.randint(-5, 2)
            settle = issue + dt.timedelta(days=30 + delay)
            pays.append(delay if settle < AS_OF else None)
        customer, _ = history_build(business_unit=bu, start=START, payments=pays)
        (late if is_late else prompt).append(customer.pk)
    return {"late": late, "prompt": prompt, "as_of": AS_OF}
