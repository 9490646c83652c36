from django.apps import AppConfig


class DunningConfig(AppConfig):
    name = "arrears.dunning"
    label = "dunning"
    verbose_name = "Dunning"
