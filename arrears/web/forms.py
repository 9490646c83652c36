"""Forms for the pages: list filters (GET) and the customer flags (POST).

Filter forms never raise on bad input: an invalid field is dropped and the list shows without it,
so a stale bookmark still opens.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from arrears.ledger.models import BusinessUnit, CustomerKind, DocumentKind, DocumentStatus, Jurisdiction
from arrears.users.models import User

ANY = [("", "Any")]


def _clean_or_empty(form: forms.Form) -> dict[str, Any]:
    """The valid filter values; invalid ones are treated as not given."""
    if not form.is_bound:
        return {}
    form.is_valid()
    data = dict(form.cleaned_data)
    for name in form.errors:
        data.pop(name, None)
    return data


class CustomerFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    business_unit = forms.ModelChoiceField(
        queryset=BusinessUnit.objects.order_by("code"), required=False, empty_label="Any", label="Business unit"
    )
    segment = forms.ChoiceField(required=False, choices=ANY)
    kind = forms.ChoiceField(required=False, choices=ANY + list(CustomerKind.choices))
    jurisdiction = forms.ChoiceField(required=False, choices=ANY + list(Jurisdiction.choices))
    collector = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="Any")
    overdue = forms.BooleanField(required=False, label="Only with overdue")
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("name", "Name A–Z"),
            ("-name", "Name Z–A"),
            ("external_id", "Customer number"),
            ("oldest_due", "Oldest open item first"),
        ],
    )

    def __init__(self, *args: Any, segments: list[str], collectors: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = ANY + [(s, s) for s in segments]
        self.fields["collector"].queryset = collectors

    def filters(self) -> dict[str, Any]:
        data = _clean_or_empty(self)
        return {
            "q": data.get("q") or "",
            "business_unit": data.get("business_unit"),
            "segment": data.get("segment") or "",
            "kind": data.get("kind") or "",
            "jurisdiction": data.get("jurisdiction") or "",
            "collector": data.get("collector"),
            "overdue_only": bool(data.get("overdue")),
            "sort": data.get("sort") or "name",
        }


class DocumentFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Number or reference")
    status = forms.ChoiceField(
        required=False, choices=[*ANY, ("unsettled", "Open or partially paid"), *list(DocumentStatus.choices)]
    )
    kind = forms.ChoiceField(required=False, choices=ANY + list(DocumentKind.choices))
    currency = forms.CharField(required=False, max_length=3)
    business_unit = forms.ModelChoiceField(
        queryset=BusinessUnit.objects.order_by("code"), required=False, empty_label="Any", label="Business unit"
    )
    due_from = forms.DateField(required=False, label="Due from", widget=forms.DateInput(attrs={"type": "date"}))
    due_to = forms.DateField(required=False, label="Due to", widget=forms.DateInput(attrs={"type": "date"}))
    overdue = forms.BooleanField(required=False, label="Overdue only")
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("due_date", "Due date, oldest first"),
            ("-due_date", "Due date, newest first"),
            ("issue_date", "Issue date, oldest first"),
            ("-issue_date", "Issue date, newest first"),
        ],
    )

    def clean_currency(self) -> str:
        value = (self.cleaned_data.get("currency") or "").strip().upper()
        if value and (len(value) != 3 or not value.isalpha()):
            raise forms.ValidationError("A currency is a three-letter ISO code, e.g. EUR.")
        return value

    def filters(self) -> dict[str, Any]:
        data = _clean_or_empty(self)
        return {
            "q": data.get("q") or "",
            "status": data.get("status") or "",
            "kind": data.get("kind") or "",
            "currency": data.get("currency") or "",
            "business_unit": data.get("business_unit"),
            "due_from": data.get("due_from"),
            "due_to": data.get("due_to"),
            "overdue_only": bool(data.get("overdue")),
            "sort": data.get("sort") or "due_date",
        }


class AuditFilterForm(forms.Form):
    action = forms.CharField(required=False, max_length=32)
    object_type = forms.CharField(required=False, max_length=64, label="Object type")
    actor = forms.CharField(required=False, max_length=150, label="Actor (username)")
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def filters(self) -> dict[str, Any]:
        data = _clean_or_empty(self)
        return {
            "action": data.get("action") or "",
            "object_type": data.get("object_type") or "",
            "actor": data.get("actor") or "",
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }


class CustomerFlagsForm(forms.Form):
    """The customer-level holds a collector may set; saved through `ledger.services.customer_update`."""

    paused = forms.BooleanField(required=False, label="Collections paused")
    cease_communication = forms.BooleanField(required=False, label="Cease communication")
    do_not_contact = forms.BooleanField(required=False, label="Do not contact")
    bankruptcy = forms.BooleanField(required=False, label="Bankruptcy")
    attorney_represented = forms.BooleanField(required=False, label="Represented by an attorney")

    FIELDS = ("paused", "cease_communication", "do_not_contact", "bankruptcy", "attorney_represented")


def day_bounds(*, date_from: dt.date | None, date_to: dt.date | None, tz: dt.tzinfo) -> tuple[Any, Any]:
    """Whole business days [from 00:00, to+1 00:00) in the company's time zone as aware datetimes."""
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=tz) if date_from else None
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz) if date_to else None
    return start, end
