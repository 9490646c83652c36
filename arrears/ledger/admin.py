from django.contrib import admin

from arrears.audit.admin_mixins import AuditedAdminMixin
from arrears.ledger import models


@admin.register(models.BusinessUnit)
class BusinessUnitAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "home_currency", "country")


class ContactInline(admin.TabularInline):
    model = models.Contact
    extra = 0


@admin.register(models.Customer)
class CustomerAdmin(AuditedAdminMixin, admin.ModelAdmin):
    def audit_customer_id(self, obj):
        return obj.pk

    list_display = ("external_id", "name", "business_unit", "segment", "jurisdiction", "collector")
    list_filter = ("business_unit", "kind", "jurisdiction", "segment")
    search_fields = ("external_id", "name")
    raw_id_fields = ("parent", "collector")
    inlines = [ContactInline]


@admin.register(models.Document)
class DocumentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("external_id", "kind", "customer", "issue_date", "due_date", "amount", "currency", "open_amount", "status")
    list_filter = ("kind", "status", "currency", "business_unit")
    search_fields = ("external_id", "reference")
    raw_id_fields = ("customer",)
    readonly_fields = ("open_amount", "status", "closed_date")


@admin.register(models.Payment)
class PaymentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("external_id", "customer", "received_date", "amount", "currency", "unapplied_amount")
    raw_id_fields = ("customer",)
    readonly_fields = ("unapplied_amount",)


@admin.register(models.FxRate)
class FxRateAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("date", "currency", "quote_currency", "rate")
