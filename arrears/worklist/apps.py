from django.apps import AppConfig


class WorklistConfig(AppConfig):
    name = "arrears.worklist"
    label = "worklist"
    verbose_name = "Collector worklists, calls, targets and calendar"

    def ready(self) -> None:
        from arrears.dunning import hooks
        from arrears.worklist.selectors_touches import calls_per_customer

        hooks.touch_source_register(calls_per_customer)
