from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from . import events  # noqa: F401  (connects the webhooks to sopdesk.signals.domain_event)
