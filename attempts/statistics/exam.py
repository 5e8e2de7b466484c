"""Read-side aggregates over many attempts of an exam (the per-attempt ones are in
``attempts.statistics.attempt``). Each function runs a fixed number of grouped queries."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, DecimalField, F, Q, Sum
from django.db.models.functions import Coalesce

from assessments.html import html_excerpt
from assessments.models import ExamQuestion, Question
from attempts.models import Attempt, ExamTally, Population, QuestionTally, UserAnswer
from attempts.statistics.rounding import CENT, TENTH, ratio_half_up
from attempts.statistics.subjects import NO_SUBJECT_NAME, ids_in_paths, load_subjects, roll_up

State = Attempt.State


@dataclass(frozen=True)
class ExamOverview:
    """Attempt counts by state, mean score and pass rate of one exam.

    Mean score and pass rate use completed attempts only (pending evaluation ones have no
    final score yet). Pass rate is passed / completed × 100 (2 places), None when the exam has
    no pass mark or no completed attempt.
    """

    exam: object
    by_state: dict = field(default_factory=dict)  # State -> count
    mean_score: Decimal | None = None
    pass_rate: Decimal | None = None

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    def state_rows(self):
        return [(state.label, self.by_state.get(state, 0)) for state in State]


def mean_score(score_sum, completed: int) -> Decimal | None:
    """The one mean score: the sum of the completed attempts' scores over their number, in
    marks (2 places, half-up); None without a completed attempt."""
    return ratio_half_up(score_sum or 0, completed)


def pass_rate(exam, passed: int, completed: int) -> Decimal | None:
    """The one pass rate: passed / completed × 100 (2 places, half-up); None when the exam has
    no pass mark or no completed attempt."""
    if exam.pass_percentage is None:
        return None
    return ratio_half_up(100 * passed, completed)


def _completed_totals() -> dict:
    """Aggregates of ``mean_score`` and ``pass_rate`` over an exam's completed attempts."""
    completed = Q(state=State.COMPLETED)
    return {
        "score_sum": Sum("score", filter=completed, output_field=WIDE_MARKS),
        "passed": Count("pk", filter=completed & Q(passed=True)),
    }


def _stored_overviews(exam_ids: list[int]) -> dict[int, dict]:
    """The figures of ``exam_overviews`` from the stored sums (``attempts.tallies``): one
    grouped query over the exams' ``ExamTally`` cells, whatever their number of attempts."""
    if not exam_ids:
        return {}
    completed = Q(state=State.COMPLETED)
    rows = (
        ExamTally.objects.filter(exam_id__in=exam_ids, population=Population.ALL)
        .values("exam_id")
        .annotate(
            **{
                f"state_{state.value}": Coalesce(Sum("n", filter=Q(state=state)), 0)
                for state in State
            },
            score_sum=Sum(F("score") * F("n"), filter=completed, output_field=WIDE_MARKS),
            passed=Coalesce(Sum("passed", filter=completed), 0),
        )
        .order_by()
    )
    return {row["exam_id"]: row for row in rows}


def exam_overviews(exams, attempts: Q | None = None) -> dict[int, ExamOverview]:
    """``{exam_id: ExamOverview}`` for the given exams, over their attempts matching
    ``attempts`` (all of them without it).

    An exam whose every attempt counts (no ``attempts`` filter, or the exam annotated
    ``reviewed`` by ``lms.access.reviews_exam``: its reviewer sees all of its attempts) is
    read from the stored sums (one grouped query for all of them); the others, a
    department administrator's view of their people's attempts, from one grouped query over
    the matching attempts (skipped when there are none).
    """
    exams = list(exams)
    whole = [e.pk for e in exams if attempts is None or getattr(e, "reviewed", False)]
    found = _stored_overviews(whole)
    stored = set(whole)
    partial = [e.pk for e in exams if e.pk not in stored]
    if partial:
        rows = (
            Attempt.objects.filter(attempts or Q(), exam__in=partial)
            .values("exam_id")
            .annotate(
                **{f"state_{state.value}": Count("pk", filter=Q(state=state)) for state in State},
                **_completed_totals(),
            )
            .order_by()
        )
        found |= {row["exam_id"]: row for row in rows}
    overviews = {}
    for exam in exams:
        row = found.get(exam.pk, {})
        by_state = {state: row.get(f"state_{state.value}", 0) for state in State}
        done = by_state[State.COMPLETED]
        overviews[exam.pk] = ExamOverview(
            exam=exam,
            by_state=by_state,
            mean_score=mean_score(row.get("score_sum"), done),
            pass_rate=pass_rate(exam, row.get("passed", 0), done),
        )
    return overviews


