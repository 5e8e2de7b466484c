"""Attempt detail, essay evaluation and the evaluation queue.

Who sees what is decided by the shared queryset methods: ``Attempt.objects.visible_to`` for
the detail page (reviewers of the course and the learner who made the attempt; anyone else
404), ``Attempt.objects.reviewable_by`` for the evaluation forms, the evaluate endpoint (404
outside it) and the queue (learners get 403 there).
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Exists, OuterRef
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import ListView

from assessments.models import ExamQuestion, Question
from attempts.charts import stacked_outcomes
from attempts.durations import format_hms
from attempts.errors import AttemptError, ConflictError, NotAllowedError
from attempts.forms import EvaluationForm
from attempts.models import Attempt, UserAnswer
from attempts.scoring import Outcome
from attempts.services import answer_evaluate
from attempts.statistics import (
    ZERO,
    AttemptStatistics,
    OutcomeCounts,
    QuestionRow,
    attempt_statistics,
)
from lms.views import ReviewerRequiredMixin

DIFFICULTY_LABELS = {**dict(Question.Difficulty.choices), None: "Unlabelled"}
# Text symbols next to each result, so that it never rests on colour alone.
RESULT_SYMBOLS = {
    Outcome.CORRECT: "✓",
    Outcome.INCORRECT: "✗",
    Outcome.PARTIAL: "◐",
    Outcome.UNANSWERED: "–",
    Outcome.PENDING: "…",
}


def page_status(error: AttemptError) -> int:
    """The status a page answers a refusal with: 403 not allowed, 409 a conflict with the
    attempt's state, 400 a wrong input."""
    if isinstance(error, NotAllowedError):
        return 403
    if isinstance(error, ConflictError):
        return 409
    return 400


class SeeOther(HttpResponseRedirect):
    """After a POST, GET the target (303): a reload never re-submits the marks."""

    status_code = 303


# ------------------------------------------------------------------------ loading (read side)


@dataclass(frozen=True)
class Placement:
    """One question of the exam, in exam order, with this attempt's answer row (if any)."""

    exam_question: ExamQuestion
    answer: UserAnswer | None


def load_placements(attempt: Attempt) -> list[Placement]:
    """Every question of the attempt's exam with its answer row, in four queries.

    The exam's questions are the spine (question and subject joined, choices prefetched), and
    the answers (selected choices prefetched) are joined by ``exam_question_id``: a finished
    attempt has one row per question, but a running one lacks the rows of questions not yet
    answered, which then show as unanswered. Rows of questions since removed from the exam are
    ignored, as in ``attempts.statistics.load_question_rows``.
    """
    exam_questions = (
        ExamQuestion.objects.filter(exam_id=attempt.exam_id)
        .select_related("question__subject")
        .prefetch_related("question__choices")
        .order_by("order", "id")
    )
    answers = {
        answer.exam_question_id: answer
        for answer in UserAnswer.objects.filter(attempt_id=attempt.pk)
        .select_related("evaluated_by")
        .prefetch_related("selected_choices")
        .order_by()
    }
    return [Placement(eq, answers.get(eq.pk)) for eq in exam_questions]


def question_row(placement: Placement) -> QuestionRow:
    """The statistics' view of a placement (``load_question_rows`` builds the same rows)."""
    eq, answer = placement.exam_question, placement.answer
    subject = eq.question.subject
    return QuestionRow(
        exam_question_id=eq.pk,
        section_id=eq.section_id,
        subject_id=eq.question.subject_id,
        subject_path=subject.path if subject else "",
        difficulty=eq.question.difficulty or None,
        result=Outcome(answer.result) if answer else Outcome.UNANSWERED,
        marks_awarded=answer.marks_awarded if answer else ZERO,
        time_spent_seconds=answer.time_spent_seconds if answer else 0,
    )


def statistics_of(attempt: Attempt, placements: list[Placement], *, now) -> AttemptStatistics:
    """``attempt_statistics`` over the questions and answers this page already loaded."""
    return attempt_statistics(
        attempt, now=now, rows=[question_row(placement) for placement in placements]
    )


# --------------------------------------------------------------------------- presentation


@dataclass(frozen=True)
class OutcomeRow:
    """A row of a statistics table and its bar; ``depth`` and ``parent`` for the subject tree."""

    label: str
    counts: OutcomeCounts
    depth: int = 0
    parent: str | None = None


