from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = "Bottom-up engine"

    def ready(self) -> None:
        from insights.demo import register_demo_steps

        register_demo_steps()