# ------------------------------------------------------------------------ exam summary
#
# ``exam_summary`` reads an exam's stored sums (``attempts.tallies``) with a fixed number of
# queries, whatever the number of attempts (nothing per attempt or answer is read):
#
# 1. the exam's ``ExamTally`` cells: attempts by state, and the completed ones by (score,
#    percentage) with how many passed: the counts, the mean, the highest and median scores
#    and the score distribution all derive from this histogram;
# 2. the ``QuestionTally`` cells of completed attempts grouped by exam question: answer rows
#    per result and the sum of their marks (sections, subjects and the hardest questions all
#    derive from these per-question rows);
# 3. the exam's questions with their section, type, difficulty and subject path;
# 4. the subjects of those questions and their ancestors (skipped when none has a subject);
# 5. the text of the (at most ten) hardest questions only.

ZERO = Decimal("0.00")
BUCKET_WIDTH = 10
BUCKET_COUNT = 10
HARDEST_COUNT = 10
TYPE_LABELS = dict(Question.Type.choices)
DIFFICULTY_LABELS = dict(Question.Difficulty.choices)  # None and "" (unlabelled) show "—"
EXCERPT_CHARS = 80
# Sums over every completed attempt of an exam outgrow the 7 digits of a marks column (a
# million attempts × 40 marks): give them room, or SQLite's converter rejects the result.
WIDE_MARKS = DecimalField(max_digits=20, decimal_places=2)


@dataclass(frozen=True)
class ScoreBucket:
    """Completed attempts whose percentage lies in [low, high); the last bucket is [90, 100].

    The first bucket also takes negative percentages (negative marking) and the last one
    exactly 100, so every completed attempt falls in exactly one bucket.
    """

    low: int
    high: int
    count: int

    @property
    def label(self) -> str:
        return f"{self.low}–{self.high}"

    @property
    def interval(self) -> str:
        """The bucket's edges: ``[0, 10)`` ... ``[90, 100]``."""
        closing = "]" if self.high == BUCKET_WIDTH * BUCKET_COUNT else ")"
        return f"[{self.low}, {self.high}{closing}"


@dataclass(frozen=True)
class MarksRow:
    """Average marks per completed attempt in a group of questions (a section or a subject).

    ``total_marks`` sums the marks awarded in the group's answers of every completed attempt;
    ``max_marks`` sums the marks of the group's exam questions (bonus included). ``average``
    is total / completed attempts (2 places, half-up), ``average_percentage`` is total /
    (completed × max) × 100; both None without completed attempts (or max marks, for the
    percentage).
    """

    key: int | None
    name: str
    questions: int
    max_marks: Decimal
    total_marks: Decimal
    completed: int
    depth: int = 0

    @property
    def average(self) -> Decimal | None:
        return ratio_half_up(self.total_marks, self.completed)

    @property
    def average_percentage(self) -> Decimal | None:
        return ratio_half_up(100 * self.total_marks, self.completed * self.max_marks)


@dataclass(frozen=True)
class QuestionShares:
    """How the completed attempts answered one exam question. Shares are of ``answers`` (the
    answer rows of completed attempts: one per attempt), in percent, 1 place, half-up."""

    exam_question_id: int
    number: int  # 1-based position in the exam (order, id)
    excerpt: str
    type_label: str
    difficulty_label: str
    answers: int
    correct: int
    partial: int
    incorrect: int
    unanswered: int

    def _share(self, count: int) -> Decimal | None:
        return ratio_half_up(100 * count, self.answers, TENTH)

    @property
    def correct_share(self) -> Decimal | None:
        return self._share(self.correct)

    @property
    def partial_share(self) -> Decimal | None:
        return self._share(self.partial)

    @property
    def incorrect_share(self) -> Decimal | None:
        return self._share(self.incorrect)

    @property
    def unanswered_share(self) -> Decimal | None:
        return self._share(self.unanswered)


@dataclass(frozen=True)
class ExamSummary:
    """Everything the exam summary page shows (see :func:`exam_summary`)."""

    exam: object
    by_state: dict  # State -> count
    # Over COMPLETED attempts only: pending evaluation ones have no final score yet.
    mean_score: Decimal | None
    median_score: Decimal | None
    highest_score: Decimal | None
    # Sum of the marks of every question of the exam (bonus included), as Attempt.max_score.
    max_score: Decimal
    passed: int
    # passed / completed × 100, 2 places; None without a pass mark or completed attempts.
    pass_rate: Decimal | None
    buckets: list[ScoreBucket]
    sections: list[MarksRow]
    subjects: list[MarksRow]
    # At most HARDEST_COUNT questions, lowest correct share first.
    hardest_questions: list[QuestionShares]

    @property
    def completed(self) -> int:
        return self.by_state[State.COMPLETED]

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    @property
    def has_pass_mark(self) -> bool:
        return self.exam.pass_percentage is not None

    def state_rows(self):
        return [(state.label, self.by_state[state]) for state in State]

    def histogram_rows(self):
        return [(bucket.label, bucket.count) for bucket in self.buckets]