@dataclass(frozen=True)
class ChoiceView:
    choice: object
    chosen: bool
    is_key: bool


@dataclass(frozen=True)
class QuestionView:
    number: int
    section_title: str
    exam_question: ExamQuestion
    answer: UserAnswer | None
    choices: list[ChoiceView]
    form: EvaluationForm | None

    @property
    def question(self) -> Question:
        return self.exam_question.question

    @property
    def result(self) -> str:
        return self.answer.result if self.answer else Outcome.UNANSWERED

    @property
    def result_label(self) -> str:
        return UserAnswer.Result(self.result).label

    @property
    def result_symbol(self) -> str:
        return RESULT_SYMBOLS[Outcome(self.result)]

    @property
    def form_label(self) -> str:
        return f"Evaluate question {self.number}"

    @property
    def is_evaluated(self) -> bool:
        return self.answer is not None and self.answer.evaluated_at is not None


def evaluation_form(answer: UserAnswer, exam_question: ExamQuestion, data=None) -> EvaluationForm:
    """The form of one answer; ids carry the answer's id so many forms share a page."""
    return EvaluationForm(data, auto_id=f"answer{answer.pk}-%s", max_marks=exam_question.marks)


def awaits_evaluation(attempt: Attempt, placement: Placement) -> bool:
    """An answered essay of a submitted attempt, not marked yet (``answer_evaluate`` takes it).

    A running attempt's essays are pending too, but the service refuses them until submit.
    """
    answer = placement.answer
    return (
        attempt.is_finished
        and answer is not None
        and answer.result == Outcome.PENDING
        and placement.exam_question.question.type == Question.Type.ESSAY
    )


def summary_items(attempt: Attempt, stats: AttemptStatistics) -> list[tuple[str, str]]:
    """The figures at the top of the page, as (term, value) text pairs."""
    finished = attempt.is_finished
    if finished:
        score = f"{attempt.score} / {attempt.max_score}"
    elif attempt.state == Attempt.State.RUNNING:
        # Stored results are written on submit; while running, the sum of the marked answers.
        score = f"{stats.totals.score} / {attempt.max_score} so far"
    else:
        score = "—"
    rank = stats.standing
    remaining = stats.remaining_time
    return [
        ("Score", score),
        ("Percentage", f"{attempt.percentage} %" if finished else "—"),
        ("Result", attempt.result_label),
        ("Rank", f"{rank.rank} of {rank.population}" if rank.rank is not None else "—"),
        ("Percentile", str(rank.percentile) if rank.percentile is not None else "—"),
        ("Time taken", format_hms(stats.time_taken) or "—"),
        ("Remaining time", "No time limit" if remaining is None else format_hms(remaining)),
        ("Speed (questions/min)", str(stats.speed) if stats.speed is not None else "—"),
        ("Attempt", f"#{attempt.attempt_number}"),
        ("State", attempt.get_state_display()),
    ]


def difficulty_label(level: str | None) -> str:
    # A stored label outside the choices (the statistics keep it as its own row) shows as is.
    return DIFFICULTY_LABELS.get(level, str(level).capitalize())


def subject_rows(stats: AttemptStatistics) -> list[OutcomeRow]:
    names = {row.subject_id: row.name for row in stats.subjects}
    return [
        OutcomeRow(row.name, row.counts, row.depth, names.get(row.parent_subject_id))
        for row in stats.subjects
    ]


def outcome_block(
    key: str, title: str, heading: str, rows: list[OutcomeRow], total: OutcomeCounts | None = None
) -> dict:
    """What ``_outcome_block.html`` draws: the chart and the table of the same rows."""
    # The bar labels of a subtree are prefixed "› " per level; the table indents instead.
    chart = stacked_outcomes([("› " * row.depth + row.label, row.counts) for row in rows])
    return {
        "key": key,
        "title": title,
        "heading": heading,
        "rows": rows,
        "chart": chart,
        "total": total,
    }


