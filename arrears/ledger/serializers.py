"""Input and output shapes of the ledger API. No business rules here: they live in the services.

Money goes out as a string quantised to its currency's minor unit, with the currency beside it
("amount": "123.45", "currency": "EUR"). Dates are ISO 8601.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import models
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from arrears.common.money import MoneyError, check_currency, parse_amount, quantize
from arrears.ledger.models import (
    Allocation,
    AllocationSource,
    BusinessUnit,
    Channel,
    ChannelConsent,
    ConsentStatus,
    Contact,
    Customer,
    CustomerKind,
    Document,
    DocumentKind,
    DocumentStatus,
    Jurisdiction,
    Payment,
    WriteOff,
)
from arrears.ledger.selectors import customer_list_visible, document_list_visible
from arrears.users.models import User

MONEY_DIGITS = {"max_digits": 20, "decimal_places": 3}


class MoneyField(serializers.DecimalField):
    """A read-only amount rendered to its currency's exponent: 100 EUR -> "100.00", 100 JPY -> "100"."""

    def __init__(self, *, currency_field: str = "currency", **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**MONEY_DIGITS, **kwargs)
        self.currency_field = currency_field

    def get_attribute(self, instance: Any) -> Any:
        value = super().get_attribute(instance)
        if value is None:
            return None
        currency = instance[self.currency_field] if isinstance(instance, dict) else getattr(instance, self.currency_field)
        return (value, currency)

    def to_representation(self, value: Any) -> str:
        amount, currency = value
        return str(quantize(Decimal(amount), currency)) if currency else str(amount)


class EnumChoiceField(serializers.ChoiceField):
    """A choice field tied to a model's TextChoices, documented once as `<Choices>Enum` in the schema."""

    def __init__(self, choices_enum: type[models.TextChoices], **kwargs: Any) -> None:
        self.choices_enum = choices_enum
        super().__init__(choices=choices_enum.choices, **kwargs)


class EnumChoiceFieldExtension(OpenApiSerializerFieldExtension):
    """Names enums after their TextChoices class, so `status` of a document and of a consent do not collide."""

    target_class = EnumChoiceField

    def get_name(self) -> str:
        return f"{self.target.choices_enum.__name__}Enum"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        choices = self.target.choices_enum
        return {
            "type": "string",
            "enum": list(choices.values),
            "description": "\n".join(f"* `{value}` - {label}" for value, label in choices.choices),
        }


class VisiblePrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """An id resolved through a permission gate: what the user may not see "does not exist"."""

    def __init__(self, gate: Any, **kwargs: Any) -> None:
        self.gate = gate
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        return self.gate(user=self.context["request"].user)


def amount_in(value: Decimal | str, currency: str, field: str) -> Decimal:
    """Parse an input amount exactly in `currency`; a MoneyError becomes a validation error on `field`."""
    try:
        return parse_amount(value, currency)
    except MoneyError as exc:
        raise serializers.ValidationError({field: str(exc)}) from exc


def _user(serializer: serializers.Serializer) -> Any:
    return serializer.context["request"].user


# ---------------------------------------------------------------- business units


class BusinessUnitOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = BusinessUnit
        fields = ["id", "code", "name", "home_currency", "country", "subdivision", "timezone"]


# ---------------------------------------------------------------- customers


class CustomerBalanceSerializer(serializers.Serializer):
    currency = serializers.CharField()
    open_amount = MoneyField(help_text="open debit documents (invoices, debit notes)")
    overdue_amount = MoneyField(help_text="the part of open_amount past its due date today")
    credit_amount = MoneyField(help_text="credit notes not yet applied")


class CustomerOutputSerializer(serializers.ModelSerializer):
    business_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    collector_username = serializers.CharField(source="collector.username", read_only=True, default=None)
    credit_limit = MoneyField(currency_field="credit_currency", allow_null=True)
    kind = EnumChoiceField(CustomerKind, read_only=True)
    jurisdiction = EnumChoiceField(Jurisdiction, read_only=True)
    preferred_channel = EnumChoiceField(Channel, read_only=True)
    balances = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id", "business_unit", "external_id", "name", "kind", "jurisdiction", "country", "segment", "timezone",
            "language", "preferred_channel", "credit_limit", "credit_currency", "payment_terms_days", "collector",
            "collector_username", "parent", "paused", "cease_communication", "do_not_contact", "bankruptcy",
            "attorney_represented", "attributes", "balances", "created_at", "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(CustomerBalanceSerializer(many=True))
    def get_balances(self, customer: Customer) -> list[dict[str, Any]]:
        rows = self.context.get("balances", {}).get(customer.pk, [])
        return CustomerBalanceSerializer(rows, many=True).data