def middle_scores(histogram: dict) -> list[Decimal]:
    """The middle score of the sorted scores ``{score: how many}`` (the two middle ones for
    an even count): at offsets (N-1)//2 and N//2 of the ascending order (the same offset for
    an odd N), found by walking the cumulative counts, not by sorting N scores.

    >>> middle_scores({Decimal(5): 2, Decimal(7): 1, Decimal(9): 1})  # 5 5 7 9
    [Decimal('5'), Decimal('7')]
    """
    total = sum(histogram.values())
    wanted = sorted({(total - 1) // 2, total // 2}) if total else []
    found, seen = [], 0
    for score in sorted(histogram):
        seen += histogram[score]
        while wanted and wanted[0] < seen:
            found.append(score)
            wanted.pop(0)
    return found


def bucket_of(percentage: Decimal) -> int:
    """Bucket k (0..9) holds [10k, 10k + 10); bucket 0 also every negative percentage, bucket
    9 [90, 100] (100 included)."""
    for i, edge in enumerate(range(BUCKET_WIDTH, BUCKET_WIDTH * BUCKET_COUNT, BUCKET_WIDTH)):
        if percentage < edge:
            return i
    return BUCKET_COUNT - 1


def _buckets(cells: list[tuple]) -> list[ScoreBucket]:
    """Completed attempts per percentage bucket (``bucket_of``) from their cells."""
    found: dict[int, int] = defaultdict(int)
    for _, percentage, n in cells:
        found[bucket_of(percentage)] += n
    return [
        ScoreBucket(low=i * BUCKET_WIDTH, high=(i + 1) * BUCKET_WIDTH, count=found.get(i, 0))
        for i in range(BUCKET_COUNT)
    ]


def _answers_by_question(exam_id: int) -> dict[int, dict]:
    """``{exam_question_id: {answers, correct, partial, incorrect, unanswered, marks}}`` over
    the answers of the exam's completed attempts, in one grouped query over its stored
    ``QuestionTally`` cells (``marks`` is the sum of x × n)."""
    Result = UserAnswer.Result

    def count(result=None):
        return Coalesce(Sum("n", filter=Q(result=result) if result else None), 0)

    rows = (
        QuestionTally.objects.filter(exam_id=exam_id, population=Population.ALL)
        .values("exam_question_id")
        .annotate(
            answers=count(),
            correct=count(Result.CORRECT),
            partial=count(Result.PARTIAL),
            incorrect=count(Result.INCORRECT),
            unanswered=count(Result.UNANSWERED),
            marks=Sum(F("x") * F("n"), output_field=WIDE_MARKS),
        )
        .order_by()
    )
    return {row.pop("exam_question_id"): row for row in rows}


def _marks_rows(groups: dict, names: dict, completed: int, depths=None) -> list[MarksRow]:
    """A MarksRow per key of ``groups`` (``{key: [question, ...]}``), in ``names`` order."""
    depths = depths or {}
    return [
        MarksRow(
            key=key,
            name=name,
            questions=len(groups[key]),
            max_marks=sum((q["marks"] for q in groups[key]), ZERO),
            total_marks=sum((q["answered"]["marks"] or ZERO for q in groups[key]), ZERO),
            completed=completed,
            depth=depths.get(key, 0),
        )
        for key, name in names.items()
        if groups.get(key)
    ]


def _subject_rows(questions: list[dict], completed: int) -> list[MarksRow]:
    """Subjects of the questions and their ancestors, in tree order, then "No subject".

    A subject's row sums every question of its subtree (its own questions included), so a
    parent rolls up its children. Tree order compares the ids along ``path`` as numbers, as
    ``attempts.statistics.subject_stats`` does. One query for the subjects.
    """
    subjects = load_subjects(ids_in_paths(q["subject_path"] for q in questions))
    rolled = roll_up(questions, lambda q: q["subject_id"], subjects)
    groups = {**rolled.members, None: rolled.unfiled}
    names = {node.id: node.name for node in rolled.nodes} | {None: NO_SUBJECT_NAME}
    depths = {node.id: node.depth for node in rolled.nodes}
    return _marks_rows(groups, names, completed, depths)


def _hardest(questions: list[dict]) -> list[QuestionShares]:
    """The HARDEST_COUNT questions with the lowest share of correct answers among completed
    attempts; equal shares (compared exactly, as fractions) in exam order. Questions nobody
    completed an attempt on have no share and are left out. One query for their texts."""
    answered = [q for q in questions if q["answered"]["answers"]]
    answered.sort(key=lambda q: Fraction(q["answered"]["correct"], q["answered"]["answers"]))
    chosen = answered[:HARDEST_COUNT]  # a stable sort keeps exam order among equal shares
    texts = dict(
        Question.objects.filter(pk__in=[q["question_id"] for q in chosen]).values_list(
            "id", "text_html"
        )
        if chosen
        else ()
    )
    return [
        QuestionShares(
            exam_question_id=q["id"],
            number=q["number"],
            excerpt=html_excerpt(texts.get(q["question_id"], ""), EXCERPT_CHARS),
            type_label=TYPE_LABELS.get(q["type"], q["type"]),
            difficulty_label=DIFFICULTY_LABELS.get(q["difficulty"], "—"),
            answers=q["answered"]["answers"],
            correct=q["answered"]["correct"],
            partial=q["answered"]["partial"],
            incorrect=q["answered"]["incorrect"],
            unanswered=q["answered"]["unanswered"],
        )
        for q in chosen
    ]


def _placements(exam_id: int, answered: dict) -> list[dict]:
    """The exam's questions in exam order (one query, joined with section, question and
    subject), each with its answers of completed attempts (zeros when none)."""
    nothing = dict.fromkeys(("answers", "correct", "partial", "incorrect", "unanswered"), 0)
    nothing["marks"] = ZERO
    rows = (
        ExamQuestion.objects.filter(exam_id=exam_id)
        .order_by("order", "id")
        .values(
            "id",
            "question_id",
            "marks",
            "section_id",
            section_title=F("section__title"),
            section_order=F("section__order"),
            type=F("question__type"),
            difficulty=F("question__difficulty"),
            subject_id=F("question__subject_id"),
            subject_path=F("question__subject__path"),
        )
    )
    return [
        row
        | {
            "number": number,
            "subject_path": row["subject_path"] or "",  # None without a subject
            "answered": answered.get(row["id"], nothing),
        }
        for number, row in enumerate(rows, start=1)
    ]


def _section_rows(questions: list[dict], completed: int) -> list[MarksRow]:
    """One row per section that has questions, in (section order, id) order."""
    groups = defaultdict(list)
    for question in questions:
        groups[question["section_id"]].append(question)
    order = sorted({(q["section_order"], q["section_id"], q["section_title"]) for q in questions})
    return _marks_rows(groups, {pk: title for _, pk, title in order}, completed)


def exam_summary(exam) -> ExamSummary:
    """The exam summary page's numbers, in at most five queries (listed above).

    Statistics of scores, sections, subjects and questions use COMPLETED attempts only;
    running, pending evaluation and not started ones are only counted by state. Averages per
    section and subject are marks per completed attempt; sections without questions are not
    listed. The median of an even count averages the two middle scores (2 places, half-up).
    """
    by_state = dict.fromkeys(State, 0)
    done = []  # (score, percentage, n) of the completed attempts
    passed = 0
    cells = ExamTally.objects.filter(exam_id=exam.pk, population=Population.ALL).exclude(n=0)
    for state, score, percentage, n, passed_n in cells.values_list(
        "state", "score", "percentage", "n", "passed"
    ):
        by_state[State(state)] += n
        if state == State.COMPLETED:
            done.append((score, percentage, n))
            passed += passed_n
    completed = by_state[State.COMPLETED]
    histogram: dict[Decimal, int] = defaultdict(int)
    for score, _, n in done:
        histogram[score] += n
    middle = middle_scores(histogram)
    highest = max(histogram, default=None)
    questions = _placements(exam.pk, _answers_by_question(exam.pk))
    return ExamSummary(
        exam=exam,
        by_state=by_state,
        mean_score=mean_score(sum((s * n for s, n in histogram.items()), ZERO), completed),
        median_score=ratio_half_up(sum(middle, ZERO), len(middle)),
        highest_score=None if highest is None else highest.quantize(CENT),
        max_score=sum((q["marks"] for q in questions), ZERO),
        passed=passed,
        pass_rate=pass_rate(exam, passed, completed),
        buckets=_buckets(done),
        sections=_section_rows(questions, completed),
        subjects=_subject_rows(questions, completed),
        hardest_questions=_hardest(questions),
    )
