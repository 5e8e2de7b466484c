"""Admin for attempts, answers and their events: tables of millions of rows.

Read-only: attempts come from learners (or imports), and their state and results change only
through ``attempts.services``, which records an event for each change. The admin acts through
the same services, as actions ("finalize now", "rescore"); there is no add, edit or delete.

What keeps the lists cheap: no full-table count (``show_full_result_count``), and the count
of the filtered list exact only up to ``attempts.paging.ESTIMATE_ABOVE`` rows, estimated
above and shown as "about N" (``LargeListAdmin``); deep pages read their ids first (a
deferred join); a column sorts only where an index serves that order (``sortable_by``); no
facet counts, no ``date_hierarchy`` (it scans for distinct years), filters that list exams
and courses rather than attempts, exact search on the learner, and every column either
stored on the row or loaded by ``list_select_related``.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from assessments.html import html_excerpt
from assessments.models import Exam
from attempts import offline, services
from attempts.admin_filters import DateRangeFilter
from attempts.errors import AttemptError
from attempts.models import (
    Accommodation,
    Attempt,
    AttemptEvent,
    ChoiceTally,
    ExamTally,
    ExportJob,
    IdempotencyKey,
    MarkChange,
    QuestionTally,
    Regrade,
    UserAnswer,
)
from attempts.offline import read_rows
from attempts.paging import ListPaginator
from lms import access
from lms.models import User

# Written by attempts.services on submit, evaluation and rescoring, never by hand.
RESULT_FIELDS = (*Attempt.RESULT_FIELDS, "counts_for_rank")
# A selected choice is named by the start of its text (plain, no markup).
CHOICE_EXCERPT_CHARS = 60


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows only ``attempts.services`` writes: listed and shown, never added, edited or
    deleted here (a POST to the change form is refused)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class IndexedOrderChangeList(ChangeList):
    """The admin's change list, sorted only in orders an index serves.

    A column outside ``sortable_by`` is not sorted even when the URL asks (``?o=``), and
    the id that breaks ties follows the direction of the last sorted column (the admin adds
    ``-pk`` whatever it is), so ``(column, id)`` indexes serve both directions."""

    def get_ordering_field(self, field_name):
        if isinstance(field_name, str) and field_name not in self.sortable_by:
            return None
        return super().get_ordering_field(field_name)

    def _get_deterministic_ordering(self, ordering):
        ordering = super()._get_deterministic_ordering(ordering)
        ascending = len(ordering) > 1 and isinstance(ordering[-2], str)
        if ordering[-1:] == ["-pk"] and ascending and not ordering[-2].startswith("-"):
            ordering[-1] = "pk"
        return ordering


class LargeListAdmin(admin.ModelAdmin):
    """A list of up to millions of rows: counted up to ``ESTIMATE_ABOVE`` and estimated
    above ("about N", ``admin/attempts/pagination.html``), deep pages by a deferred join,
    sorted only in indexed orders (``IndexedOrderChangeList``), no full count, no facets."""

    paginator = ListPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    def get_changelist(self, request, **kwargs):
        return IndexedOrderChangeList


class AttemptEventInline(admin.TabularInline):
    """The attempt's history, oldest first: what changed its state or result, and who."""

    model = AttemptEvent
    fields = ("at", "kind", "state_before", "state_after", "score_before", "score_after", "actor")
    readonly_fields = fields
    can_delete = False
    extra = 0
    max_num = 0
    verbose_name_plural = "History"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor").order_by("id")

    def has_add_permission(self, request, obj):
        return False


class StartedDateFilter(DateRangeFilter):
    label_after = "Started on or after"
    label_before = "Started on or before"


class UserAnswerInline(admin.TabularInline):
    """The answers of an attempt, read-only: services write them."""

    model = UserAnswer
    fields = (
        "exam_question",
        "result",
        "marks_awarded",
        "time_spent_seconds",
        "is_flagged",
        "selected_choices_text",
        "evaluated_marks",
        "evaluator_comment",
    )
    readonly_fields = fields
    can_delete = False
    extra = 0
    max_num = 0
    show_change_link = True

    def get_queryset(self, request):
        # Each row prints the answer (its __str__ names the attempt's user and exam) and
        # its exam question (whose __str__ names the exam); the choices come in one query.
        return (
            super()
            .get_queryset(request)
            .select_related("attempt__user", "attempt__exam", "exam_question__exam")
            .prefetch_related("selected_choices")
        )

    def has_add_permission(self, request, obj):
        return False

    @admin.display(description="Selected choices")
    def selected_choices_text(self, answer):
        return ", ".join(
            html_excerpt(choice.text_html, CHOICE_EXCERPT_CHARS)
            for choice in answer.selected_choices.all()
        )


