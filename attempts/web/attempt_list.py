"""Lists of attempts: an exam's, for its reviewers (with its CSV/XLSX export, handed to an
export job past ``background_above`` rows, and "finalize now" for overdue attempts), and a
learner's own. Who sees what is decided by the shared
queryset methods: ``Exam.objects.reviewable_by`` and ``Attempt.objects.reviewable_by`` (404
outside them).

Bad input never falls back silently: an invalid filter, page, page size or sort is a 400 page
that says which value is wrong (and an export asked with it exports nothing)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import EmptyPage
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import ListView
from django_filters.views import FilterView
from django_tables2 import LazyPaginator, RequestConfig, SingleTableMixin

from assessments.models import Exam
from attempts import paging
from attempts.export_jobs import export_job_request
from attempts.models import Attempt
from attempts.services import attempts_finalize
from attempts.statistics.ranking import rank_table
from attempts.web.evaluation import SeeOther
from attempts.web.exports import (
    attempt_export,
    csv_response,
    exam_attempts,
    rows_query,
    xlsx_response,
)
from attempts.web.filters import AttemptListFilter
from attempts.web.forms import PagingForm
from attempts.web.permissions import ReviewerRequiredMixin
from attempts.web.rescore import rescore_banner
from attempts.web.tables import AttemptTable
from lms import access
from lms.replica import reads_from_replica

EXPORTS = {"csv": csv_response, "xlsx": xlsx_response}


def background_above(export: str) -> int:
    """Exports of more rows than this become export jobs (``lms/settings.py`` says why the
    formats differ)."""
    if export == "csv":
        return settings.EXPORT_CSV_BACKGROUND_ABOVE
    return settings.EXPORT_BACKGROUND_ABOVE


@reads_from_replica(when=lambda request: request.GET.get("export") in EXPORTS)
class ExamAttemptListView(ReviewerRequiredMixin, SingleTableMixin, FilterView):
    """Attempts of one exam. Who: admins, and instructors of the exam's course (else 404)."""

    template_name = "attempts/attempt_list.html"
    table_class = AttemptTable
    filterset_class = AttemptListFilter
    per_page = 50

    def dispatch(self, request, *args, **kwargs):
        self.now = timezone.now()
        self.paging = PagingForm(request.GET)
        self.page_missing = None  # the page number asked for, when it is past the end
        self.sort_error = None
        return super().dispatch(request, *args, **kwargs)

    def get_table(self, **kwargs):
        """The table sorted as the query says, and paged by the validated ``PagingForm``:
        django-tables2's own ``RequestConfig`` would take any integer (a bigint overflow on
        PostgreSQL), turn a bad page into page 1 and ignore an unknown sort without a word."""
        table = self.get_table_class()(data=self.get_table_data(), **kwargs)
        sort = self.request.GET.get("sort")
        names = [column.name for column in table.columns if column.orderable]
        sortable = {*names, *(f"-{name}" for name in names)}
        if sort and sort not in sortable:
            self.sort_error = f"Sort: “{sort}” is not a column of this table."
        else:
            RequestConfig(self.request, paginate=False).configure(table)
        paging = self.paging.cleaned_data if self.paging.is_valid() else {}
        page = paging.get("page") or 1
        try:
            # LazyPaginator: no COUNT(*) over a million rows on every page (the total above
            # the table is counted, or estimated, once: attempts.paging).
            table.paginate(
                paginator_class=LazyPaginator,
                per_page=paging.get("per_page") or self.per_page,
                page=page,
            )
        except EmptyPage:
            self.page_missing = page  # the page shows a message instead of the table
        return table

    def get_exam(self):
        if not hasattr(self, "exam"):
            exams = Exam.objects.filter(
                access.exams_with_attempts_reviewable_by(self.request.user)
            ).select_related("course")
            self.exam = get_object_or_404(exams, pk=self.kwargs["exam_id"])
        return self.exam

    def get_queryset(self):
        return exam_attempts(self.request.user, self.get_exam())

    def get_table_kwargs(self):
        return {
            "now": self.now,
            "caption": f"Attempts of {self.get_exam().title}",
            "ranks": rank_table(self.get_exam().pk),
        }

    def is_bad_request(self) -> bool:
        return bool(
            self.filterset.errors or self.paging.errors or self.sort_error or self.page_missing
        )

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if self.is_bad_request():
            # The same 400 page with or without ``export``: nothing is exported then.
            response.status_code = 400
            return response
        export = request.GET.get("export")
        if export in EXPORTS:
            table = response.context_data["table"]
            if self.too_large_for_a_request(table, export):
                job = export_job_request(
                    user=request.user,
                    exam=self.get_exam(),
                    query=rows_query(request.GET),
                    file_format=export,
                    questions=request.GET.get("questions") == "1",
                    time_zone=str(timezone.get_current_timezone()),
                )
                return redirect("export-job", job.pk)
            return self.export(table, EXPORTS[export])
        return response

    def too_large_for_a_request(self, table, export: str) -> bool:
        """More rows than the format's threshold (``EXPORT_BACKGROUND_ABOVE`` for XLSX,
        ``EXPORT_CSV_BACKGROUND_ABOVE`` for CSV): counted exactly up to it, estimated past
        it on PostgreSQL (``attempts.paging.total``)."""
        limit = background_above(export)
        return paging.total(table.data.data, estimate_above=limit).count > limit

    def export(self, table, write):
        """Every filtered row in the table's sort order (``table.data.data``); one column of
        marks per question with ``?questions=1``."""
        export = attempt_export(
            table.data.data,
            exam=self.get_exam(),
            ranks=table.ranks,
            now=self.now,
            zone=timezone.get_current_timezone(),  # the user's: gone once the rows stream
            questions=self.request.GET.get("questions") == "1",
            as_csv=write is csv_response,  # cells made CSV text in the rows' own loop
        )
        return write(export.rows, export.filename, **export.options)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        params.pop("export", None)
        bad = self.is_bad_request()
        # What only the page shows: an export skips these queries.
        page = not bad and self.request.GET.get("export") not in EXPORTS
        context.update(
            exam=self.get_exam(),
            query=params.urlencode(),
            rescore=rescore_banner(self.get_exam()),
            rescore_from="attempts",
            paging_errors=[
                f"{self.paging[name].label}: {message}"
                for name, messages in self.paging.errors.items()
                for message in messages
            ]
            + ([self.sort_error] if self.sort_error else []),
            page_missing=self.page_missing,
            paging=self.paging,
            page_sizes=PagingForm.PAGE_SIZES,
            total=paging.total(self.filterset.qs) if page else None,
            overdue=page and self.get_queryset().overdue(self.now).exists(),
            background_above={name: f"{background_above(name):,}" for name in EXPORTS},
        )
        return context


