"""The attempt page: summary, statistics with charts, and every question with the learner's
answer, the key and, for its reviewers, the forms of the essays awaiting marks.

Who sees it is decided by the shared queryset methods: ``Attempt.objects.visible_to`` for the
page (reviewers of the course and the learner who made the attempt; anyone else 404),
``Attempt.objects.reviewable_by`` for the evaluation forms on it. ``detail_context`` is also
what ``attempts.web.evaluation`` shows again when marks are refused.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Exists, OuterRef
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone
from django.views import View

from assessments.models import ExamQuestion, Question
from attempts.durations import format_hms
from attempts.errors import AttemptError
from attempts.models import Attempt, MarkChange, UserAnswer
from attempts.scoring import Outcome
from attempts.services import attempt_extend_deadline
from attempts.statistics.attempt import (
    ZERO,
    AttemptStatistics,
    OutcomeCounts,
    QuestionRow,
    attempt_statistics,
)
from attempts.web.charts import stacked_outcomes
from attempts.web.errors import page_status
from attempts.web.forms import (
    EvaluationForm,
    ExtendDeadlineForm,
    evaluation_form,
    override_form,
)
from lms import access

DIFFICULTY_LABELS = {**dict(Question.Difficulty.choices), None: "Unlabelled"}
# Text symbols next to each result, so that it never rests on colour alone.
RESULT_SYMBOLS = {
    Outcome.CORRECT: "✓",
    Outcome.INCORRECT: "✗",
    Outcome.PARTIAL: "◐",
    Outcome.UNANSWERED: "–",
    Outcome.PENDING: "…",
}


# ------------------------------------------------------------------------ loading (read side)


@dataclass(frozen=True)
class Placement:
    """One question of the exam, in exam order, with this attempt's answer row (if any)."""

    exam_question: ExamQuestion
    answer: UserAnswer | None


def load_placements(attempt: Attempt) -> list[Placement]:
    """Every question of the attempt's exam with its answer row: one query each for the exam
    questions, their choices, the answers and their selected choices, whatever the exam's size.

    The exam's questions are the spine (question and subject joined, choices prefetched), and
    the answers (selected choices prefetched) are joined by ``exam_question_id``: a finished
    attempt has one row per question, but a running one lacks the rows of questions not yet
    answered, which then show as unanswered. Rows of questions since removed from the exam are
    ignored, as in ``attempts.statistics.attempt.load_question_rows``.
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


def mark_histories(attempt: Attempt) -> dict[int, list[MarkChange]]:
    """Every answer's mark changes, oldest first, keyed by answer id: one query."""
    histories: dict[int, list[MarkChange]] = {}
    for change in attempt.mark_changes.select_related("actor").order_by("id"):
        histories.setdefault(change.answer_id, []).append(change)
    return histories


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
    # This answer's result and marks; the key and explanation (``lms.access.review_of``).
    show_result: bool = True
    show_key: bool = True
    # Reviewers only: the override form of a finished attempt's answer, and the answer's
    # mark changes, oldest first (None: not shown).
    override_form: object = None
    marks_history: list | None = None

    @property
    def question(self) -> Question:
        return self.exam_question.question

    @property
    def result(self) -> str:
        return self.answer.result if self.answer else Outcome.UNANSWERED

    @property
    def is_bonus(self) -> bool:
        return self.exam_question.is_bonus

    @property
    def result_label(self) -> str:
        """ "Bonus" for a bonus question: its full marks are given whatever was answered, so
        calling a wrong answer "Incorrect" beside them would mislead."""
        if self.is_bonus:
            return "Bonus"
        return UserAnswer.Result(self.result).label

    @property
    def result_symbol(self) -> str:
        return "★" if self.is_bonus else RESULT_SYMBOLS[Outcome(self.result)]

    @property
    def result_class(self) -> str:
        return "bonus" if self.is_bonus else self.result

    @property
    def form_label(self) -> str:
        return f"Evaluate question {self.number}"

    @property
    def is_evaluated(self) -> bool:
        return self.answer is not None and self.answer.evaluated_at is not None


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


