from django.apps import AppConfig


class DevelopmentConfig(AppConfig):
    name = "development"
    verbose_name = "Manager development: mastery, plans, learning records"

    def ready(self) -> None:
        from development.equipment import register

        register()  # insights' 'equipped to coach' is development's rule: insights cannot import development