def detail_context(
    attempt: Attempt,
    *,
    can_evaluate: bool,
    now: datetime,
    bound: tuple[int, EvaluationForm] | None = None,
    next_url: str = "",
) -> dict:
    """Everything the detail page shows. ``bound`` is ``(answer id, form)`` of a refused
    evaluation, re-shown with its errors beside that question's fields."""
    placements = load_placements(attempt)
    stats = statistics_of(attempt, placements, now=now)
    titles = {row.section_id: row.title for row in stats.sections}
    questions = []
    for number, placement in enumerate(placements, start=1):
        eq, answer = placement.exam_question, placement.answer
        chosen = {choice.pk for choice in answer.selected_choices.all()} if answer else set()
        form = None
        if bound is not None and answer is not None and answer.pk == bound[0]:
            form = bound[1]
        elif can_evaluate and awaits_evaluation(attempt, placement):
            form = evaluation_form(answer, eq)
        questions.append(
            QuestionView(
                number=number,
                section_title=titles.get(eq.section_id, ""),
                exam_question=eq,
                answer=answer,
                choices=[
                    ChoiceView(choice, choice.pk in chosen, choice.is_correct)
                    for choice in eq.question.choices.all()
                ],
                form=form,
            )
        )
    blocks = [
        outcome_block(
            "sections",
            "Questions by section",
            "Section",
            [OutcomeRow(row.title, row.counts) for row in stats.sections],
            total=stats.totals,
        ),
        outcome_block("subjects", "Questions by subject", "Subject", subject_rows(stats)),
        outcome_block(
            "difficulties",
            "Questions by difficulty",
            "Difficulty",
            [OutcomeRow(difficulty_label(row.level), row.counts) for row in stats.difficulties],
        ),
    ]
    refused = next((q for q in questions if bound and q.form is bound[1]), None)
    return {
        "attempt": attempt,
        "can_evaluate": can_evaluate,
        "stats": stats,
        "summary": summary_items(attempt, stats),
        "blocks": blocks,
        "questions": questions,
        # The question whose marks were refused, linked from the alert at the top.
        "refused": refused,
        "next_url": next_url,
        "now": now,
    }


# --------------------------------------------------------------------------------- views


class AttemptDetailView(LoginRequiredMixin, View):
    """One attempt: summary, statistics and every question with the learner's answer.

    Who: reviewers of the course (with evaluation forms for essays awaiting marks) and the
    learner who made it (read-only); anyone else 404.

    Queries, however many questions (11 at most, see the budget test): session, user, the
    navigation's ``is_reviewer`` (none for staff), the attempt with a ``can_review`` flag,
    exam questions with question and subject, their choices, answers with evaluator, their
    selected choices, sections, subjects (none when no question has one), standing.
    """

    template_name = "attempts/attempt_detail.html"

    def get(self, request, pk):
        user = request.user
        attempts = (
            Attempt.objects.visible_to(user)
            .select_related("user", "exam__course")
            .annotate(
                can_review=Exists(Attempt.objects.reviewable_by(user).filter(pk=OuterRef("pk")))
            )
        )
        attempt = get_object_or_404(attempts, pk=pk)
        context = detail_context(attempt, can_evaluate=attempt.can_review, now=timezone.now())
        return render(request, self.template_name, context)


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
    """Essays awaiting marks in the attempts the user may review, oldest first.

    Who: admins and instructors (learners 403); each sees the answers of the courses they
    review. Running attempts are left out: their essays can be marked only after submit.

    Queries, whatever the page size: session, user, ``is_reviewer``, the count and the page
    (answers with attempt, learner, exam and question joined).
    """

    template_name = "attempts/evaluation_queue.html"
    paginate_by = 25
    context_object_name = "answers"

    def get_queryset(self):
        return (
            UserAnswer.objects.filter(
                attempt__in=Attempt.objects.reviewable_by(self.request.user),
                attempt__state__in=[Attempt.State.COMPLETED, Attempt.State.PENDING_EVALUATION],
                result=Outcome.PENDING,
            )
            .select_related("attempt__user", "attempt__exam", "exam_question__question")
            # Oldest first: the partial index ``useranswer_pending`` (updated_at) covers it.
            .order_by("updated_at", "id")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["items"] = [
            QueueItem(answer, evaluation_form(answer, answer.exam_question))
            for answer in context["answers"]
        ]
        context["next_url"] = self.request.get_full_path()
        return context

    def paginate_queryset(self, queryset, page_size):
        # get_page(), not page(): a page number past the end (the last essay of the last page
        # was just marked and ``next`` brings the reviewer back) shows the last page, not 404.
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()