def summary_items(
    attempt: Attempt, stats: AttemptStatistics, *, show_results: bool = True, now=None
) -> list[tuple[str, str]]:
    """The figures at the top of the page, as (term, value) text pairs. Without
    ``show_results`` a running attempt's score so far stays hidden: it tells right from
    wrong answers. A pending attempt's score is provisional (essays await marks); a
    not-started attempt has no time taken, and shows the exam's time limit."""
    finished = attempt.is_finished
    provisional = " (provisional)" if attempt.state == Attempt.State.PENDING_EVALUATION else ""
    if finished:
        score = f"{attempt.score} / {attempt.max_score}{provisional}"
    elif attempt.state == Attempt.State.RUNNING and show_results:
        # Stored results are written on submit; while running, the sum of the marked answers.
        score = f"{stats.totals.score} / {attempt.max_score} so far"
    else:
        score = "—"
    rank = stats.standing
    remaining = stats.remaining_time
    duration = attempt.exam.duration
    if attempt.state == Attempt.State.NOT_STARTED:
        clock = ("Time limit", format_hms(duration) if duration else "No time limit")
    else:
        clock = ("Remaining time", "No time limit" if remaining is None else format_hms(remaining))
    return [
        ("Score", score),
        ("Percentage", f"{attempt.percentage} %{provisional}" if finished else "—"),
        ("Result", attempt.result_label),
        ("Rank", f"{rank.rank} of {rank.population}" if rank.rank is not None else "—"),
        ("Percentile", str(rank.percentile) if rank.percentile is not None else "—"),
        ("Time taken", format_hms(stats.time_taken) or "—"),
        clock,
        ("Speed (questions/min)", str(stats.speed) if stats.speed is not None else "—"),
        ("Attempt", f"#{attempt.attempt_number}"),
        ("State", attempt.state_label(now)),
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
    show_results: bool = True,
    show_key: bool = True,
    bound: tuple[int, EvaluationForm] | None = None,
    next_url: str = "",
    bound_override: tuple[int, object] | None = None,
    extend_form: ExtendDeadlineForm | None = None,
) -> dict:
    """Everything the detail page shows. ``bound`` is ``(answer id, form)`` of a refused
    evaluation, re-shown with its errors beside that question's fields. Without
    ``show_results`` (a learner the review policy keeps waiting) the page shows the answers
    given but no per-answer result or marks and no counts of right and wrong; without
    ``show_key``, no key, accepted answers, tolerances or explanations."""
    placements = load_placements(attempt)
    stats = statistics_of(attempt, placements, now=now)
    titles = {row.section_id: row.title for row in stats.sections}
    histories = mark_histories(attempt) if can_evaluate else None
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
                    ChoiceView(choice, choice.pk in chosen, show_key and choice.is_correct)
                    for choice in eq.question.choices.all()
                ],
                form=form,
                show_result=show_results,
                show_key=show_key,
                override_form=(
                    bound_override[1]
                    if bound_override and answer is not None and answer.pk == bound_override[0]
                    else override_form(answer, eq)
                    if can_evaluate and attempt.is_finished and answer is not None
                    else None
                ),
                marks_history=(
                    histories.get(answer.pk, []) if histories is not None and answer else None
                ),
            )
        )
    blocks = (
        [
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
        if show_results
        else []
    )
    refused = next((q for q in questions if bound and q.form is bound[1]), None)
    if bound_override is not None:
        refused = next((q for q in questions if q.override_form is bound_override[1]), None)
    # The audit trail is for reviewers; a learner's page stays about their answers.
    history = list(attempt.events.select_related("actor").order_by("id")) if can_evaluate else None
    return {
        "history": history,
        "attempt": attempt,
        "can_evaluate": can_evaluate,
        "stats": stats,
        "summary": summary_items(attempt, stats, show_results=show_results, now=now),
        "overdue": attempt.is_overdue(now),
        # An instructor may give a running, timed attempt more time (attempt_extend_deadline).
        "extend_form": (
            extend_form or ExtendDeadlineForm()
            if can_evaluate and attempt.state == Attempt.State.RUNNING and attempt.deadline_at
            else None
        ),
        "show_results": show_results,
        "show_key": show_key,
        "blocks": blocks,
        "questions": questions,
        # The question whose marks were refused, linked from the alert at the top.
        "refused": refused,
        "next_url": next_url,
        "now": now,
    }


# ------------------------------------------------------------------------------- the page


class AttemptDetailView(LoginRequiredMixin, View):
    """One attempt: summary, statistics and every question with the learner's answer.

    Who: reviewers of the course (with evaluation forms for essays awaiting marks) and the
    learner who made it (read-only); anyone else 404.

    Queries, the same however many questions (the budget tests count them): session, user,
    the navigation's ``is_reviewer`` (none for staff), the attempt with a ``can_review`` flag,
    exam questions with question and subject, their choices, answers with evaluator, their
    selected choices, sections, subjects (none when no question has one), standing, and for
    reviewers the answers' mark changes and the attempt's history (events with their actors).
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
        now = timezone.now()
        review = access.review_of(user, attempt, now=now, reviewer=attempt.can_review)
        context = detail_context(
            attempt,
            can_evaluate=attempt.can_review,
            now=now,
            show_results=review.results,
            show_key=review.key,
        )
        return render(request, self.template_name, context)


class ExtendDeadlineView(LoginRequiredMixin, View):
    """POST: give a running attempt more minutes (``attempt_extend_deadline``, which records
    an EXTENDED event). Who: reviewers of the attempt's course (anyone else 404).

    Success: 303 to the attempt page with a message. Refusal (the form's or the service's):
    the attempt page again with the message beside the minutes, 400 (409 when the attempt is
    no longer running)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        attempts = Attempt.objects.reviewable_by(request.user).select_related("user", "exam")
        attempt = get_object_or_404(attempts, pk=pk)
        form = ExtendDeadlineForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                extended = attempt_extend_deadline(
                    attempt=attempt, minutes=form.cleaned_data["minutes"], actor=request.user
                )
            except AttemptError as error:
                form.add_error("minutes" if error.field == "minutes" else None, error.message)
                status = page_status(error)
            else:
                deadline = date_filter(timezone.localtime(extended.deadline_at), "Y-m-d H:i T")
                messages.success(request, f"The deadline is now {deadline}.")
                return HttpResponseRedirect(reverse("attempt-detail", args=[pk]), status=303)
        attempt = Attempt.objects.select_related("user", "exam__course").get(pk=pk)
        context = detail_context(attempt, can_evaluate=True, now=timezone.now(), extend_form=form)
        return render(request, AttemptDetailView.template_name, context, status=status)
