from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from arrears.audit.admin_mixins import AuditedAdminMixin
from arrears.users.models import Team, User


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, ("Collections", {"fields": ("role", "team")}))
    list_display = ("username", "email", "first_name", "last_name", "role", "team", "is_active")
    list_filter = ("role", "team", "is_active")


@admin.register(Team)
class TeamAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "lead")
