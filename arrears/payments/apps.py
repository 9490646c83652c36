from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "arrears.payments"
    label = "payments"
    verbose_name = "Bank statements and cash application"

    def ready(self) -> None:
        from arrears.payments import checks  # noqa: F401  (registers the settings checks)
