"""Read-only admin for the gate's audit trail: decisions and contact attempts are never edited."""

from django.contrib import admin

from arrears.compliance.models import ComplianceDecision, ContactAttempt


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ComplianceDecision)
class ComplianceDecisionAdmin(_ReadOnly):
    list_display = ("at", "customer", "channel", "planned_at", "initiated_by", "outcome", "source", "actor")
    list_filter = ("outcome", "allowed", "channel", "initiated_by")
    search_fields = ("customer__name", "customer__external_id", "rule_keys", "reasons")
    list_select_related = ("customer", "actor")
    readonly_fields = [f.name for f in ComplianceDecision._meta.fields]
    date_hierarchy = "at"


@admin.register(ContactAttempt)
class ContactAttemptAdmin(_ReadOnly):
    list_display = ("at", "customer", "channel", "direction", "outcome", "source", "reference", "actor")
    list_filter = ("channel", "outcome", "direction")
    search_fields = ("customer__name", "customer__external_id", "reference")
    list_select_related = ("customer", "actor")
    readonly_fields = [f.name for f in ContactAttempt._meta.fields]
    date_hierarchy = "at"
