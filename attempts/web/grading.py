"""Grading question by question: every essay awaiting marks for one exam question, one after
another, with previous/next (and keyboard shortcuts, ``static/js/grading.js``), an optional
anonymous mode that hides the learners' names, and saving without leaving the flow.

Who: reviewers of the exam (``Exam.objects.reviewable_by``; another course's question is a
404, learners 403); the answers are those of ``Attempt.objects.reviewable_by``. Marks go
through ``attempts.services.answer_evaluate``; a refusal (the form's or the service's) shows
the same answer again with the message beside the marks, status 400 (409 on a conflict).
"""

from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views import View

from assessments.models import Exam, ExamQuestion
from attempts.errors import AttemptError
from attempts.models import Attempt, UserAnswer
from attempts.scoring import Outcome
from attempts.services import answer_evaluate
from attempts.web.errors import page_status
from attempts.web.evaluation import SeeOther
from attempts.web.forms import evaluation_form
from attempts.web.permissions import ReviewerRequiredMixin


class GradeQuestionView(ReviewerRequiredMixin, View):
    """GET one pending answer of an exam question (``?answer=<id>``, else the first;
    ``?anonymous=1`` hides names); POST its marks, then on to the next pending answer.

    Queries of a GET: session, user, is-reviewer, the exam question (with its question and
    exam), the ids of its pending answers in order, the shown answer with its attempt and
    learner."""

    template_name = "attempts/grade_question.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.anonymous = request.GET.get("anonymous", request.POST.get("anonymous")) == "1"

    def exam_question(self, pk) -> ExamQuestion:
        placed = ExamQuestion.objects.filter(
            exam__in=Exam.objects.reviewable_by(self.request.user)
        ).select_related("question", "exam__course")
        return get_object_or_404(placed, pk=pk)

    def pending_ids(self, eq) -> list[int]:
        """The answers to mark, in submission order (attempt id, then answer id): an answer
        leaves the list once marked, so the walk moves forward as the reviewer saves."""
        return list(
            UserAnswer.objects.filter(
                exam_question=eq,
                result=Outcome.PENDING,
                attempt__state__in=Attempt.FINISHED_STATES,
                attempt__in=Attempt.objects.reviewable_by(self.request.user),
            )
            .order_by("attempt_id", "id")
            .values_list("pk", flat=True)
        )

    def url(self, eq, answer_id=None) -> str:
        params = {}
        if answer_id is not None:
            params["answer"] = answer_id
        if self.anonymous:
            params["anonymous"] = "1"
        base = reverse("grade-question", args=[eq.pk])
        return f"{base}?{urlencode(params)}" if params else base

    def get(self, request, pk):
        eq = self.exam_question(pk)
        asked = request.GET.get("answer")
        if asked is not None and not (asked.isdigit() and len(asked) < 19):
            return HttpResponseBadRequest("answer: give the id of an answer (a whole number).")
        ids = self.pending_ids(eq)
        current = int(asked) if asked else None
        if current not in ids:
            if current is not None:
                messages.info(request, "That answer no longer awaits marks: here is the next.")
            current = ids[0] if ids else None
        return self.show(eq, ids, current)

    def post(self, request, pk):
        eq = self.exam_question(pk)
        answers = UserAnswer.objects.filter(
            exam_question=eq, attempt__in=Attempt.objects.reviewable_by(request.user)
        ).select_related("exam_question")
        asked = request.POST.get("answer", "")
        if not (asked.isdigit() and len(asked) < 19):
            return HttpResponseBadRequest("answer: give the id of an answer (a whole number).")
        answer = get_object_or_404(answers, pk=int(asked))
        ids = self.pending_ids(eq)
        form = evaluation_form(answer, eq, data=request.POST)
        status = 400
        if form.is_valid():
            try:
                marked = answer_evaluate(
                    answer=answer,
                    evaluator=request.user,
                    marks=form.cleaned_data["marks"],
                    comment=form.cleaned_data["comment"],
                )
            except AttemptError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
                status = page_status(error)
            else:
                messages.success(request, f"Marks saved: {marked.evaluated_marks} of {eq.marks}.")
                # On to the next pending answer; past the last, back to any skipped earlier.
                if answer.pk in ids:
                    at = ids.index(answer.pk)
                    ids = ids[at + 1 :] + ids[:at]
                if ids:
                    return SeeOther(self.url(eq, ids[0]))
                messages.success(request, "Every answer to this question is marked.")
                return SeeOther(reverse("evaluation-queue") + f"?question={eq.pk}")
        return self.show(eq, ids, answer.pk, form=form, status=status)

    def show(self, eq, ids, current, *, form=None, status=200):
        answer = None
        if current is not None:
            answer = UserAnswer.objects.select_related("attempt__user").get(pk=current)
        position = ids.index(current) if current in ids else None
        previous_id = ids[position - 1] if position else None
        next_id = ids[position + 1] if position is not None and position + 1 < len(ids) else None
        if answer is not None and form is None:
            form = evaluation_form(answer, eq)
        context = {
            "eq": eq,
            "exam": eq.exam,
            "answer": answer,
            "form": form,
            "total": len(ids),
            "position": None if position is None else position + 1,
            "previous_url": self.url(eq, previous_id) if previous_id else None,
            "next_url": self.url(eq, next_id) if next_id else None,
            "anonymous": self.anonymous,
            "toggle_url": self._toggle_url(eq, current),
            "action": self.url(eq),
            # In anonymous mode a learner is "Answer 3 of 7": no name, username or attempt link.
            "learner": None if answer is None or self.anonymous else answer.attempt.user,
        }
        return render(self.request, self.template_name, context, status=status)

    def _toggle_url(self, eq, current) -> str:
        self.anonymous = not self.anonymous
        try:
            return self.url(eq, current)
        finally:
            self.anonymous = not self.anonymous
