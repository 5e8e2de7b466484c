"""Celery tasks of the attempts app: thin wrappers that call the services."""

from collections.abc import Callable

from celery import shared_task
from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError

from assessments.models import Exam
from attempts.export_jobs import export_job_run, export_jobs_fail_stalled, export_jobs_purge
from attempts.models import Attempt
from attempts.services import exam_ranks_refresh, regrade_run


@shared_task(ignore_result=True)
def regrade_exam(regrade_id: int) -> None:
    """Run a committed regrade (``attempts.services.regrade_run``); its row shows progress."""
    regrade_run(regrade_id=regrade_id)


@shared_task(ignore_result=True)
def regrade_ranks(exam_id: int) -> None:
    """Choose every learner's ranked attempt again by the exam's rank policy as it is now, and
    rebuild its stored sums (``attempts.services.exam_ranks_refresh``; the "regrades" queue).
    Run twice, the second run changes nothing; an exam deleted meanwhile is skipped."""
    exam = Exam.objects.filter(pk=exam_id).first()
    if exam is not None:
        exam_ranks_refresh(exam=exam)


def ranks_refresh_start(exam: Exam, *, refused: Callable[[str], None]) -> int | None:
    """After ``exam``'s rank policy changed (inside the transaction that changed it).

    Up to ``REGRADE_INLINE_LIMIT`` completed attempts the refresh runs at once, in the
    caller's transaction, and the number of ranked attempts is returned. A larger exam (a
    refresh of 400k attempts takes minutes) is refreshed by ``regrade_ranks``, sent when the
    caller's transaction commits, so that the task reads the new policy; None is returned.
    Until it has run, ranks and the ranked population's sums follow the previous policy. If
    the broker refuses the task, ``refused`` is called with the reason; the refresh can be
    asked for again (the exam admin's "Choose the ranked attempts again" action).
    """
    completed = Attempt.objects.filter(exam_id=exam.pk, state=Attempt.State.COMPLETED)
    if completed.count() <= settings.REGRADE_INLINE_LIMIT:
        return exam_ranks_refresh(exam=exam)

    def send() -> None:
        try:
            regrade_ranks.delay(exam.pk)
        except OperationalError as error:
            refused(f"The task queue did not answer: {error}")

    transaction.on_commit(send)
    return None


@shared_task(ignore_result=True)
def export_attempts(job_id: int) -> None:
    """Write an export job's file (``attempts.export_jobs.export_job_run``; the "exports"
    queue); its row shows progress, and a failure is recorded on it, not raised."""
    export_job_run(job_id=job_id)


@shared_task(ignore_result=True)
def purge_exports() -> None:
    """Fail stalled export jobs, then delete jobs and files past ``EXPORT_RETENTION_DAYS``
    (run by beat)."""
    export_jobs_fail_stalled()
    export_jobs_purge(days=settings.EXPORT_RETENTION_DAYS)
