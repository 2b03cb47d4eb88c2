from django.apps import AppConfig


class DevelopmentConfig(AppConfig):
    name = "development"
    verbose_name = "Manager development: mastery, plans, learning records"

    def ready(self) -> None:
        from development.equipment import register
        from development.progress import fundamentals_standing
        from development.services import xapi_record_completion
        from training.hooks import completion_register, fundamentals_standing_register

        register()  # insights' 'equipped to coach' is development's rule: insights cannot import development
        # Training is below development too: it hears of development's standing and xAPI through training.hooks.
        fundamentals_standing_register(fundamentals_standing)
        completion_register(xapi_record_completion)
