from django.apps import AppConfig


class HomeConfig(AppConfig):
    """The shell: navigation bar, home and about pages, health check, `manage.py demo`. On the top floor."""

    name = "home"
    verbose_name = "Home"

    def ready(self) -> None:
        from demo import register_demo_steps

        register_demo_steps()
