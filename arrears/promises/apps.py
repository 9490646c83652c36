from django.apps import AppConfig


class PromisesConfig(AppConfig):
    name = "arrears.promises"
    label = "promises"
    verbose_name = "Promises to pay and payment plans"

    def ready(self) -> None:
        from arrears.promises import checks  # noqa: F401  (registers the settings checks)
