"""Overriding the marks of any answer from the attempt page (``answer_override``).

Who: reviewers of the attempt's course (``Attempt.objects.reviewable_by``; anyone else 404).
Success: 303 to the question on the attempt page. Refusal (the form's or the service's): the
attempt page again with the message beside the field (400; 409 for a running attempt).
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from attempts.errors import AttemptError
from attempts.models import Attempt, UserAnswer
from attempts.services import answer_override
from attempts.web.attempt_detail import AttemptDetailView, detail_context
from attempts.web.errors import page_status
from attempts.web.evaluation import SeeOther
from attempts.web.forms import override_form


class AnswerOverrideView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        answers = UserAnswer.objects.filter(
            attempt__in=Attempt.objects.reviewable_by(request.user)
        ).select_related("exam_question__question")
        answer = get_object_or_404(answers, pk=pk)
        form = override_form(answer, answer.exam_question, data=request.POST)
        status = 400
        if form.is_valid():
            try:
                changed = answer_override(
                    answer=answer,
                    actor=request.user,
                    marks=form.cleaned_data["marks"],
                    comment=form.cleaned_data["comment"],
                )
            except AttemptError as error:
                field = error.field if error.field in form.fields else None
                form.add_error(field, error.message)
                status = page_status(error)
            else:
                if changed.override_marks is None:
                    messages.success(request, "Override removed: the key marks this answer.")
                else:
                    messages.success(request, f"Marks overridden: {changed.marks_awarded}.")
                detail = reverse("attempt-detail", args=[answer.attempt_id])
                return SeeOther(f"{detail}#q{answer.exam_question_id}")
        attempt = Attempt.objects.select_related("user", "exam__course").get(pk=answer.attempt_id)
        context = detail_context(
            attempt, can_evaluate=True, now=timezone.now(), bound_override=(answer.pk, form)
        )
        return render(request, AttemptDetailView.template_name, context, status=status)
