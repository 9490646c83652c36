from django.contrib import admin

from arrears.dunning.models import DunningAction, DunningRun, SegmentRule, Step, Strategy, StrategyVersion


class StepInline(admin.TabularInline):
    model = Step
    extra = 0


@admin.register(Strategy)
class StrategyAdmin(admin.ModelAdmin):
    list_display = ("name", "is_default")


@admin.register(StrategyVersion)
class StrategyVersionAdmin(admin.ModelAdmin):
    list_display = ("strategy", "number", "note", "first_used_at")
    inlines = [StepInline]

    def has_change_permission(self, request, obj=None):  # frozen once used: edit by a new version
        return obj is None or not obj.is_frozen


@admin.register(SegmentRule)
class SegmentRuleAdmin(admin.ModelAdmin):
    list_display = ("position", "name", "strategy", "challenger", "challenger_percent", "active")


@admin.register(DunningRun)
class DunningRunAdmin(admin.ModelAdmin):
    list_display = ("as_of", "status", "action_count", "attempts", "alert")
    readonly_fields = [f.name for f in DunningRun._meta.fields]


@admin.register(DunningAction)
class DunningActionAdmin(admin.ModelAdmin):
    list_display = ("as_of", "customer", "kind", "channel", "level", "gate", "status")
    list_filter = ("as_of", "kind", "channel", "status")
    raw_id_fields = ("customer", "run", "compliance_decision")