class _CustomerWriteSerializer(serializers.Serializer):
    """Fields a person may set on a customer; identity (business unit, external id) only on create."""

    name = serializers.CharField(max_length=200)
    kind = EnumChoiceField(CustomerKind, required=False)
    jurisdiction = EnumChoiceField(Jurisdiction, required=False)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True)
    segment = serializers.CharField(max_length=64, required=False, allow_blank=True)
    timezone = serializers.CharField(max_length=64, required=False, allow_blank=True, help_text="IANA zone")
    language = serializers.CharField(max_length=16, required=False)
    preferred_channel = EnumChoiceField(Channel, required=False)
    credit_limit = serializers.DecimalField(**MONEY_DIGITS, required=False, allow_null=True)
    credit_currency = serializers.CharField(max_length=3, required=False, allow_blank=True)
    payment_terms_days = serializers.IntegerField(min_value=0, max_value=3650, required=False)
    collector = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True, help_text="user id"
    )
    parent = VisiblePrimaryKeyField(
        customer_list_visible, queryset=Customer.objects.none(), required=False, allow_null=True,
        help_text="parent customer id",
    )
    paused = serializers.BooleanField(required=False)
    cease_communication = serializers.BooleanField(required=False)
    do_not_contact = serializers.BooleanField(required=False)
    bankruptcy = serializers.BooleanField(required=False)
    attorney_represented = serializers.BooleanField(required=False)

    def validate_collector(self, collector: User | None) -> User | None:
        visible = _user(self).visible_collector_ids()
        if visible is not None and (collector is None or collector.pk not in visible):
            raise serializers.ValidationError("you may assign only yourself or a collector of your team")
        return collector

    def validate_country(self, value: str) -> str:
        return value.upper()

    def validate_timezone(self, value: str) -> str:
        if value:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise serializers.ValidationError(f"unknown time zone {value!r} (an IANA name, e.g. Europe/Berlin)") from exc
        return value

    def validate_credit_currency(self, value: str) -> str:
        if not value:
            return ""
        try:
            return check_currency(value)
        except MoneyError as exc:
            raise serializers.ValidationError(str(exc)) from exc


class CustomerCreateInputSerializer(_CustomerWriteSerializer):
    business_unit = serializers.SlugRelatedField(slug_field="code", queryset=BusinessUnit.objects.all())
    external_id = serializers.CharField(max_length=64, help_text="the customer number in the source system")
    attributes = serializers.JSONField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Someone who sees only part of the portfolio would lose sight of an unassigned customer.
        if "collector" not in attrs and _user(self).visible_collector_ids() is not None:
            attrs["collector"] = _user(self)
        return attrs


class CustomerUpdateInputSerializer(_CustomerWriteSerializer):
    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        customer: Customer = self.instance
        if attrs.get("credit_limit") is not None:
            currency = (
                attrs.get("credit_currency") or customer.credit_currency or customer.business_unit.home_currency
            )
            attrs["credit_currency"] = currency
            attrs["credit_limit"] = amount_in(attrs["credit_limit"], currency, "credit_limit")
            if attrs["credit_limit"] < 0:
                raise serializers.ValidationError({"credit_limit": "a credit limit cannot be negative"})
        return attrs

    def validate_parent(self, parent: Customer | None) -> Customer | None:
        if parent is not None and self.instance is not None and parent.pk == self.instance.pk:
            raise serializers.ValidationError("a customer cannot be its own parent")
        return parent


# ---------------------------------------------------------------- contacts and consents


class ConsentOutputSerializer(serializers.ModelSerializer):
    channel = EnumChoiceField(Channel, read_only=True)
    status = EnumChoiceField(ConsentStatus, read_only=True)

    class Meta:
        model = ChannelConsent
        fields = ["channel", "status", "changed_at", "source"]
        read_only_fields = fields


class ConsentInputSerializer(serializers.Serializer):
    status = EnumChoiceField(ConsentStatus)
    changed_at = serializers.DateTimeField(required=False, help_text="when it was given or withdrawn; default now")
    source = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text="e.g. web form, call")


def consents_for(contact: Contact) -> list[ChannelConsent]:
    """One row per channel; a channel with no record reads as unknown (the model's default)."""
    recorded = {c.channel: c for c in contact.consents.all()}
    return [recorded.get(ch) or ChannelConsent(contact=contact, channel=ch) for ch in Channel.values]


