from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "arrears.analytics"
    label = "analytics"
    verbose_name = "Analytics"
