from django.contrib import admin

from arrears.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_label", "action", "object_type", "object_id", "customer_id")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "actor_label", "object_repr")

    def has_add_permission(self, request):  # the trail is append-only
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
