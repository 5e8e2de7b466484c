"""Celery tasks of the attempts app: thin wrappers that call the services."""

from collections.abc import Callable
from dataclasses import dataclass

from celery import shared_task
from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError

from assessments.models import Exam
from attempts.export_jobs import export_job_run, export_jobs_fail_stalled, export_jobs_purge
from attempts.models import Attempt, Regrade
from attempts.services import exam_ranks_refresh, exam_regrade, exam_rescore, regrade_run


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


def regrade_start(regrade: Regrade) -> bool:
    """Run a committed regrade: inline when small (``REGRADE_INLINE_LIMIT`` finished
    attempts), else as a Celery task (inline too when no broker is configured:
    ``CELERY_TASK_ALWAYS_EAGER``). False when the broker refused the task: the regrade is
    then marked failed, so that it blocks no later regrade."""
    if regrade.total <= settings.REGRADE_INLINE_LIMIT:
        regrade_run(regrade_id=regrade.pk)
        return True
    try:
        regrade_exam.delay(regrade.pk)
    except OperationalError:
        Regrade.objects.filter(pk=regrade.pk, status=Regrade.Status.QUEUED).update(
            status=Regrade.Status.FAILED
        )
        return False
    return True


# The reason of the regrade a rescore of a large exam becomes (its page and history show it).
RESCORE_REASON = "Rescore of every finished attempt after a change of the marking."


@dataclass(frozen=True, slots=True)
class RescoreStart:
    """How :func:`exam_rescore_start` went: ``done`` attempts rescored at once, or a
    ``regrade`` (``sent`` False when the broker refused its task: it is failed then)."""

    done: int = 0
    regrade: Regrade | None = None
    sent: bool = True


def exam_rescore_start(exam: Exam, *, actor) -> RescoreStart:
    """Rescore every finished attempt of ``exam`` (after its marking changed): at once, in
    the request, up to ``REGRADE_INLINE_LIMIT`` finished attempts; a larger exam (minutes of
    work) becomes a regrade with ``RESCORE_REASON``, run by ``regrade_exam``, whose page
    shows the progress and offers the undo. Refusals of ``exam_regrade`` (another regrade
    under way, an actor who does not review the exam) are raised."""
    if Attempt.objects.finished().filter(exam=exam).count() <= settings.REGRADE_INLINE_LIMIT:
        return RescoreStart(done=exam_rescore(exam=exam, actor=actor))
    regrade = exam_regrade(exam=exam, actor=actor, reason=RESCORE_REASON)
    return RescoreStart(regrade=regrade, sent=regrade_start(regrade))


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
