from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = "Bottom-up engine"

    def ready(self) -> None:
        from crm.services import after_import_register
        from insights.services import analysis_after_import

        # Every successful CRM import queues an analysis; crm cannot import insights, so insights registers it.
        after_import_register(analysis_after_import)
