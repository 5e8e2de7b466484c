"""Lists of attempts: an exam's, for its reviewers (with its CSV/XLSX export), and a learner's
own. Who sees what is decided by the shared queryset methods: ``Exam.objects.reviewable_by``
and ``Attempt.objects.reviewable_by`` (404 outside them)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import EmptyPage
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.text import slugify
from django.views.generic import ListView
from django_filters.views import FilterView
from django_tables2 import LazyPaginator, RequestConfig, SingleTableMixin

from assessments.models import Exam
from attempts.models import Attempt
from attempts.statistics.ranking import rank_table
from attempts.web.exports import csv_response, table_values, xlsx_response
from attempts.web.filters import AttemptListFilter
from attempts.web.forms import PagingForm
from attempts.web.permissions import ReviewerRequiredMixin
from attempts.web.rescore import rescore_banner
from attempts.web.tables import AttemptTable

EXPORTS = {"csv": csv_response, "xlsx": xlsx_response}


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
        return super().dispatch(request, *args, **kwargs)

    def get_table(self, **kwargs):
        """The table sorted as the query says, and paged by the validated ``PagingForm``:
        django-tables2's own ``RequestConfig`` would take any integer (a bigint overflow on
        PostgreSQL) and turn a bad page into page 1 without a word."""
        table = self.get_table_class()(data=self.get_table_data(), **kwargs)
        RequestConfig(self.request, paginate=False).configure(table)
        paging = self.paging.cleaned_data if self.paging.is_valid() else {}
        page = paging.get("page") or 1
        try:
            # LazyPaginator: no COUNT(*) over a million rows on every page.
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
            exams = Exam.objects.reviewable_by(self.request.user).select_related("course")
            self.exam = get_object_or_404(exams, pk=self.kwargs["exam_id"])
        return self.exam

    def get_queryset(self):
        return (
            Attempt.objects.reviewable_by(self.request.user)
            .filter(exam=self.get_exam())
            .select_related("user")
        )

    def get_table_kwargs(self):
        return {
            "now": self.now,
            "caption": f"Attempts of {self.get_exam().title}",
            "ranks": rank_table(self.get_exam().pk),
        }

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        export = request.GET.get("export")
        if export in EXPORTS and self.filterset.is_valid():
            table = response.context_data["table"]
            # table.data.data: the filtered queryset in the table's current sort order.
            name = f"attempts-{slugify(self.get_exam().title)}"
            return EXPORTS[export](table_values(table, table.data.data), name)
        if self.page_missing:
            response.status_code = 404
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        params.pop("export", None)
        context.update(
            exam=self.get_exam(),
            query=params.urlencode(),
            rescore=rescore_banner(self.get_exam()),
            rescore_from="attempts",
            paging_errors=[
                f"{self.paging[name].label}: {message}"
                for name, messages in self.paging.errors.items()
                for message in messages
            ],
            page_missing=self.page_missing,
        )
        return context


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
