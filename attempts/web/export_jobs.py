"""An export job's page (its progress, then its file) and the file's download.

Who: ``lms.access.export_jobs_visible_to`` (the one who asked while they may still open the
exam's attempt list, and the exam's reviewers); anyone else gets a 404, anonymous users the
login page. The file is under MEDIA_ROOT with no URL of its own: this view sends it."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.utils.text import slugify
from django.views import View

from attempts.export_jobs import export_jobs_fail_stalled
from attempts.models import ExportJob

CONTENT_TYPES = {
    ExportJob.Format.CSV: "text/csv; charset=utf-8",
    ExportJob.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def visible_job(request, pk) -> ExportJob:
    jobs = ExportJob.objects.visible_to(request.user).select_related("exam__course", "requested_by")
    return get_object_or_404(jobs, pk=pk)


class ExportJobView(LoginRequiredMixin, View):
    """The job's state and progress (rows written of rows to write; the page reloads itself
    every 2 seconds while the job is queued or running, no script needed), its error once
    failed, the download link once done."""

    template_name = "attempts/export_job.html"

    def get(self, request, pk):
        job = visible_job(request, pk)
        # A job whose worker died shows as failed, not as running for ever.
        if export_jobs_fail_stalled(job_ids=[job.pk]):
            job.refresh_from_db()
        expires = job.created_at + timedelta(days=settings.EXPORT_RETENTION_DAYS)
        return render(request, self.template_name, {"job": job, "expires": expires})


class ExportJobDownloadView(LoginRequiredMixin, View):
    """The finished job's file, as an attachment; 404 before it is done (there is none)."""

    def get(self, request, pk):
        job = visible_job(request, pk)
        if job.state != ExportJob.State.DONE or not job.file:
            raise Http404("This export has no file (yet).")
        try:
            handle = job.file.open("rb")
        except FileNotFoundError:
            raise Http404("This export's file is gone.") from None
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"attempts-{slugify(job.exam.title)}.{job.format}",  # as a direct one
            content_type=CONTENT_TYPES[job.format],
        )
