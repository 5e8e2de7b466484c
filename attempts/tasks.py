"""Celery tasks of the attempts app: thin wrappers that call the services."""

from celery import shared_task

from attempts.services import regrade_run


@shared_task(ignore_result=True)
def regrade_exam(regrade_id: int) -> None:
    """Run a committed regrade (``attempts.services.regrade_run``); its row shows progress."""
    regrade_run(regrade_id=regrade_id)
