from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = "Manager development program"

    def ready(self) -> None:
        from training.hr_import import register

        register()  # what the program adds to an HR import: people cannot import training
