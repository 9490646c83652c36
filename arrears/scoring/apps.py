from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "arrears.scoring"
    label = "scoring"
    verbose_name = "Payment prediction, early warnings and cash forecast"
