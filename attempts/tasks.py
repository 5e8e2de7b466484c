"""Celery tasks of the attempts app: thin wrappers that call the services."""

from celery import shared_task
from django.conf import settings

from attempts.export_jobs import export_job_run, export_jobs_purge
from attempts.services import regrade_run


@shared_task(ignore_result=True)
def regrade_exam(regrade_id: int) -> None:
    """Run a committed regrade (``attempts.services.regrade_run``); its row shows progress."""
    regrade_run(regrade_id=regrade_id)


@shared_task(ignore_result=True)
def export_attempts(job_id: int) -> None:
    """Write an export job's file (``attempts.export_jobs.export_job_run``; the "exports"
    queue); its row shows progress, and a failure is recorded on it, not raised."""
    export_job_run(job_id=job_id)


@shared_task(ignore_result=True)
def purge_exports() -> None:
    """Delete export jobs and files past ``EXPORT_RETENTION_DAYS`` (run by beat)."""
    export_jobs_purge(days=settings.EXPORT_RETENTION_DAYS)
