"""Rescoring an exam from its pages, after its marks or key changed.

Who: reviewers of the exam (``Exam.objects.reviewable_by``; another course's exam is a 404,
learners 403). The banner that offers it (``rescore_banner``) shows on the exam's attempt list
and summary while finished attempts were scored before the marking last changed
(``Exam.marking_changed_at``); the rescore goes through ``attempts.services.exam_rescore``,
as the admin's button and ``manage.py rescore_exam`` do, and records its events. An exam of
more than ``settings.REGRADE_INLINE_LIMIT`` finished attempts is rescored as a regrade run by
a task (``attempts.tasks.exam_rescore_start``): the button then leads to its progress page.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views import View

from assessments.models import Exam
from attempts.errors import AttemptError
from attempts.models import Attempt
from attempts.tasks import exam_rescore_start
from attempts.web.evaluation import SeeOther
from attempts.web.permissions import ReviewerRequiredMixin


def rescore_banner(exam: Exam) -> dict | None:
    """What ``_partials/rescore_banner.html`` shows, or None when every result is up to date
    (no query then: an exam whose marking did not change has no stale attempts)."""
    stale = Attempt.objects.stale_after_marking_change(exam).count()
    if not stale:
        return None
    return {"exam": exam, "stale": stale, "changed_at": exam.marking_changed_at}


class ExamRescoreView(ReviewerRequiredMixin, View):
    """POST: rescore every finished attempt of the exam, then back to the page it came from
    (303), with a message saying how many attempts were rescored; for a large exam, to the
    regrade's progress page."""

    http_method_names = ["post"]

    def post(self, request, exam_id):
        exam = get_object_or_404(Exam.objects.reviewable_by(request.user), pk=exam_id)
        try:
            started = exam_rescore_start(exam, actor=request.user)
        except AttemptError as error:
            messages.error(request, error.message)
        else:
            if started.regrade is not None:  # a large exam: its progress is on its page
                if not started.sent:
                    messages.error(request, "The task queue did not answer: rescore again later.")
                return SeeOther(reverse("regrade-detail", args=[started.regrade.pk]))
            messages.success(
                request, f"Rescored {started.done} finished attempt(s) of “{exam.title}”."
            )
        back = request.POST.get("from") == "summary"
        return SeeOther(reverse("exam-summary" if back else "exam-attempts", args=[exam.pk]))
