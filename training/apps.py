from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = "Manager development program"

    def ready(self) -> None:
        from training.demo import register_demo_steps

        register_demo_steps()
