from django.apps import AppConfig


class DevelopmentConfig(AppConfig):
    name = "development"
    verbose_name = "Manager development: mastery, plans, learning records"

    def ready(self) -> None:
        from development.demo import register_demo_steps

        register_demo_steps()
