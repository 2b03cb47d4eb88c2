"""Background jobs of the development app (django-tasks; run by `manage.py db_worker`)."""

from __future__ import annotations

import logging

from django_tasks import default_task_backend, task

from development import services

logger = logging.getLogger("promoted.development")


@task()
def send_xapi_statements() -> dict[str, int]:
    """Deliver due xAPI statements to the LRS, then schedule the next run for statements waiting to retry."""
    report = services.outbox_send_due()
    # Only a run that just postponed statements schedules the follow-up, so parallel runs do not multiply.
    if report.retrying and report.next_attempt_at is not None and default_task_backend.supports_defer:
        send_xapi_statements.using(run_after=report.next_attempt_at).enqueue()
    if not report.configured:
        logger.info("LRS_URL is not set: xAPI statements wait in the outbox")
    return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}
