from django.apps import AppConfig


class NightlyConfig(AppConfig):
    name = "arrears.nightly"
    label = "nightly"
    verbose_name = "Nightly collections cycle"
