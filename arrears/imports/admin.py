from django.contrib import admin

from arrears.audit.admin_mixins import AuditedAdminMixin
from arrears.imports.models import ImportProfile, ImportRun


@admin.register(ImportProfile)
class ImportProfileAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "label", "updated_at")
    search_fields = ("name", "label")


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ("started_at", "file_name", "profile", "status", "dry_run", "rows", "error_count", "user")
    list_filter = ("status", "dry_run", "profile")
    search_fields = ("file_name", "sha256")
    readonly_fields = [f.name for f in ImportRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
