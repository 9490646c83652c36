from arrears.ledger.tests.api_role_fixtures import bobs_invoice, client_for, people

__all__ = ["bobs_invoice", "client_for", "people"]
