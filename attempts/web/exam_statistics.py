"""Exam statistics (item analysis) for reviewers: the test summary, the per-question table
(sortable by every column, CSV and XLSX exports equal to it), a facility-vs-discrimination
chart, and a drill-down per question (its options and the scores of those who got it right
vs the rest).

Who: admins and instructors of the exam's course (``Exam.objects.reviewable_by``, the rule of
``lms.access.exams_reviewable_by``; another course's exam is a 404). The figures come from
``attempts.statistics.item_inputs.item_analysis``; rounding is for display only
(``attempts.statistics.rounding``).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, IntegerField, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.text import slugify
from django.views.generic import TemplateView

from assessments.html import html_excerpt
from assessments.models import Exam, Question
from attempts.models import UserAnswer
from attempts.statistics.item_inputs import (
    Which,
    answers_used,
    attempts_used,
    item_analysis,
)
from attempts.statistics.items import STABLE_N, Flag
from attempts.statistics.rounding import CENT, TENTH, optional_half_up
from attempts.web.charts import histogram, scatter
from attempts.web.exports import csv_response, xlsx_response
from attempts.web.permissions import ReviewerRequiredMixin
from lms.replica import reads_from_replica

EXCERPT_CHARS = 60
TYPE_LABELS = dict(Question.Type.choices)
DIFFICULTY_LABELS = dict(Question.Difficulty.choices)
EXPORTS = {"csv": csv_response, "xlsx": xlsx_response}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool = True


# The question table, its sort keys and its exports, in this order.
COLUMNS = (
    Column("slot", "Q#"),
    Column("text", "Question", numeric=False),
    Column("type", "Type", numeric=False),
    Column("difficulty", "Labelled difficulty", numeric=False),
    Column("n", "n"),
    Column("max_mark", "Max mark"),
    Column("facility", "Facility %"),
    Column("sd", "SD %"),
    Column("random_guess_score", "Random guess %"),
    Column("intended_weight", "Intended weight %"),
    Column("effective_weight", "Effective weight %"),
    Column("discrimination_index", "Discrimination index %"),
    Column("discriminative_efficiency", "Discriminative efficiency %"),
    Column("flags", "Flags", numeric=False),
)
SORTS = {column.key for column in COLUMNS}


def question_rows(result) -> list[dict]:
    """One dict per question: the table's cells (rounded to 2 places for display)."""
    rows = []
    for q in result.analysis.questions:
        about = result.questions[q.exam_question_id]
        rows.append(
            {
                "exam_question_id": q.exam_question_id,
                "slot": q.slot,
                "text": html_excerpt(about["text_html"], EXCERPT_CHARS),
                "type": TYPE_LABELS.get(about["type"], about["type"]),
                "difficulty": DIFFICULTY_LABELS.get(about["difficulty"], ""),
                "n": q.n,
                "max_mark": q.max_mark,
                **{
                    name: optional_half_up(getattr(q, name), CENT)
                    for name in (
                        "facility",
                        "sd",
                        "random_guess_score",
                        "intended_weight",
                        "effective_weight",
                        "discrimination_index",
                        "discriminative_efficiency",
                    )
                },
                "flags": ", ".join(Flag.LABELS[flag] for flag in q.flags),
                "flag_keys": q.flags,
            }
        )
    return rows


def sort_rows(rows: list[dict], sort: str) -> list[dict]:
    """Sorted by a column key, ``-key`` for descending; empty cells (None) always last."""
    key = sort.lstrip("-")
    if key not in SORTS:
        return rows
    present = [row for row in rows if row[key] not in (None, "")]
    missing = [row for row in rows if row[key] in (None, "")]
    present.sort(key=lambda row: row[key], reverse=sort.startswith("-"))
    return present + missing


def export_rows(rows: list[dict]):
    yield [column.label for column in COLUMNS]
    for row in rows:
        yield [row[column.key] for column in COLUMNS]


class ExamStatisticsMixin(ReviewerRequiredMixin):
    def get_exam(self) -> Exam:
        if not hasattr(self, "exam"):
            exams = Exam.objects.reviewable_by(self.request.user).select_related("course")
            self.exam = get_object_or_404(exams, pk=self.kwargs["exam_id"])
        return self.exam

    def get_which(self) -> str:
        which = self.request.GET.get("attempts") or self.get_exam().rank_policy
        return which if which in Which.CHOICES else self.get_exam().rank_policy


