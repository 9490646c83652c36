import pytest

from arrears.analytics.tests.ledger_fixtures import build_ledger


@pytest.fixture
def ledger(make_user):
    return build_ledger(make_user)