# Some 20,000 rows of a 30-question exam: more is several files (one transaction each).
OFFLINE_UPLOAD_MAX_BYTES = 5 * 1024 * 1024


class OfflineImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="username, exam, started_at, completed_at, then q1, q2… (see below).",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > OFFLINE_UPLOAD_MAX_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB: split it.")
        try:
            return read_rows(upload.read())
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


# The columns of the attempt list that sort a million rows through an index of their own
# (``(column, id)``); within one exam, the (exam, column, id) indexes serve two more.
ATTEMPT_SORTABLE = (
    "id",
    "started_at",
    "correct_count",
    "incorrect_count",
    "unanswered_count",
    "score",
)
ATTEMPT_SORTABLE_IN_ONE_EXAM = (*ATTEMPT_SORTABLE, "partial_count", "percentage")


@admin.register(Attempt)
class AttemptAdmin(LargeListAdmin, ReadOnlyAdmin):
    change_list_template = "admin/attempts/attempt/change_list.html"
    list_display = (
        "id",
        "user",
        "exam",
        "attempt_number",
        "state",
        "started_at",
        *Attempt.RESULT_FIELDS[1:],  # every stored count and score, each sortable
    )
    list_select_related = ("user", "exam", "exam__course")
    # Both served by the (started_at, id) index, read backwards.
    ordering = ("-started_at", "-id")
    list_filter = (
        "state",
        ("started_at", StartedDateFilter),
        # Lists the (few) exams and courses; RelatedOnlyFieldListFilter would instead read
        # the distinct exams of a million attempts on every page.
        ("exam", admin.RelatedFieldListFilter),
        ("exam__course", admin.RelatedFieldListFilter),
    )
    # Exact (case-insensitive) matches only: a substring search would LIKE-scan a join of
    # every attempt with its user. See get_search_results for how the match is run.
    search_fields = ("=user__username", "=user__email")
    search_help_text = "Exact username or email of the learner."
    actions = ("finalize_now", "rescore", "forgive")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "uuid",
                    "user",
                    "exam",
                    "attempt_number",
                    "state",
                    "institute_attempt_id",
                )
            },
        ),
        (
            "Times",
            {
                "fields": (
                    "started_at",
                    "last_started_at",
                    "completed_at",
                    "last_answer_at",
                    "deadline_at",
                )
            },
        ),
        (
            "Result",
            {
                "description": "Written by the scoring services (attempts.services), not by hand.",
                "fields": RESULT_FIELDS,
            },
        ),
    )
    inlines = [UserAnswerInline, AttemptEventInline]

    def get_urls(self):
        upload = self.admin_site.admin_view(self.import_offline_view)
        return [
            path("import-offline/", upload, name="attempts_attempt_import_offline"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_import": access.is_admin(request.user)}
        return super().changelist_view(request, extra_context)

    def import_offline_view(self, request):
        """Upload a CSV of results taken on paper (``attempts.offline``): imported whole, or
        nothing and the refused rows listed. Admins only."""
        if not access.is_admin(request.user):
            raise PermissionDenied
        report = None
        form = OfflineImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            report = services.attempts_import_offline(
                rows=form.cleaned_data["file"], actor=request.user
            )
            if not report.errors:
                self.message_user(
                    request,
                    f"Imported {report.imported} attempt(s) taken on paper.",
                    messages.SUCCESS if report.imported else messages.WARNING,
                )
                return HttpResponseRedirect(reverse("admin:attempts_attempt_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import results taken on paper",
            "form": form,
            "report": report,
            "format": offline.__doc__,
        }
        return TemplateResponse(request, "admin/attempts/attempt/import_offline.html", context)

    @admin.action(description="Finalize selected running attempts now")
    def finalize_now(self, request, queryset):
        done = services.attempts_finalize(
            attempt_ids=queryset.values_list("pk", flat=True), actor=request.user
        )
        skipped = queryset.count() - done
        self.message_user(
            request,
            f"Finalized {done} running attempt(s)"
            + (f"; {skipped} not running were left as they were." if skipped else "."),
            messages.SUCCESS if done else messages.WARNING,
        )

    @admin.action(description="Rescore selected finished attempts")
    def rescore(self, request, queryset):
        done = services.attempts_rescore(
            attempt_ids=queryset.values_list("pk", flat=True),
            actor=request.user,
            now=timezone.now(),
        )
        self.message_user(request, f"Rescored {done} finished attempt(s).", messages.SUCCESS)

    @admin.action(description="Forgive selected finished attempts (off the retake limit)")
    def forgive(self, request, queryset):
        done = services.attempts_forgive(
            attempt_ids=queryset.values_list("pk", flat=True), actor=request.user
        )
        skipped = queryset.count() - done
        self.message_user(
            request,
            f"Forgave {done} attempt(s)"
            + (f"; {skipped} running or already forgiven were left." if skipped else "."),
            messages.SUCCESS if done else messages.WARNING,
        )

    def get_sortable_by(self, request):
        """Sorting a million attempts by the learner, the exam, the state or a count that
        lists rarely need would sort the whole table: those columns do not sort. Filtered to
        one exam, partial count and percentage sort too (their per-exam indexes)."""
        if request.GET.get("exam__id__exact"):
            return ATTEMPT_SORTABLE_IN_ONE_EXAM
        return ATTEMPT_SORTABLE

    def get_queryset(self, request):
        # The one visibility rule, shared with the API and the instructor pages. Joined
        # here rather than by the changelist alone: the change form prints the attempt too.
        # Not ordered here: the change list orders (``ordering`` or the sorted column), and
        # an order here would trail every sorted column and defeat its index.
        return Attempt.objects.reviewable_by(request.user).select_related(*self.list_select_related)

    def get_search_results(self, request, queryset, search_term):
        # The same exact matches as search_fields, but the learners are looked up first
        # (a query on the user table) and the attempts then read through the
        # (user, started_at) index. Left to a join, the database may walk all attempts
        # newest first, checking each one's user, to fill a page for a learner with a few.
        term = search_term.strip()
        if not term:
            return queryset, False
        learners = User.objects.filter(Q(username__iexact=term) | Q(email__iexact=term))
        return queryset.filter(user__in=list(learners.values_list("pk", flat=True))), False


@admin.register(UserAnswer)
class UserAnswerAdmin(LargeListAdmin, ReadOnlyAdmin):
    list_display = (
        "id",
        "attempt",
        "exam_question",
        "result",
        "marks_awarded",
        "time_spent_seconds",
        "is_flagged",
    )
    # The attempt's __str__ names its user and exam, the exam question's its exam.
    list_select_related = ("attempt__user", "attempt__exam", "exam_question__exam")
    list_filter = ("result", "is_flagged")
    # Some 18 answers an attempt: tens of millions of rows, sorted by id only (the primary
    # key). A sort by marks or time over every answer of every exam has no use: the
    # statistics pages compute those per exam.
    sortable_by = ("id",)
    # Raw ids everywhere; filter_horizontal on selected_choices would load every choice.
    raw_id_fields = ("attempt", "exam_question", "selected_choices", "evaluated_by")

    def get_queryset(self, request):
        # Joined here too, not only in the changelist: the change form prints the answer.
        # The rule adds no condition for admins: no "attempt IN (all attempts)" subquery.
        return (
            super()
            .get_queryset(request)
            .filter(access.attempts_reviewable_by(request.user, prefix="attempt__"))
            .select_related(*self.list_select_related)
        )


@admin.register(AttemptEvent)
class AttemptEventAdmin(LargeListAdmin, ReadOnlyAdmin):
    """Every change of an attempt's state or result, newest first (the outbox, read-only)."""

    list_display = (
        "id",
        "at",
        "kind",
        "attempt",
        "state_before",
        "state_after",
        "score_before",
        "score_after",
        "actor",
    )
    list_filter = ("kind",)
    # The attempt's __str__ names its user and exam.
    list_select_related = ("attempt__user", "attempt__exam", "actor")
    ordering = ("-id",)
    sortable_by = ("id",)  # millions of rows: the primary key only
    raw_id_fields = ("attempt", "actor")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(access.attempts_reviewable_by(request.user, prefix="attempt__"))
            .select_related(*self.list_select_related)
        )


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    """The ``Idempotency-Key`` of API writes with the answer stored for retries, newest
    first. Admins only (the answers are learners' results); deleting one lets its key run
    again."""

    list_display = ("created_at", "user", "key", "response_status")
    list_select_related = ("user",)
    search_fields = ("key", "user__username")
    ordering = ("-created_at", "-id")
    raw_id_fields = ("user",)
    show_full_result_count = False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if access.is_admin(request.user) else queryset.none()

    def has_delete_permission(self, request, obj=None):
        return access.is_admin(request.user)


@admin.register(Regrade)
class RegradeAdmin(ReadOnlyAdmin):
    """Regrades committed from the exams' regrade pages (read-only: run and undone there)."""

    list_display = ("id", "created_at", "exam", "status", "done", "total", "changed", "actor")
    list_filter = ("status",)
    list_select_related = ("exam", "actor")
    search_fields = ("reason",)
    ordering = ("-id",)
    raw_id_fields = ("exam", "actor", "undone_by")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(exam__in=Exam.objects.reviewable_by(request.user))
            .select_related(*self.list_select_related)
        )


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    """Export jobs (read-only: asked from the attempt list, run by the exports task, deleted
    by ``purge_exports``); only those ``lms.access.export_jobs_visible_to`` the user."""

    list_display = (
        "id",
        "created_at",
        "exam",
        "format",
        "questions",
        "state",
        "rows_done",
        "rows_total",
        "requested_by",
        "finished_at",
    )
    list_filter = ("state", "format")
    list_select_related = ("exam", "requested_by")
    search_fields = ("exam__title", "requested_by__username")
    ordering = ("-id",)
    raw_id_fields = ("exam", "requested_by")
    # The file through the view that checks who asks, never by a MEDIA_URL (there is none).
    exclude = ("file",)
    readonly_fields = ("download",)

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    @admin.display(description="File")
    def download(self, job):
        if job.state != ExportJob.State.DONE:
            return "—"
        return format_html(
            '<a href="{}">Download</a>', reverse("export-job-download", args=[job.pk])
        )


@admin.register(MarkChange)
class MarkChangeAdmin(LargeListAdmin, ReadOnlyAdmin):
    """Every change of an answer's marks, newest first (the answers' history, read-only)."""

    list_display = (
        "id",
        "at",
        "source",
        "attempt",
        "answer",
        "result_before",
        "result_after",
        "marks_before",
        "marks_after",
        "actor",
    )
    list_filter = ("source",)
    list_select_related = ("attempt__user", "attempt__exam", "answer", "actor")
    ordering = ("-id",)
    sortable_by = ("id",)
    raw_id_fields = ("answer", "attempt", "actor", "regrade")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(access.attempts_reviewable_by(request.user, prefix="attempt__"))
            .select_related(*self.list_select_related)
        )


