from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "crm"

    def ready(self) -> None:
        from crm.demo import register_demo_steps

        register_demo_steps()
