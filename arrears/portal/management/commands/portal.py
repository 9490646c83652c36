"""`arrears portal link --customer EXTERNAL_ID [--business-unit CODE] [--days N] [--json]` makes a portal
link (printed once); `arrears portal revoke --customer EXTERNAL_ID` revokes every live link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from arrears.audit.context import acting_as
from arrears.common.json import dumps
from arrears.ledger.models import Customer
from arrears.portal.services.tokens import portal_token_create, portal_token_revoke_all, portal_url


class Command(BaseCommand):
    help = "Customer portal links: make one, or revoke a customer's links."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name in ("link", "revoke"):
            p = sub.add_parser(name)
            p.add_argument("--customer", required=True, help="the customer's external id")
            p.add_argument("--business-unit", default=None, help="business unit code, when the id is not unique")
            p.add_argument("--json", action="store_true")
            if name == "link":
                p.add_argument("--days", type=int, default=None, help="days the link is valid")

    def handle(self, *args: Any, **opts: Any) -> None:
        qs = Customer.objects.filter(external_id=opts["customer"])
        if opts["business_unit"]:
            qs = qs.filter(business_unit__code=opts["business_unit"])
        customers = list(qs[:2])
        if not customers:
            raise CommandError(f"--customer: no customer {opts['customer']!r}")
        if len(customers) > 1:
            raise CommandError(f"--customer: {opts['customer']!r} exists in several business units; add --business-unit")
        customer = customers[0]
        with acting_as(None, label="cli:portal"):
            if opts["action"] == "link":
                token, raw = portal_token_create(customer=customer, days=opts["days"])
                result = {"customer": customer.external_id, "url": portal_url(raw), "expires_at": token.expires_at.isoformat()}
            else:
                result = {"customer": customer.external_id, "revoked": portal_token_revoke_all(customer=customer, reason="cli")}
        self.stdout.write(dumps(result) if opts["json"] else " ".join(f"{k}={v}" for k, v in result.items()))
