from django.apps import AppConfig


class CommunicationsConfig(AppConfig):
    name = "arrears.communications"
    label = "communications"
    verbose_name = "Communications"
