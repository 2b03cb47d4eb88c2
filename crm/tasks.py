"""Background jobs of the crm app (django-tasks): thin entry points into crm.services."""

from __future__ import annotations

import logging

from django_tasks import task

from crm import services
from crm.models import CrmImport

logger = logging.getLogger(__name__)

RETRY_SECONDS = 30


@task()
def crm_import_run(import_id: int) -> str:
    """Run one queued CRM import; if another is running, queue this one again a little later."""
    crm_import = CrmImport.objects.filter(pk=import_id).first()
    if crm_import is None or crm_import.status != CrmImport.Status.QUEUED:
        return "nothing to do"
    if not services.crm_import_claim(crm_import=crm_import):
        running = services.running_import()
        CrmImport.objects.filter(pk=import_id).update(
            progress_step=f"Waiting for import #{running.pk if running else '?'} to finish")
        services.crm_import_enqueue(crm_import=crm_import, delay_seconds=RETRY_SECONDS)
        return "waiting"
    return services.crm_import_execute(crm_import=crm_import, wait_if_busy=True).status


@task()
def crm_links_apply() -> int:
    """Write hand-made links of CRM users to people into the store."""
    return services.crm_links_apply()
