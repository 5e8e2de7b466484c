"""Marking essays: the evaluate endpoint (from the attempt page or the queue) and the
evaluation queue, the essays awaiting marks across the courses a reviewer reviews.

Who: ``Attempt.objects.reviewable_by`` decides which answers a reviewer may mark (anyone else
gets 404 from the endpoint) and which the queue lists (learners get 403 there). The rules of
marking belong to ``attempts.services.answer_evaluate``; a refusal is mapped to a status by
``attempts.web.errors.page_status``.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import ListView

from attempts.errors import AttemptError
from attempts.models import Attempt, UserAnswer
from attempts.paging import ListPaginator
from attempts.scoring import Outcome
from attempts.services import answer_evaluate
from attempts.web.attempt_detail import AttemptDetailView, detail_context
from attempts.web.errors import page_status
from attempts.web.filters import EvaluationQueueFilter
from attempts.web.forms import EvaluationForm, evaluation_form
from attempts.web.permissions import ReviewerRequiredMixin
from lms import access


class SeeOther(HttpResponseRedirect):
    """After a POST, GET the target (303): a reload never re-submits the marks."""

    status_code = 303


class EvaluateAnswerView(LoginRequiredMixin, View):
    """POST marks for one essay answer. Who: reviewers of the attempt's course (else 404).

    Success: 303 to ``next`` when it is a local URL (the queue sends it), else to the
    question on the attempt page. Refusal (the form's or the service's): the attempt page
    again, status 400 (409 for a conflict such as a running attempt), with the message
    beside the field it concerns and nothing saved.
    """

    http_method_names = ["post"]

    def post(self, request, pk):
        answers = UserAnswer.objects.filter(
            attempt__in=Attempt.objects.reviewable_by(request.user)
        ).select_related("exam_question")
        answer = get_object_or_404(answers, pk=pk)
        form = evaluation_form(answer, answer.exam_question, data=request.POST)
        next_url = self.safe_next()
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
                field = error.field if error.field in form.fields else None
                form.add_error(field, error.message)
                status = page_status(error)
            else:
                maximum = answer.exam_question.marks
                messages.success(request, f"Marks saved: {marked.evaluated_marks} of {maximum}.")
                detail = reverse("attempt-detail", args=[answer.attempt_id])
                return SeeOther(next_url or f"{detail}#q{answer.exam_question_id}")
        attempt = Attempt.objects.select_related("user", "exam__course").get(pk=answer.attempt_id)
        context = detail_context(
            attempt,
            can_evaluate=True,
            now=timezone.now(),
            bound=(answer.pk, form),
            next_url=next_url,
        )
        return render(request, AttemptDetailView.template_name, context, status=status)

    def safe_next(self) -> str:
        candidate = self.request.POST.get("next", "")
        allowed = url_has_allowed_host_and_scheme(
            candidate,
            allowed_hosts={self.request.get_host()},
            require_https=self.request.is_secure(),
        )
        return candidate if candidate and allowed else ""


@dataclass(frozen=True)
class QueueItem:
    answer: UserAnswer
    form: EvaluationForm

    @property
    def form_label(self) -> str:
        return f"Evaluate the essay of {self.answer.attempt.user.username}"


class EvaluationQueueView(ReviewerRequiredMixin, ListView):
    """Essays awaiting marks in the attempts the user may review, oldest first; filtered by
    course, exam and question (``EvaluationQueueFilter``; an invalid value is a 400 that
    says which), each with a link to grade its question answer by answer.

    Who: admins and instructors (learners 403); each sees the answers of the courses they
    review. Running attempts are left out: their essays can be marked only after submit.

    Queries, whatever the page size: session, user, ``is_reviewer``, the course and exam
    menus, the count and the page (answers with attempt, learner, exam and question joined).
    """

    template_name = "attempts/evaluation_queue.html"
    paginate_by = 25
    # Counted up to attempts.paging.ESTIMATE_ABOVE, estimated above ("about N").
    paginator_class = ListPaginator
    context_object_name = "answers"

    def get(self, request, *args, **kwargs):
        self.filterset = EvaluationQueueFilter(request.GET, request=request)
        if not self.filterset.is_valid():
            self.object_list = UserAnswer.objects.none()
            context = self.get_context_data()
            return self.render_to_response(context, status=400)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return self.filterset.filter_queryset(
            UserAnswer.objects.filter(
                # The rule on the answer's attempt, joined: for an admin no condition at
                # all, rather than "attempt IN (every attempt)" over a million rows.
                access.attempts_reviewable_by(self.request.user, prefix="attempt__"),
                attempt__state__in=Attempt.FINISHED_STATES,
                result=Outcome.PENDING,
            )
            .select_related("attempt__user", "attempt__exam", "exam_question__question")
            # Oldest first: the partial index ``useranswer_pending_queue`` is in this order.
            .order_by("updated_at", "id")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["items"] = [
            QueueItem(answer, evaluation_form(answer, answer.exam_question))
            for answer in context["answers"]
        ]
        context["next_url"] = self.request.get_full_path()
        context["filter"] = self.filterset
        params = self.request.GET.copy()
        params.pop("page", None)
        context["query"] = params.urlencode()
        return context

    def paginate_queryset(self, queryset, page_size):
        # get_page(), not page(): a page number past the end (the last essay of the last page
        # was just marked and ``next`` brings the reviewer back) shows the last page, not 404.
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()
