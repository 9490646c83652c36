from django.apps import AppConfig


class WorklistConfig(AppConfig):
    name = "arrears.worklist"
    label = "worklist"
    verbose_name = "Collector worklists, calls, targets and calendar"
