"""Regrading an exam from its pages: a dry-run preview, commit with a reason, progress, undo.

Who: reviewers of the exam (``Exam.objects.reviewable_by``, i.e. ``lms.access``; another
course's exam or regrade is a 404, learners 403). The preview
(``attempts.regrade_preview``) writes nothing; the commit goes through
``attempts.services.exam_regrade`` and ``regrade_run`` (inline for an exam of up to
``settings.REGRADE_INLINE_LIMIT`` finished attempts, else the Celery task
``attempts.tasks.regrade_exam``, whose progress the regrade's page shows); undo through
``regrade_undo``. Refusals of the services become 400/403/409 (``page_status``).
"""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View

from assessments.models import Exam
from attempts.errors import AttemptError
from attempts.models import Regrade
from attempts.regrade_preview import regrade_preview
from attempts.services import exam_regrade, regrade_undo
from attempts.tasks import regrade_start
from attempts.web.errors import page_status
from attempts.web.evaluation import SeeOther
from attempts.web.forms import PagingForm
from attempts.web.permissions import ReviewerRequiredMixin
from lms.models import User


class PreviewForm(PagingForm):
    """The preview's query: which rows, and whether overridden answers lose their override."""

    show = forms.ChoiceField(
        label="Show",
        required=False,
        choices=[("changed", "Attempts whose result changes"), ("all", "Every attempt")],
    )
    clear_overrides = forms.BooleanField(
        label="Clear instructors' overrides (the key marks those answers again)", required=False
    )


class CommitForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the regrade and each answer's history.",
        error_messages={"required": "Say why the exam is regraded."},
    )
    clear_overrides = forms.BooleanField(required=False, widget=forms.HiddenInput)


def reviewed_exam(request, exam_id) -> Exam:
    return get_object_or_404(
        Exam.objects.reviewable_by(request.user).select_related("course"), pk=exam_id
    )


class RegradePreviewView(ReviewerRequiredMixin, View):
    """GET: what a regrade would change, 50 attempts a page (the changed ones by default).
    POST: commit it with a reason, then 303 to the regrade's page; a refusal shows the
    preview again with the message (400, or 409 while another regrade runs).

    A bad query (``?page=abc``, a page past the end, an unknown ``show``) is a 400 with the
    message on the page, never a silent first page.
    """

    template_name = "attempts/regrade_preview.html"
    per_page = 50

    def get(self, request, exam_id):
        exam = reviewed_exam(request, exam_id)
        query = PreviewForm(request.GET)
        clear = False
        if query.is_valid():
            clear = query.cleaned_data["clear_overrides"]
        commit = CommitForm(initial={"clear_overrides": clear})
        return self.show(request, exam, query, commit)

    def post(self, request, exam_id):
        exam = reviewed_exam(request, exam_id)
        commit = CommitForm(request.POST)
        status = 400
        if commit.is_valid():
            try:
                regrade = exam_regrade(
                    exam=exam,
                    actor=request.user,
                    reason=commit.cleaned_data["reason"],
                    clear_overrides=commit.cleaned_data["clear_overrides"],
                )
            except AttemptError as error:
                field = error.field if error.field in commit.fields else None
                commit.add_error(field, error.message)
                status = page_status(error)
            else:
                if not regrade_start(regrade):
                    messages.error(request, "The task queue did not answer: commit again later.")
                return SeeOther(reverse("regrade-detail", args=[regrade.pk]))
        clear = commit.cleaned_data.get("clear_overrides", False) if commit.is_bound else False
        query = PreviewForm({"clear_overrides": clear or ""})
        return self.show(request, exam, query, commit, status=status)

    def show(self, request, exam, query, commit, *, status=200):
        context = {
            "exam": exam,
            "query": query,
            "commit": commit,
            "regrades": list(Regrade.objects.filter(exam=exam).select_related("actor")[:10]),
        }
        if not query.is_valid():
            return render(request, self.template_name, context, status=400)
        data = query.cleaned_data
        preview = regrade_preview(exam, clear_overrides=data["clear_overrides"])
        show_all = data["show"] == "all"
        rows = [row for row in preview.rows if show_all or row.moved]
        paginator = Paginator(rows, data["per_page"] or self.per_page)
        number = data["page"] or 1
        if number > paginator.num_pages:
            context["page_missing"] = number
            return render(request, self.template_name, context, status=400)
        page = paginator.page(number)
        learners = User.objects.in_bulk({row.user_id for row in page.object_list})
        context.update(
            preview=preview,
            page=page,
            rows=[(row, learners.get(row.user_id)) for row in page.object_list],
            show_all=show_all,
            query_string=query_string(data),
        )
        return render(request, self.template_name, context, status=status)


def query_string(data) -> str:
    """The preview's query without its page, for the pagination links."""
    parts = []
    if data.get("show"):
        parts.append(f"show={data['show']}")
    if data.get("clear_overrides"):
        parts.append("clear_overrides=on")
    return "&".join(parts)


def reviewed_regrade(request, pk) -> Regrade:
    regrades = Regrade.objects.filter(exam__in=Exam.objects.reviewable_by(request.user))
    return get_object_or_404(regrades.select_related("exam__course", "actor", "undone_by"), pk=pk)


class RegradeDetailView(ReviewerRequiredMixin, View):
    """One regrade: its reason, progress (the page reloads itself every 2 seconds while it
    is queued or running, no script needed) and outcome, with the undo button once done."""

    template_name = "attempts/regrade_detail.html"

    def get(self, request, pk):
        regrade = reviewed_regrade(request, pk)
        return render(request, self.template_name, {"regrade": regrade})


class RegradeUndoView(ReviewerRequiredMixin, View):
    """POST: undo a done regrade (``regrade_undo``), then 303 to its page; a refusal shows
    the page with the reason (409 for a regrade that cannot be undone now)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        regrade = reviewed_regrade(request, pk)
        try:
            restored = regrade_undo(regrade=regrade, actor=request.user)
        except AttemptError as error:
            context = {"regrade": regrade, "error": error.message}
            return render(
                request, RegradeDetailView.template_name, context, status=page_status(error)
            )
        messages.success(request, f"Regrade undone: {restored} attempt(s) have their results back.")
        return SeeOther(reverse("regrade-detail", args=[regrade.pk]))
