from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "arrears.common"
    label = "common"
