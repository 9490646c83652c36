from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "arrears.disputes"
    label = "disputes"
    verbose_name = "Disputes"

    def ready(self) -> None:
        from arrears.disputes import checks  # noqa: F401  (registers the settings checks)
