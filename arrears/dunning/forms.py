"""Forms for the strategy editor and the segment rules (the pages in views.py).

They only parse the page's input into the shapes the services take; the rules (which triggers need
an event, non-negative minimum amounts, a salt for every challenger split...) live in
``services/strategies.py``, whose ``DunningError.field`` the views put next to the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from arrears.dunning.models import (
    BusinessDays,
    EventKind,
    SegmentRule,
    StepChannel,
    Strategy,
    StrategyVersion,
    Trigger,
)

_TEXT = {"class": "cell"}


class StepForm(forms.Form):
    key = forms.SlugField(max_length=50, widget=forms.TextInput(attrs={"size": 9, **_TEXT}))
    trigger = forms.ChoiceField(choices=[(Trigger.DAYS_FROM_DUE, "Days from due"),
                                         (Trigger.DAYS_SINCE_PREVIOUS, "Days since previous"),
                                         (Trigger.EVENT, "Event")], initial=Trigger.DAYS_FROM_DUE)
    event = forms.ChoiceField(choices=[("", "—"), *EventKind.choices], required=False)
    offset_days = forms.IntegerField(initial=0, widget=forms.NumberInput(attrs={"style": "width:5.5em"}))
    channel = forms.ChoiceField(choices=StepChannel.choices, initial=StepChannel.EMAIL)
    template_key = forms.CharField(max_length=100, required=False, widget=forms.TextInput(attrs={"size": 11, **_TEXT}))
    min_amount = forms.DecimalField(max_digits=20, decimal_places=3, initial=0,
                                    widget=forms.TextInput(attrs={"size": 7, "inputmode": "decimal"}))
    business_days = forms.ChoiceField(choices=[(BusinessDays.NONE, "Date stands"), (BusinessDays.NEXT, "Next business day"),
                                               (BusinessDays.PREVIOUS, "Previous business day")],
                                      initial=BusinessDays.NEXT)
    allow_skip = forms.BooleanField(required=False, initial=True)

    def step(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {name: data[name] for name in StepForm.base_fields if name not in ("ORDER", "DELETE")}


class BaseStepFormSet(forms.BaseFormSet):
    def steps(self) -> tuple[list[dict[str, Any]], list[StepForm]]:
        """The kept rows in their order, as the services' step dicts, and the form behind each one."""
        kept = list(self.ordered_forms)  # without the removed rows and the untouched blank ones
        return [f.step() for f in kept], kept


StepFormSet = forms.formset_factory(StepForm, formset=BaseStepFormSet, extra=0, can_delete=True, can_order=True)
StepFormSetWithBlank = forms.formset_factory(StepForm, formset=BaseStepFormSet, extra=1, can_delete=True,
                                             can_order=True)


def step_initial(version: StrategyVersion | None) -> list[dict[str, Any]]:
    if version is None:
        return []
    return [
        {"key": s.key, "trigger": s.trigger, "event": s.event, "offset_days": s.offset_days, "channel": s.channel,
         "template_key": s.template_key, "min_amount": s.min_amount, "business_days": s.business_days,
         "allow_skip": s.allow_skip, "ORDER": i + 1}
        for i, s in enumerate(version.steps.order_by("position"))
    ]


class VersionForm(forms.Form):
    """The version's own fields and the required note saying what changed."""

    note = forms.CharField(max_length=200, label="What changed", widget=forms.TextInput(attrs={"size": 60}),
                           error_messages={"required": "Say what changed."})
    amount_currency = forms.CharField(max_length=3, label="Currency of the minimum amounts",
                                      widget=forms.TextInput(attrs={"size": 4}))
    thank_you = forms.BooleanField(required=False, label="Thank customers for on-time payments and kept promises")
    thank_you_channel = forms.ChoiceField(choices=StepChannel.choices, label="Thank-you channel")
    thank_you_template = forms.CharField(max_length=100, required=False, label="Thank-you template")
    thank_you_within_days = forms.IntegerField(min_value=0, label="Paid within (days after due)")

    def clean_amount_currency(self) -> str:
        return self.cleaned_data["amount_currency"].upper()

    def version_fields(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "note"}


def version_initial(version: StrategyVersion | None) -> dict[str, Any]:
    if version is None:
        return {"amount_currency": "EUR", "thank_you_channel": StepChannel.EMAIL, "thank_you_template": "thank_you",
                "thank_you_within_days": 7}
    return {"amount_currency": version.amount_currency, "thank_you": version.thank_you,
            "thank_you_channel": version.thank_you_channel, "thank_you_template": version.thank_you_template,
            "thank_you_within_days": version.thank_you_within_days}


class StrategyForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))
    is_default = forms.BooleanField(required=False, label="Default (customers no segment rule matches get it)")
    copy_from = forms.ModelChoiceField(queryset=Strategy.objects.order_by("name"), required=False,
                                       label="Start from the current ladder of", empty_label="an empty ladder")


def _list_field(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(required=False, label=label, help_text=help_text or "comma-separated; empty = any",
                           widget=forms.TextInput(attrs={"size": 30}))


class SegmentRuleForm(forms.Form):
    name = forms.CharField(max_length=100)
    strategy = forms.ModelChoiceField(queryset=Strategy.objects.order_by("name"))
    position = forms.IntegerField(required=False, min_value=0, help_text="rules are tried in this order; empty = last")
    active = forms.BooleanField(required=False, initial=True)
    kinds = _list_field("Customer kinds", 'e.g. "consumer, commercial"; empty = any')
    jurisdictions = _list_field("Jurisdictions", 'e.g. "uk, us_consumer"; empty = any')
    segments = _list_field("Segments")
    risk_bands = _list_field("Risk bands")
    currencies = _list_field("Currencies", "the business unit's home currency; empty = any")
    business_units = _list_field("Business units", "business unit codes; empty = any")
    min_balance = forms.DecimalField(required=False, max_digits=20, decimal_places=3)
    max_balance = forms.DecimalField(required=False, max_digits=20, decimal_places=3)
    min_oldest_dpd = forms.IntegerField(required=False, label="Min oldest days past due")
    max_oldest_dpd = forms.IntegerField(required=False, label="Max oldest days past due")
    challenger = forms.ModelChoiceField(queryset=Strategy.objects.order_by("name"), required=False,
                                        empty_label="no challenger")
    challenger_percent = forms.DecimalField(required=False, max_digits=5, decimal_places=2, initial=0,
                                            label="Challenger %")
    salt = forms.CharField(required=False, max_length=64, help_text="fixes which customers get the challenger")

    LISTS = ("kinds", "jurisdictions", "segments", "risk_bands", "currencies", "business_units")

    def rule_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for name in self.LISTS:
            data[name] = [v.strip() for v in data[name].split(",") if v.strip()]
        data["currencies"] = [c.upper() for c in data["currencies"]]
        data["challenger_percent"] = data["challenger_percent"] or 0
        return data


def rule_initial(rule: SegmentRule) -> dict[str, Any]:
    data = {f: getattr(rule, f) for f in ("name", "position", "active", "min_balance", "max_balance",
                                          "min_oldest_dpd", "max_oldest_dpd", "challenger_percent", "salt")}
    data.update({name: ", ".join(getattr(rule, name)) for name in SegmentRuleForm.LISTS})
    data["strategy"] = rule.strategy_id
    data["challenger"] = rule.challenger_id
    return data


class AsOfForm(forms.Form):
    as_of = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def as_of_or(self, default: dt.date) -> dt.date:
        return (self.cleaned_data.get("as_of") if self.is_valid() else None) or default
