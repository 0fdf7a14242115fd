from django.apps import AppConfig


class SopdeskConfig(AppConfig):
    name = "sopdesk"
    verbose_name = "sopdesk"
