"""Compliance pages: the decision log (blocked contacts visible), one decision, and the what-if checker.

The log is for heads, administrators, auditors and team leads (their team's customers). The checker
is for everyone signed in; a collector can only check their own customers (a lead their team's).
What-if checks never store a decision.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from arrears.compliance.errors import ComplianceError
from arrears.compliance.models import Initiator, Outcome
from arrears.compliance.rules import Purpose
from arrears.compliance.selectors import (
    compliance_decision_get,
    compliance_decision_list,
    compliance_may_read_decisions,
    customer_for_check,
)
from arrears.compliance.services import compliance_check_request, compliance_gate
from arrears.ledger.models import Channel, Customer

PAGE_SIZE = 50
RULE_IDS = (
    "US-TIME", "B2B-TIME", "UK-CONTACT", "RBI", "HOLIDAY", "US-FREQ", "US-STATE", "HOLD-DNC", "HOLD-PAUSED",
    "US-CEASE", "HOLD-CEASE", "US-ATTY", "HOLD-ATTY", "US-BK", "HOLD-INSOLVENCY", "US-MEDIUM", "HOLD-MEDIUM",
    "US-ELEC", "OPT-OUT", "TCPA", "US-PLACE", "US-3P", "US-DISCLOSE", "US-VALID", "US-DISPUTE", "UK-DISPUTE",
    "UK-BSPACE", "UK-VULN", "US-TBD", "UK-SBD", "US-CRA", "US-SALE", "EU-LPD", "GDPR-INFO", "GATE-FACTS",
)
OUTCOME_WORDS = {"ALLOW": "Passed", "ALLOW_WITH_FLAG": "Flag", "REVIEW": "Review", "BLOCK": "Blocked"}

# ---------------------------------------------------------------------------------------------------
# Forms (parsing only; the rules live in the services)
# ---------------------------------------------------------------------------------------------------


def _blank(choices: list[tuple[str, str]], label: str = "Any") -> list[tuple[str, str]]:
    return [("", label), *choices]


class DecisionFilterForm(forms.Form):
    allowed = forms.ChoiceField(required=False, choices=[("", "All"), ("no", "Not allowed"), ("yes", "Allowed")])
    outcome = forms.ChoiceField(required=False, choices=_blank(Outcome.choices))
    rule = forms.CharField(required=False, max_length=32)
    channel = forms.ChoiceField(required=False, choices=_blank(Channel.choices))
    initiated_by = forms.ChoiceField(required=False, choices=_blank(Initiator.choices))
    customer = forms.CharField(required=False, max_length=100, help_text="id, number or name")
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def filters(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {}
        data = self.cleaned_data
        tz = ZoneInfo(settings.TIME_ZONE)
        out: dict[str, Any] = {
            "allowed": {"yes": True, "no": False}.get(data["allowed"]),
            "outcome": data["outcome"] or None,
            "rule": data["rule"] or None,
            "channel": data["channel"] or None,
            "initiated_by": data["initiated_by"] or None,
            "customer": data["customer"] or None,
        }
        if data["date_from"]:
            out["date_from"] = dt.datetime.combine(data["date_from"], dt.time(0), tzinfo=tz)
        if data["date_to"]:  # inclusive end date
            out["date_to"] = dt.datetime.combine(data["date_to"] + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
        return out


class CheckForm(forms.Form):
    customer = forms.CharField(max_length=64, help_text="customer id or number")
    channel = forms.ChoiceField(choices=Channel.choices)
    when = forms.DateTimeField(
        label="Date and time", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    zone = forms.CharField(required=False, max_length=64, label="Time zone",
                           help_text="IANA zone of the date and time; blank: the customer's")
    initiated_by = forms.ChoiceField(choices=Initiator.choices, initial=Initiator.MANUAL)
    purpose = forms.ChoiceField(choices=[(p.value, p.value.replace("_", " ")) for p in Purpose])

    def clean_zone(self) -> str:
        zone = self.cleaned_data["zone"].strip()
        if zone:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise forms.ValidationError(f"unknown time zone {zone!r}") from exc
        return zone


class JsonCheckForm(forms.Form):
    request = forms.CharField(widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}), label="Request (JSON)")

    def clean_request(self) -> Any:
        try:
            return json.loads(self.cleaned_data["request"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc


JSON_EXAMPLE = json.dumps(
    {
        "contact": {"at": "2026-11-23T22:00:00-05:00", "channel": "phone", "debt_ids": ["INV-1"],
                    "initiated_by": "manual"},
        "context": {"profile": "us_consumer",
                    "location": {"addresses": [{"country": "US", "region": "NY"}], "phones": ["+12125550123"]}},
        "policy": {},
    },
    indent=2,
)

# ---------------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------------


def _page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


@login_required
def decision_list(request: HttpRequest) -> HttpResponse:
    if not compliance_may_read_decisions(user=request.user):
        raise PermissionDenied("the compliance log is for heads, administrators, auditors and team leads")
    form = DecisionFilterForm(request.GET or None)
    qs = compliance_decision_list(user=request.user, **form.filters())
    number = _page_number(request.GET.get("page"))
    rows = list(qs[(number - 1) * PAGE_SIZE : number * PAGE_SIZE + 1])  # one extra row: is there a next page?
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "compliance/decision_list.html", {
        "form": form,
        "rows": rows[:PAGE_SIZE],
        "page": number,
        "has_next": len(rows) > PAGE_SIZE,
        "query": query.urlencode(),
        "rule_ids": RULE_IDS,
    })


@login_required
def decision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not compliance_may_read_decisions(user=request.user):
        raise PermissionDenied("the compliance log is for heads, administrators, auditors and team leads")
    decision = compliance_decision_get(pk=pk, user=request.user)
    return render(request, "compliance/decision_detail.html", {
        "decision": decision,
        "result": _for_display(decision.decision),
    })


def _for_display(result: dict[str, Any]) -> dict[str, Any]:
    """The decision JSON with words for outcomes and pretty inputs, for the templates."""
    hits = []
    for h in result.get("hits", []):
        hits.append({**h, "word": OUTCOME_WORDS.get(h["outcome"], h["outcome"]),
                     "inputs_text": json.dumps(h.get("inputs", {}), indent=1, sort_keys=True)})
    order = {"BLOCK": 0, "REVIEW": 1, "ALLOW_WITH_FLAG": 2, "ALLOW": 3}
    hits.sort(key=lambda h: order.get(h["outcome"], 4))
    return {**result, "hits": hits, "word": OUTCOME_WORDS.get(result.get("outcome", ""), "")}


def _customer(user: Any, text: str) -> Customer:
    """The customer typed into the check form (id or number), through the permission gate."""
    text = text.strip()
    if text.isdigit():
        try:
            return customer_for_check(user=user, pk=int(text))
        except Http404:
            pass
    match = Customer.objects.filter(external_id__iexact=text).values_list("pk", flat=True)[:2]
    if len(match) == 1:
        return customer_for_check(user=user, pk=match[0])
    raise Http404("No such customer")


def _zone_for(customer: Customer) -> str:
    return customer.timezone or customer.business_unit.timezone or settings.TIME_ZONE


@login_required
@require_http_methods(["GET", "POST"])
def compliance_check(request: HttpRequest) -> HttpResponse:
    mode = request.POST.get("mode", "ledger") if request.method == "POST" else ""
    form = CheckForm(request.POST if mode == "ledger" else None,
                     initial={"initiated_by": Initiator.MANUAL, "customer": request.GET.get("customer", "")})
    json_form = JsonCheckForm(request.POST if mode == "json" else None, initial={"request": JSON_EXAMPLE})
    context: dict[str, Any] = {"form": form, "json_form": json_form, "mode": mode or "ledger"}
    status = 200
    if mode == "ledger" and form.is_valid():
        data = form.cleaned_data
        try:
            customer = _customer(request.user, data["customer"])
        except Http404:
            form.add_error("customer", "No such customer among those you may check.")
            customer = None
        if customer is not None:
            zone = data["zone"] or _zone_for(customer)
            when = data["when"].replace(tzinfo=None).replace(tzinfo=ZoneInfo(zone))
            try:
                decision = compliance_gate(customer=customer, channel=data["channel"], when=when,
                                           initiated_by=data["initiated_by"], purpose=data["purpose"],
                                           actor=request.user, record=False, source="what-if page")
            except ComplianceError as exc:
                context["error"] = exc.message
            else:
                context.update(result=_for_display(decision.decision), customer=customer, zone=zone, when=when,
                               contact=decision.contact)
    elif mode == "json" and json_form.is_valid():
        try:
            decision_dict = compliance_check_request(data=json_form.cleaned_data["request"]).to_dict()
        except ComplianceError as exc:
            context["error"] = exc.message
        else:
            context["result"] = _for_display(decision_dict)
    if mode and "result" not in context:
        status = 400
    return render(request, "compliance/check.html", context, status=status)