class FinalizeOverdueView(ReviewerRequiredMixin, View):
    """POST: finalize the selected overdue attempts of an exam now (``attempts_finalize``,
    which records a FINALIZED event each); then back to the list (303) with a message.

    Who: reviewers of the exam (else 404). Ids that are not numbers are a 400; ids of attempts
    outside the exam, the reviewer's reach, or no longer overdue are left alone (another
    reviewer or the finalizer may have closed them meanwhile), and the message says so."""

    http_method_names = ["post"]

    def post(self, request, exam_id):
        exam = get_object_or_404(Exam.objects.reviewable_by(request.user), pk=exam_id)
        chosen = request.POST.getlist("attempt")
        back = reverse("exam-attempts", args=[exam.pk])
        if not chosen or not all(value.isdigit() and len(value) < 19 for value in chosen):
            return render(
                request,
                "attempts/finalize_refused.html",
                {"exam": exam, "back": back},
                status=400,
            )
        now = timezone.now()
        overdue = (
            Attempt.objects.reviewable_by(request.user)
            .filter(exam=exam, pk__in=[int(value) for value in chosen])
            .overdue(now)
            .values_list("pk", flat=True)
        )
        done = attempts_finalize(attempt_ids=list(overdue), actor=request.user, now=now)
        skipped = len(set(chosen)) - done
        text = f"Finalized {done} overdue attempt{'s' if done != 1 else ''}."
        if skipped:
            text += f" {skipped} selected attempt(s) were no longer overdue and were left alone."
        messages.success(request, text)
        query = request.POST.get("query", "")
        return SeeOther(f"{back}?{query}" if query else back)


class MyAttemptListView(LoginRequiredMixin, ListView):
    """A learner's own attempts (anyone signed in sees only their own)."""

    template_name = "attempts/my_attempts.html"
    paginate_by = 50

    def get_queryset(self):
        return (
            Attempt.objects.filter(user=self.request.user)
            .select_related("exam")
            .order_by("-started_at", "-id")
        )
