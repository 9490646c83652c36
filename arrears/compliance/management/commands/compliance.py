"""`arrears compliance check`: would a planned contact be allowed? Nothing is sent.

    arrears compliance check --json < request.json        # facts given as JSON (rules.serialization)
    arrears compliance check --json --file request.json
    arrears compliance check --customer 12 --channel phone --at 2026-11-23T10:00 [--zone America/New_York]
                             [--manual] [--contact ID] [--debt ID ...] [--purpose collection] [--record] [--json]

Exit status: 0 allowed (ALLOW, ALLOW_WITH_FLAG), 3 not allowed (BLOCK, REVIEW), 2 bad input (the
message names the field path, e.g. `context.history[0].at`). With --json, stdout carries one JSON
document: the decision in the format of docs/compliance.md, or {"error": {...}}.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.management.base import BaseCommand

from arrears.common.json import dumps
from arrears.compliance.errors import ComplianceError, ComplianceErrorCode
from arrears.compliance.models import Initiator
from arrears.compliance.rules import Purpose
from arrears.compliance.services import compliance_check_request, compliance_gate
from arrears.ledger.models import Channel, Customer

EXIT_ALLOWED, EXIT_BAD_INPUT, EXIT_NOT_ALLOWED = 0, 2, 3


class Command(BaseCommand):
    help = "Compliance gate tools. `check`: would a planned contact be allowed (a what-if; nothing is sent)."
    stealth_options = ("stdin",)

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{check}")
        check = sub.add_parser("check", help="check one planned contact; exit 0 allowed, 3 not allowed, 2 bad input")
        check.add_argument("--json", action="store_true", help="print one JSON document on stdout")
        check.add_argument("--file", help="read the JSON request from this file instead of stdin")
        check.add_argument("--customer", help="a ledger customer (id or number): build the facts from the ledger")
        check.add_argument("--channel", choices=Channel.values)
        check.add_argument("--at", help="planned time, ISO 8601; without an offset it is read in --zone")
        check.add_argument("--zone", help="IANA zone for --at (default: the customer's, else its business unit's)")
        check.add_argument("--manual", action="store_true", help="a person makes the contact (default: automatic)")
        check.add_argument("--contact", type=int, help="contact person id (default: the primary contact)")
        check.add_argument("--debt", type=int, action="append", dest="debts", help="document id (repeatable)")
        check.add_argument("--purpose", default=Purpose.COLLECTION.value, choices=[p.value for p in Purpose])
        check.add_argument("--record", action="store_true", help="store the decision in the compliance log")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            if opts["customer"]:
                result = self._ledger_check(opts)
            else:
                result = compliance_check_request(data=self._read_request(opts)).to_dict()
        except ComplianceError as exc:
            self._fail(opts, exc)
            return
        if opts["json"]:
            self.stdout.write(dumps(result))
        else:
            self._print(result)
        sys.exit(EXIT_ALLOWED if result["allowed"] else EXIT_NOT_ALLOWED)

    # ------------------------------------------------------------------------------------ input

    def _read_request(self, opts: dict[str, Any]) -> Any:
        if opts["file"]:
            try:
                with open(opts["file"], encoding="utf-8") as handle:
                    text = handle.read()
            except OSError as exc:
                raise _bad("file", f"cannot read {opts['file']}: {exc.strerror}") from exc
            where = opts["file"]
        else:
            stream = opts.get("stdin") or sys.stdin
            if stream.isatty():
                raise _bad("request", "give --customer, --file, or pipe a JSON request on stdin")
            text = stream.read()
            where = "stdin"
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise _bad("request", f"{where} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc

    def _ledger_check(self, opts: dict[str, Any]) -> dict[str, Any]:
        for name in ("channel", "at"):
            if not opts[name]:
                raise _bad(name, f"--{name} is required with --customer")
        customer = _customer(str(opts["customer"]))
        zone_name = opts["zone"] or customer.timezone or customer.business_unit.timezone or settings.TIME_ZONE
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise _bad("zone", f"unknown time zone {zone_name!r}") from exc
        try:
            when = dt.datetime.fromisoformat(opts["at"].replace("Z", "+00:00"))
        except ValueError as exc:
            raise _bad("at", f"not an ISO 8601 date and time: {opts['at']!r}") from exc
        if when.tzinfo is None:
            when = when.replace(tzinfo=zone)
        decision = compliance_gate(
            customer=customer, channel=opts["channel"], when=when,
            initiated_by=Initiator.MANUAL if opts["manual"] else Initiator.AUTOMATIC, contact=opts["contact"],
            purpose=opts["purpose"], debt_ids=opts["debts"], record=opts["record"], source="cli",
        )
        return {**decision.decision, "customer": customer.pk,
                "contact": decision.contact.pk if decision.contact else None, "decision_id": decision.pk}

    # ------------------------------------------------------------------------------------ output

    def _fail(self, opts: dict[str, Any], exc: ComplianceError) -> None:
        if opts["json"]:
            self.stdout.write(dumps({"error": {"code": str(exc.code), "message": exc.message, "field": exc.field}}))
        self.stderr.write(f"compliance check: {exc.message}")
        sys.exit(EXIT_BAD_INPUT)

    def _print(self, result: dict[str, Any]) -> None:
        self.stdout.write(f"{result['outcome']} (evaluated at {result['evaluated_at']})")
        for hit in result["hits"]:
            self.stdout.write(f"  {hit['rule_id']:<16} {hit['outcome']:<16} {hit['code']:<26} {hit['message']}")
        if result["next_allowed_at"]:
            self.stdout.write(f"Earliest allowed: {result['next_allowed_at']}")
        if result["alerts"]:
            self.stdout.write(f"Alerts: {', '.join(result['alerts'])}")


def _bad(field: str, message: str) -> ComplianceError:
    return ComplianceError(ComplianceErrorCode.INVALID_INPUT, f"{field}: {message}", field=field)


def _customer(text: str) -> Customer:
    qs = Customer.objects.select_related("business_unit")
    found = list(qs.filter(pk=int(text))) if text.isdigit() else []
    found = found or list(qs.filter(external_id=text)[:2])
    if len(found) != 1:
        raise _bad("customer", f"no customer with id or number {text!r}" if not found else f"{text!r} is ambiguous")
    return found[0]
