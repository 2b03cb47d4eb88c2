from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = "People and organisation"

    def ready(self) -> None:
        from people.demo import register_demo_steps

        register_demo_steps()
