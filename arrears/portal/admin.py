from typing import Any

from django import forms
from django.contrib import admin, messages

from arrears.portal.errors import PortalError
from arrears.portal.models import Mandate, PaymentIntent, PaymentSettings, PortalToken, WebhookEvent
from arrears.portal.services.payments import bic_for, iban_validate
from arrears.portal.services.tokens import portal_token_revoke


@admin.register(PortalToken)
class PortalTokenAdmin(admin.ModelAdmin):
    list_display = ("id", "customer", "message_id", "created_at", "expires_at", "last_used", "use_count", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("customer__name", "customer__external_id")
    readonly_fields = [f.name for f in PortalToken._meta.fields]
    actions = ["revoke"]

    def has_add_permission(self, request: Any) -> bool:
        return False  # links are made with their raw token shown once: from the staff page or the CLI

    @admin.action(description="Revoke the selected links")
    def revoke(self, request: Any, queryset: Any) -> None:
        for token in queryset:
            portal_token_revoke(token=token, reason="revoked in admin", by=request.user)
        messages.success(request, f"{queryset.count()} link(s) revoked.")


class PaymentSettingsForm(forms.ModelForm):
    class Meta:
        model = PaymentSettings
        fields = (
            "business_unit", "account_holder", "iban", "bic", "bank_name", "sepa_creditor_id", "card_payments",
            "direct_debit",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        try:
            iban = iban_validate(data.get("iban", ""))
            data["iban"] = iban.compact
            data["bic"] = bic_for(iban, data.get("bic", ""))
        except PortalError as exc:
            field = "bic" if exc.message.startswith("bic") else "iban"
            self.add_error(field, exc.message.split(": ", 1)[-1])
        return data


@admin.register(PaymentSettings)
class PaymentSettingsAdmin(admin.ModelAdmin):
    form = PaymentSettingsForm
    list_display = ("business_unit", "account_holder", "iban", "bic", "sepa_creditor_id", "card_payments", "direct_debit")


@admin.register(Mandate)
class MandateAdmin(admin.ModelAdmin):
    list_display = ("mandate_id", "customer", "iban", "signature_date", "status", "collections")
    list_filter = ("status",)
    search_fields = ("mandate_id", "customer__name")
    readonly_fields = ("customer", "mandate_id", "iban", "bic", "signature_date", "collections")


@admin.register(PaymentIntent)
class PaymentIntentAdmin(admin.ModelAdmin):
    list_display = ("id", "customer", "method", "amount", "currency", "status", "creditor_reference", "created_at")
    list_filter = ("method", "status")
    search_fields = ("creditor_reference", "provider_session_id", "customer__name")

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ("received_at", "provider", "event_type", "event_id", "outcome", "intent")
    list_filter = ("provider", "outcome")

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: Any) -> bool:
        return False
