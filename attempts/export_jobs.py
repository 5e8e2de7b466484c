"""Export jobs: an attempt list export too large for a request, written by a Celery task.

``export_job_request`` records what was asked (the exam, the list's filters and sort, the
format, the per-question columns, the requester and their time zone) and sends the task
``attempts.tasks.export_attempts`` (the "exports" queue; inline without a broker, as in the
embedded demo). ``export_job_run`` writes the very rows the page's direct export writes
(``attempts.web.exports.attempt_export`` over ``attempt_list_rows``, read with the
requester's access when the job runs) to a temporary file, keeps the job's progress every
``PROGRESS_EVERY`` rows, and attaches the file only once it is complete: a failure leaves
the job failed with its error and no file. ``export_jobs_purge`` deletes jobs and files past
``settings.EXPORT_RETENTION_DAYS``; ``export_jobs_fail_stalled`` fails running jobs whose
worker died (no progress for ``settings.EXPORT_STALLED_AFTER`` seconds).

An export job is not a change of an attempt: no ``AttemptEvent`` goes with it.
"""

import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from kombu.exceptions import OperationalError

from assessments.models import Exam
from attempts.models import ExportJob
from attempts.statistics.ranking import rank_table
from attempts.web.exports import attempt_export, attempt_list_rows, write_csv, write_xlsx
from lms import access

logger = logging.getLogger(__name__)

# Rows written between two progress updates: one UPDATE each (about 80 for 400k rows).
PROGRESS_EVERY = 5000
WRITERS = {ExportJob.Format.CSV: write_csv, ExportJob.Format.XLSX: write_xlsx}


def export_job_request(
    *, user, exam: Exam, query: str, file_format: str, questions: bool, time_zone: str
) -> ExportJob:
    """The job for this export: the same one still queued or running when asked again (a
    second click, a reload), else a new job, sent to the task queue. If the broker refuses
    it, the job is failed at once with the reason (it would never run)."""
    from attempts.tasks import export_attempts

    asked = {
        "requested_by": user,
        "exam": exam,
        "query": query,
        "format": file_format,
        "questions": questions,
        "time_zone": time_zone,
    }
    export_jobs_fail_stalled()
    with transaction.atomic():
        running = ExportJob.objects.active().filter(**asked).order_by("-id").first()
        if running is not None:
            return running
        job = ExportJob.objects.create(**asked)
    try:
        export_attempts.delay(job.pk)
    except OperationalError as error:
        _fail(job.pk, f"The task queue did not answer: {error}")
    job.refresh_from_db()
    return job


def export_job_run(*, job_id: int, progress_every: int = PROGRESS_EVERY) -> ExportJob | None:
    """Write a queued job's file; a job that is not queued (done, failed, or running in
    another worker) is left alone. Never raises for a failed export: the job records it."""
    with transaction.atomic():  # on the primary, where the job was just written
        job = (
            ExportJob.objects.select_for_update(of=("self",))
            .select_related("exam", "requested_by")
            .filter(pk=job_id, state=ExportJob.State.QUEUED)
            .first()
        )
        if job is None:
            return None
        job.state = ExportJob.State.RUNNING
        job.started_at = job.progressed_at = timezone.now()
        job.save(update_fields=["state", "started_at", "progressed_at"])
    jobs = ExportJob.objects.filter(pk=job_id)
    try:
        written = _write(job, jobs, progress_every)
    except Exception as error:
        logger.exception("Export job %s failed", job_id)
        if job.file:  # stored, but the job could not be marked done: not offered
            job.file.delete(save=False)
        _fail(job_id, f"{type(error).__name__}: {error}")
    else:
        jobs.update(
            state=ExportJob.State.DONE,
            file=job.file.name,
            rows_done=written,
            rows_total=written,
            finished_at=timezone.now(),
        )
    job.refresh_from_db()
    return job


def _write(job: ExportJob, jobs, progress_every: int) -> int:
    """The job's file, written to a temporary file and stored whole under MEDIA_ROOT once
    complete; the rows written."""
    user, exam = job.requested_by, job.exam
    if not Exam.objects.filter(access.exams_with_attempts_reviewable_by(user), pk=exam.pk).exists():
        raise PermissionError("The requester may no longer see this exam's attempts.")
    queryset = attempt_list_rows(user, exam, job.query)
    jobs.update(rows_total=queryset.count())
    export = attempt_export(
        queryset,
        exam=exam,
        ranks=rank_table(exam.pk),
        now=job.created_at,
        zone=ZoneInfo(job.time_zone),
        questions=job.questions,
        as_csv=job.format == ExportJob.Format.CSV,
        # Outside a transaction, so that each progress update commits as it is written (on
        # PostgreSQL the rows' cursor is then held: the result is stored first, then read).
        in_transaction=False,
    )
    written = 0

    def progress(count: int) -> None:
        nonlocal written
        written = count
        # Rows added since the count may take the written past it: the total follows.
        jobs.update(
            rows_done=count,
            rows_total=Greatest(F("rows_total"), count),
            progressed_at=timezone.now(),
        )

    with tempfile.TemporaryFile() as handle:
        rows = reporting(export.rows, every=progress_every, report=progress)
        WRITERS[job.format](rows, handle, **export.options)
        handle.seek(0)
        name = f"{export.filename}-{job.pk}.{job.format}"
        # Saved only now, whole: the storage never holds a part of it under this name.
        job.file.save(name, File(handle), save=False)
    return written


def reporting(rows: Iterable[list], *, every: int, report: Callable[[int], None]) -> Iterator[list]:
    """``rows`` (header first) as they are, calling ``report`` with the rows passed after
    every ``every`` of them and once at the end: the cost of a progress update is paid once
    per ``every`` rows, not per row."""
    rows = iter(rows)
    header = next(rows, None)
    if header is None:
        return
    yield header
    done = 0
    while batch := list(islice(rows, every)):
        yield from batch
        done += len(batch)
        report(done)


def _fail(job_id: int, error: str) -> None:
    ExportJob.objects.filter(pk=job_id).update(
        state=ExportJob.State.FAILED, error=error[:2000], finished_at=timezone.now(), file=""
    )


STALLED = (
    "The worker writing this export stopped before it finished (no progress for {minutes} "
    "minutes). Ask for the export again."
)


def export_jobs_fail_stalled(*, now: datetime | None = None, job_ids=None) -> int:
    """Fail the running jobs that made no progress for ``settings.EXPORT_STALLED_AFTER``
    seconds (of ``job_ids`` when given): their worker died, and a task sent again after it
    (Celery's late acknowledgement) leaves a running job alone. Failed, they no longer stand
    for the same export asked again, and their page says to ask again. The number failed."""
    now = now or timezone.now()
    stalled = ExportJob.objects.stalled(now)
    if job_ids is not None:
        stalled = stalled.filter(pk__in=list(job_ids))
    minutes = max(1, round(settings.EXPORT_STALLED_AFTER / 60))
    return stalled.update(
        state=ExportJob.State.FAILED, error=STALLED.format(minutes=minutes), finished_at=now
    )


def export_jobs_purge(*, now: datetime | None = None, days: int) -> int:
    """Delete the jobs asked for more than ``days`` days before ``now``, with their files
    (a job left running by a worker that died included); the number of jobs deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    old = ExportJob.objects.filter(created_at__lt=cutoff)
    purged = 0
    for job in old.only("pk", "file").iterator(chunk_size=500):
        if job.file:
            job.file.delete(save=False)  # a file already gone is no error
        purged += 1
    old.delete()
    return purged
