from django.apps import AppConfig


class PromisesConfig(AppConfig):
    name = "arrears.promises"
    label = "promises"
    verbose_name = "Promises to pay and payment plans"

    def ready(self) -> None:
        from arrears.ledger.events import payment_listener_register
        from arrears.promises import checks  # noqa: F401  (registers the settings checks)
        from arrears.promises.services.listeners import promises_on_payments_allocated

        payment_listener_register(promises_on_payments_allocated)
