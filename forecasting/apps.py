from django.apps import AppConfig


class ForecastingConfig(AppConfig):
    name = "forecasting"
    verbose_name = "Forecast"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the signal receivers)
