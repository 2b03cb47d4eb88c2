"""Background job entry point for imports started from the upload page (run by manage.py db_worker)."""

from __future__ import annotations

from django_tasks import task

from people.importing.service import people_import_run


@task()
def run_people_import(import_id: int) -> str:
    """Run the queued people import `import_id`; returns its final status."""
    return people_import_run(import_id=import_id).status
