"""Forms of the workspace pages: parse and check the input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from arrears.disputes.models import DisputeReason
from arrears.ledger.models import Contact, Customer, Document, DocumentKind
from arrears.users.models import Team, User
from arrears.worklist.models import CallOutcome, TargetPeriod, TargetScope
from arrears.worklist.selectors import money_text

# The keys 1-8 choose these outcomes on the call form, in this order.
OUTCOME_KEYS = [(str(n), value, label) for n, (value, label) in enumerate(CallOutcome.choices, start=1)]


class CallLogForm(forms.Form):
    outcome = forms.ChoiceField(choices=CallOutcome.choices, widget=forms.RadioSelect)
    contact = forms.ModelChoiceField(queryset=Contact.objects.none(), required=False, empty_label="(primary contact)")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    follow_up_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    promise_amount = forms.DecimalField(required=False, max_digits=20, decimal_places=3, min_value=0)
    promise_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    documents = forms.ModelMultipleChoiceField(queryset=Document.objects.none(), required=False,
                                               widget=forms.CheckboxSelectMultiple)
    dispute_reason = forms.ChoiceField(choices=[("", "—"), *DisputeReason.choices], required=False)
    dispute_amount = forms.DecimalField(required=False, max_digits=20, decimal_places=3, min_value=0,
                                        help_text="with one document: the part disputed (blank: all of it)")
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["contact"].queryset = Contact.objects.filter(customer=customer).order_by("-is_primary", "name")
        self.fields["documents"].queryset = (
            Document.objects.filter(customer=customer, open_amount__gt=0).exclude(kind=DocumentKind.CREDIT_NOTE).order_by("due_date", "id")
        )
        self.fields["documents"].label_from_instance = lambda d: f"{d.external_id} · {money_text(d.open_amount, d.currency)} open, due {d.due_date}"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        outcome = data.get("outcome")
        if outcome == CallOutcome.PROMISE:
            if not data.get("promise_amount"):
                self.add_error("promise_amount", "How much did they promise?")
            if not data.get("promise_date"):
                self.add_error("promise_date", "By when?")
        if outcome == CallOutcome.DISPUTE_RAISED:
            if not data.get("dispute_reason"):
                self.add_error("dispute_reason", "Why do they dispute?")
            if not data.get("documents"):
                self.add_error("documents", "Which documents are disputed?")
        if outcome == CallOutcome.CALLBACK_REQUESTED and not data.get("follow_up_date"):
            self.add_error("follow_up_date", "When should we call back?")
        return data

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        docs = list(d.get("documents") or [])
        kwargs: dict[str, Any] = {
            "outcome": d["outcome"], "contact": d.get("contact"), "notes": d.get("notes", ""),
            "follow_up_date": d.get("follow_up_date"),
        }
        if d["outcome"] == CallOutcome.PROMISE:
            kwargs |= {"promise_amount": d["promise_amount"], "promise_date": d["promise_date"], "promise_documents": docs}
        if d["outcome"] == CallOutcome.DISPUTE_RAISED:
            amount = d.get("dispute_amount") if len(docs) == 1 else None
            kwargs |= {"dispute_reason": d["dispute_reason"], "dispute_documents": [(doc, amount) for doc in docs]}
        return kwargs


class NoteForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class TargetForm(forms.Form):
    scope = forms.ChoiceField(choices=TargetScope.choices)
    user = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    period = forms.ChoiceField(choices=TargetPeriod.choices)
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.DecimalField(max_digits=20, decimal_places=3, min_value=0)
    currency = forms.CharField(max_length=3, initial="EUR")

    def __init__(self, *args: Any, users: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users
        self.fields["team"].queryset = teams


class AbsenceForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none())
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(required=False, max_length=200)

    def __init__(self, *args: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users