class ContactOutputSerializer(serializers.ModelSerializer):
    consents = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = [
            "id", "customer", "name", "role", "email", "phone", "address_line1", "address_line2", "postal_code",
            "city", "region", "country", "is_primary", "consents", "created_at", "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ConsentOutputSerializer(many=True))
    def get_consents(self, contact: Contact) -> list[dict[str, Any]]:
        return ConsentOutputSerializer(consents_for(contact), many=True).data


class ContactInputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = [
            "name", "role", "email", "phone", "address_line1", "address_line2", "postal_code", "city", "region",
            "country", "is_primary",
        ]
        extra_kwargs = {"phone": {"help_text": "E.164 (+4930123456) or national with the contact's country"}}


# ---------------------------------------------------------------- documents


class DocumentOutputSerializer(serializers.ModelSerializer):
    business_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    amount = MoneyField()
    open_amount = MoneyField(help_text="derived from allocations; read-only")
    kind = EnumChoiceField(DocumentKind, read_only=True)
    status = EnumChoiceField(DocumentStatus, read_only=True, help_text="derived from allocations; read-only")
    days_past_due = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id", "business_unit", "customer", "customer_name", "external_id", "kind", "issue_date", "due_date",
            "amount", "currency", "open_amount", "status", "closed_date", "days_past_due", "reference",
            "attributes", "created_at", "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_days_past_due(self, document: Document) -> int:
        """Days past due today for an open debit document; 0 when it is not due yet or settled."""
        as_of: dt.date | None = self.context.get("as_of")
        if as_of is None or not document.is_debit or document.open_amount <= 0:
            return 0
        return max((as_of - document.due_date).days, 0)


class DocumentCreateInputSerializer(serializers.Serializer):
    customer = VisiblePrimaryKeyField(customer_list_visible, queryset=Customer.objects.none(), help_text="customer id")
    external_id = serializers.CharField(max_length=64, help_text="the document number in the source system")
    kind = EnumChoiceField(DocumentKind, default=DocumentKind.INVOICE)
    issue_date = serializers.DateField()
    due_date = serializers.DateField()
    amount = serializers.DecimalField(**MONEY_DIGITS, help_text='positive, as a string: "123.45"')
    currency = serializers.CharField(max_length=3, help_text="ISO 4217")
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True)
    attributes = serializers.JSONField(required=False)



class WriteOffInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        **MONEY_DIGITS, required=False, allow_null=True, help_text="default: the whole open amount"
    )
    date = serializers.DateField()
    reason = serializers.CharField(max_length=200)


class WriteOffOutputSerializer(serializers.ModelSerializer):
    amount = MoneyField()
    document = DocumentOutputSerializer(read_only=True)

    class Meta:
        model = WriteOff
        fields = ["id", "amount", "currency", "date", "reason", "approved_by", "document", "created_at"]
        read_only_fields = fields


# ---------------------------------------------------------------- payments and allocations


class PaymentOutputSerializer(serializers.ModelSerializer):
    business_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    amount = MoneyField()
    unapplied_amount = MoneyField(help_text="derived: amount less allocations; read-only")

    class Meta:
        model = Payment
        fields = [
            "id", "business_unit", "customer", "external_id", "received_date", "amount", "currency",
            "unapplied_amount", "method", "reference", "created_at", "updated_at",
        ]
        read_only_fields = fields


class PaymentCreateInputSerializer(serializers.Serializer):
    customer = VisiblePrimaryKeyField(customer_list_visible, queryset=Customer.objects.none(), help_text="customer id")
    external_id = serializers.CharField(max_length=64, help_text="the payment reference in the bank or PSP")
    received_date = serializers.DateField()
    amount = serializers.DecimalField(**MONEY_DIGITS, help_text='positive, as a string: "123.45"')
    currency = serializers.CharField(max_length=3, help_text="ISO 4217")
    method = serializers.CharField(max_length=32, required=False, allow_blank=True)
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def validate_currency(self, value: str) -> str:
        try:
            return check_currency(value)
        except MoneyError as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["amount"] = amount_in(attrs["amount"], attrs["currency"], "amount")
        if attrs["amount"] <= 0:
            raise serializers.ValidationError({"amount": "a payment must be positive"})
        customer = attrs["customer"]
        if Payment.objects.filter(business_unit_id=customer.business_unit_id, external_id=attrs["external_id"]).exists():
            raise serializers.ValidationError(
                {"external_id": f"payment {attrs['external_id']!r} already exists in this business unit"}
            )
        return attrs


class AllocationLineInputSerializer(serializers.Serializer):
    document = VisiblePrimaryKeyField(document_list_visible, queryset=Document.objects.none(), help_text="document id")
    amount = serializers.DecimalField(**MONEY_DIGITS, help_text='as a string: "12.34"')

class PaymentAllocateInputSerializer(serializers.Serializer):
    auto = serializers.BooleanField(required=False, default=False, help_text="oldest due first, as far as it goes")
    allocations = AllocationLineInputSerializer(many=True, required=False, help_text="explicit document amounts")
    date = serializers.DateField(required=False, help_text="application date; default the payment's received date")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        lines = attrs.get("allocations")
        if attrs.get("auto") == bool(lines):
            raise serializers.ValidationError(
                {"allocations": 'give either "auto": true or a non-empty "allocations" list, not both'}
            )
        if lines:
            payment: Payment = self.context["payment"]
            ids = [line["document"].pk for line in lines]
            if len(set(ids)) != len(ids):
                raise serializers.ValidationError({"allocations": "each document may appear only once"})
            for line in lines:
                line["amount"] = amount_in(line["amount"], payment.currency, "allocations")
        return attrs


class AllocationOutputSerializer(serializers.ModelSerializer):
    amount = MoneyField()
    source = EnumChoiceField(AllocationSource, read_only=True)

    class Meta:
        model = Allocation
        fields = ["id", "document", "source", "payment", "credit_note", "write_off", "amount", "currency", "date"]
        read_only_fields = fields


class PaymentAllocateOutputSerializer(serializers.Serializer):
    payment = PaymentOutputSerializer()
    allocations = AllocationOutputSerializer(many=True)