class TallyAdmin(ReadOnlyAdmin):
    """Stored sums (``attempts.tallies``): read-only, kept by the services; ``manage.py
    verify_exam_sums --fix`` repairs them."""

    list_filter = ("population",)
    list_select_related = ("exam",)
    raw_id_fields = ("exam",)
    show_full_result_count = False


@admin.register(ExamTally)
class ExamTallyAdmin(TallyAdmin):
    list_display = ("exam", "population", "state", "score", "percentage", "n", "passed")


@admin.register(QuestionTally)
class QuestionTallyAdmin(TallyAdmin):
    list_display = ("exam", "population", "exam_question", "result", "x", "total", "n")
    raw_id_fields = ("exam", "exam_question")


@admin.register(ChoiceTally)
class ChoiceTallyAdmin(TallyAdmin):
    list_display = ("exam", "population", "choice", "total", "n", "marks")
    raw_id_fields = ("exam", "choice")


@admin.register(Accommodation)
class AccommodationAdmin(admin.ModelAdmin):
    """Extra time per learner and exam. Saved through ``services.accommodation_set`` (which
    checks the reviewer teaches the exam's course and the bounds); listed for the exams the
    user reviews."""

    list_display = ("user", "exam", "time_multiplier", "extra_minutes", "granted_by", "granted_at")
    list_select_related = ("user", "exam", "granted_by")
    list_filter = ("exam__course",)
    search_fields = ("user__username__iexact", "user__email__iexact")
    autocomplete_fields = ("user", "exam")
    fields = ("user", "exam", "time_multiplier", "extra_minutes", "note")

    def get_queryset(self, request):
        # The one rule: the accommodations of the exams this user reviews.
        return (
            super().get_queryset(request).filter(exam__in=Exam.objects.reviewable_by(request.user))
        )

    def save_model(self, request, obj, form, change):
        try:
            saved = services.accommodation_set(
                user=obj.user,
                exam=obj.exam,
                actor=request.user,
                time_multiplier=obj.time_multiplier,
                extra_minutes=obj.extra_minutes,
                note=obj.note,
            )
        except AttemptError as error:
            # The form checked the bounds; what is left is "not your course": a 403.
            raise PermissionDenied(error.message) from error
        obj.pk = saved.pk
