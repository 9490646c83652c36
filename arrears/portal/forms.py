"""Portal forms: they parse and bound the input; the rules live in the services."""

from __future__ import annotations

from django import forms

from arrears.disputes.models import DisputeReason
from arrears.ledger.models import Channel
from arrears.portal.models import PaymentMethod
from arrears.promises.models import PlanFrequency


class DocumentChoiceForm(forms.Form):
    documents = forms.TypedMultipleChoiceField(coerce=int, choices=(), error_messages={
        "required": "Choose at least one document.",
        "invalid_choice": "That document is not open on your account.",
    })

    def __init__(self, *args, document_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["documents"].choices = list(document_choices)


class PayForm(DocumentChoiceForm):
    method = forms.ChoiceField(choices=PaymentMethod.choices, widget=forms.RadioSelect)
    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)


class MandateForm(DocumentChoiceForm):
    debtor_name = forms.CharField(max_length=140, label="Account holder")
    iban = forms.CharField(max_length=42, label="IBAN")
    bic = forms.CharField(max_length=11, required=False, label="BIC (filled in from the IBAN when left blank)")
    collect_when_due = forms.BooleanField(required=False, label="Also collect my later invoices when they fall due")
    accept = forms.BooleanField(label="I authorise the creditor to collect these payments by SEPA direct debit")
    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)


class PromiseForm(forms.Form):
    documents = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=False,
                                               widget=forms.CheckboxSelectMultiple)
    amount = forms.DecimalField(max_digits=20, decimal_places=3, min_value=0)
    currency = forms.ChoiceField(choices=())
    promised_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, document_choices=(), currencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["documents"].choices = list(document_choices)
        self.fields["currency"].choices = [(c, c) for c in currencies]


class DisputeForm(forms.Form):
    reason = forms.ChoiceField(choices=DisputeReason.choices)
    comment = forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    attachment = forms.FileField(required=False, help_text="PDF, image, Word, Excel, text; up to 10 MB")


class PlanForm(forms.Form):
    documents = forms.TypedMultipleChoiceField(coerce=int, choices=(), widget=forms.CheckboxSelectMultiple)
    instalment_count = forms.IntegerField(min_value=2, max_value=120, label="Number of instalments")
    frequency = forms.ChoiceField(choices=PlanFrequency.choices, initial=PlanFrequency.MONTHLY)
    first_due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="First instalment on")
    note = forms.CharField(max_length=400, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, document_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["documents"].choices = list(document_choices)


class PreferencesForm(forms.Form):
    preferred_channel = forms.ChoiceField(choices=Channel.choices, widget=forms.RadioSelect)
    opted_out = forms.MultipleChoiceField(
        choices=Channel.choices, required=False, widget=forms.CheckboxSelectMultiple,
        label="Do not contact me by",
    )
