from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "arrears.portal"
    label = "portal"
    verbose_name = "Customer portal"

    def ready(self) -> None:
        from arrears.portal import checks  # noqa: F401  (registers the settings checks)
        from arrears.portal.services.tokens import portal_link_hook_install

        portal_link_hook_install()