@reads_from_replica
class ExamStatisticsView(ExamStatisticsMixin, TemplateView):
    template_name = "attempts/exam_statistics.html"

    def get(self, request, *args, **kwargs):
        export = request.GET.get("export")
        if export in EXPORTS:
            result = item_analysis(self.get_exam(), self.get_which())
            rows = sort_rows(question_rows(result), request.GET.get("sort", "slot"))
            name = f"statistics-{slugify(self.get_exam().title)}-{result.which}"
            return EXPORTS[export](export_rows(rows), name)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        exam = self.get_exam()
        result = item_analysis(exam, self.get_which())
        sort = self.request.GET.get("sort", "slot")
        rows = sort_rows(question_rows(result), sort)
        test = result.analysis.test
        return {
            **super().get_context_data(**kwargs),
            "exam": exam,
            "result": result,
            "test": test,
            "which_label": Which.LABELS[result.which],
            "which_choices": [(key, Which.LABELS[key]) for key in Which.CHOICES],
            "columns": COLUMNS,
            "rows": rows,
            "sort": sort,
            "stable_n": STABLE_N,
            "unstable": test.n < STABLE_N,
            "chart": scatter(
                [(f"Q{row['slot']}", row["facility"], row["discrimination_index"]) for row in rows]
            ),
            "test_rows": test_rows(test),
        }


def test_rows(test) -> list[tuple[str, object]]:
    """The test summary as (label, display value) pairs."""

    def show(value, exponent=CENT):
        return "—" if value is None else optional_half_up(value, exponent)

    interval = test.cic_interval
    return [
        ("Attempts used (n)", test.n),
        ("Mean score", show(test.mean)),
        ("Median score", show(test.median)),
        ("Standard deviation", show(test.sd)),
        ("Skewness", show(test.skewness, Decimal("0.0001"))),
        ("Kurtosis", show(test.kurtosis, Decimal("0.0001"))),
        ("Coefficient of internal consistency (%)", show(test.cic)),
        (
            "95% interval of the CIC (Feldt)",
            "—" if interval is None else f"{show(interval.low)} – {show(interval.high)}",
        ),
        ("Error ratio (%)", show(test.error_ratio)),
        ("Standard error", show(test.standard_error)),
        ("Lowest score", show(test.min)),
        ("Highest score", show(test.max)),
        ("Maximum score", test.max_score),
    ]


# Score buckets of the drill-down: tenths of the maximum, as on the exam summary.
BUCKETS = 10


@reads_from_replica
class QuestionStatisticsView(ExamStatisticsMixin, TemplateView):
    template_name = "attempts/question_statistics.html"

    def get_context_data(self, **kwargs):
        exam = self.get_exam()
        result = item_analysis(exam, self.get_which())
        found = [
            q
            for q in result.analysis.questions
            if q.exam_question_id == self.kwargs["exam_question_id"]
        ]
        if not found:
            raise Http404("No such question in this exam.")
        question = found[0]
        about = result.questions[question.exam_question_id]
        right, rest = score_histograms(exam, result.which, question.exam_question_id)
        options = [
            {
                "text": html_excerpt(about["choices"].get(o.choice_id, ""), 120),
                "is_correct": o.is_correct,
                "count": o.count,
                "share": optional_half_up(o.share, TENTH),
                "point_biserial": optional_half_up(o.point_biserial, Decimal("0.001")),
                "top_count": o.top_count,
            }
            for o in question.options
        ]
        return {
            **super().get_context_data(**kwargs),
            "exam": exam,
            "result": result,
            "question": question,
            "row": next(
                row
                for row in question_rows(result)
                if row["exam_question_id"] == question.exam_question_id
            ),
            "text": about["text_html"],
            "options": options,
            "facility_interval": question.facility_interval,
            "right_chart": histogram(right),
            "rest_chart": histogram(rest),
            "right_rows": right,
            "rest_rows": rest,
            "which_label": Which.LABELS[result.which],
        }


def score_histograms(exam: Exam, which: str, exam_question_id: int):
    """Attempts used per score bucket (tenths of the percentage), split into those who got
    the question right (full marks: result "correct") and the rest (anything else, no answer
    row included). Two grouped queries: all attempts used, and the right ones."""
    edges = range(BUCKETS - 1)
    bucket = Case(
        *(When(percentage__lt=(i + 1) * 10, then=Value(i)) for i in edges),
        default=Value(BUCKETS - 1),
        output_field=IntegerField(),
    )
    everyone = dict(
        attempts_used(exam, which)
        .annotate(bucket=bucket)
        .order_by()
        .values_list("bucket")
        .annotate(n=Count("pk"))
    )
    answer_bucket = Case(
        *(When(attempt__percentage__lt=(i + 1) * 10, then=Value(i)) for i in edges),
        default=Value(BUCKETS - 1),
        output_field=IntegerField(),
    )
    right = dict(
        answers_used(exam, which)
        .filter(exam_question_id=exam_question_id, result=UserAnswer.Result.CORRECT)
        .annotate(bucket=answer_bucket)
        .order_by()
        .values_list("bucket")
        .annotate(n=Count("pk"))
    )
    labels = [f"{i * 10}–{(i + 1) * 10}" for i in range(BUCKETS)]
    return (
        [(labels[i], right.get(i, 0)) for i in range(BUCKETS)],
        [(labels[i], everyone.get(i, 0) - right.get(i, 0)) for i in range(BUCKETS)],
    )
