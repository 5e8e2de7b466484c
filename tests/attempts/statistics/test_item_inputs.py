"""The item analysis of attempts played through the services (``exam_item_analysis``):
which attempts it uses, and its figures against the reference computed on the stored rows.

The kit's exam (``tests/attempts/conftest.py``): single, multiple (partial 1), true/false,
numeric, short text and essay, 4 marks each, negative 1.
"""

from decimal import Decimal

import pytest

from attempts import services
from attempts.models import Attempt, UserAnswer
from attempts.statistics import item_inputs
from attempts.statistics.item_inputs import Which, exam_item_analysis, item_analysis
from tests.attempts.statistics.test_items import close, reference
from tests.play import NOW, submit

D = Decimal
ORDER = ["single", "multiple", "true_false", "numeric", "short", "essay"]

# Each learner's answers: choices by index, or text / number; the essay's marks after it
# (None: left pending). Strong learners first.
SHEETS = [
    ({"single": [0], "multiple": [0, 1, 2], "true_false": [0], "numeric": "9.81"}, "Paris", 4),
    ({"single": [0], "multiple": [0, 1], "true_false": [0], "numeric": "9.8"}, "Paris", 3),
    ({"single": [0], "multiple": [0], "true_false": [1], "numeric": "10"}, "Paris", "2.5"),
    ({"single": [1], "multiple": [0, 3], "true_false": [0], "numeric": "9.81"}, "Rome", 1),
    ({"single": [2], "multiple": [], "true_false": [1]}, "", 0),
    ({"single": [1], "multiple": [3], "true_false": [1], "numeric": "1"}, "Rome", 0),
    ({"single": [0], "multiple": [0, 1, 2], "true_false": [0]}, "Paris", None),  # pending
]


def sit(kit, learner, sheet, *, attempt_number=1):
    answers, text, essay = sheet
    attempt = kit.start(learner)
    for name, given in answers.items():
        if name == "numeric":
            kit.answer(attempt, name, number=D(given))
        else:
            kit.answer(attempt, name, choices=given)
    if text:
        kit.answer(attempt, "short", text=text)
    kit.answer(attempt, "essay", text="An essay.")
    attempt = submit(attempt)
    if essay is not None:
        services.answer_evaluate(
            answer=UserAnswer.objects.get(attempt=attempt, exam_question=kit.eq["essay"]),
            evaluator=kit.instructor,
            marks=D(essay),
            now=NOW,
        )
    return Attempt.objects.get(pk=attempt.pk)


@pytest.fixture
def played(kit):
    learners = [kit.learner] + [kit.enrol(f"learner{i}") for i in range(1, len(SHEETS))]
    attempts = [sit(kit, learner, sheet) for learner, sheet in zip(learners, SHEETS, strict=True)]
    # The weakest learner retakes and does best of all: first and best now differ.
    retake = sit(kit, learners[5], SHEETS[0])
    return kit, attempts, retake


def matrix_of(kit, attempts):
    """The marks of each attempt on each question, read from the rows (0 without a row)."""
    marks = {
        (a, q): m
        for a, q, m in UserAnswer.objects.values_list(
            "attempt_id", "exam_question_id", "marks_awarded"
        )
    }
    return [[marks.get((a.pk, kit.eq[name].pk), D(0)) for name in ORDER] for a in attempts]


def test_the_figures_match_the_reference_on_the_stored_marks(played):
    kit, attempts, retake = played
    used = [a for a in attempts[:6] if a.pk != attempts[5].pk] + [retake]  # best of each
    analysis = exam_item_analysis(kit.exam, Which.BEST)
    expected = reference(matrix_of(kit, used), [D(4)] * 6)

    assert (analysis.analysis.test.n, analysis.pending) == (6, 1)
    assert close(analysis.analysis.test.mean, expected["mean"])
    assert close(analysis.analysis.test.cic, expected["cic"])
    for got, want in zip(analysis.analysis.questions, expected["questions"], strict=True):
        assert close(got.facility, want["facility"])
        assert close(got.discrimination_index, want["di"])
        assert close(got.discriminative_efficiency, want["de"])
        assert close(got.effective_weight, want["ew"])


@pytest.mark.parametrize(
    ("which", "expected"),
    [
        (Which.FIRST, ["first"] * 6),
        (Which.LAST, ["first"] * 5 + ["retake"]),
        (Which.BEST, ["first"] * 5 + ["retake"]),
        (Which.ALL, ["first"] * 6 + ["retake"]),
    ],
)
def test_which_attempts_are_used(played, which, expected):
    kit, attempts, retake = played
    by_name = {"first": attempts[:6], "retake": [retake]}
    chosen = [a for name in dict.fromkeys(expected) for a in by_name[name]]
    if which in (Which.LAST, Which.BEST):
        chosen = attempts[:5] + [retake]
    scores = sorted(float(a.score) for a in chosen)

    analysis = exam_item_analysis(kit.exam, which).analysis

    assert analysis.test.n == len(expected)
    assert analysis.test.min == scores[0]
    assert analysis.test.max == scores[-1]
    assert close(analysis.test.mean, sum(scores) / len(scores))


def test_default_is_the_exams_rank_policy(played):
    kit, _, _ = played
    assert exam_item_analysis(kit.exam).which == kit.exam.rank_policy


def test_option_counts_are_the_choices_picked(played):
    kit, attempts, _ = played
    analysis = exam_item_analysis(kit.exam, Which.FIRST).analysis
    single = analysis.questions[0]
    # First attempts of the six completed learners: choice 0 by three, 1 by two, 2 by one.
    assert [(o.count, o.is_correct) for o in single.options] == [
        (3, True),
        (2, False),
        (1, False),
        (0, False),
    ]
    assert "dead_distractor" in single.flags
    # A numeric question has no options and no random guess score.
    numeric = analysis.questions[3]
    assert (numeric.options, numeric.random_guess_score) == ([], None)
    assert analysis.questions[0].random_guess_score == pytest.approx(100 * (1 - 3 / 4) / 4)


def test_queries_are_a_fixed_few(played, django_assert_num_queries):
    kit, _, _ = played
    # exam questions, choices, pending count, score histogram, marks histogram, choice picks
    with django_assert_num_queries(6):
        exam_item_analysis(kit.exam, Which.BEST)


def test_the_cached_analysis_follows_every_new_result(played, django_assert_num_queries):
    kit, attempts, _ = played
    first = item_analysis(kit.exam, Which.ALL)
    with django_assert_num_queries(1):  # the stamp: one aggregate over the exam's attempts
        assert item_analysis(kit.exam, Which.ALL) == first

    # The pending essay is marked: one more completed attempt, a new stamp, new figures.
    services.answer_evaluate(
        answer=UserAnswer.objects.get(attempt=attempts[6], exam_question=kit.eq["essay"]),
        evaluator=kit.instructor,
        marks=D(2),
        now=NOW,
    )
    again = item_analysis(kit.exam, Which.ALL)
    assert (first.analysis.test.n, first.pending) == (7, 1)
    assert (again.analysis.test.n, again.pending) == (8, 0)


def test_the_stored_populations_take_five_queries(played, django_assert_num_queries):
    kit, _, _ = played
    for which in (None, Which.ALL):  # the rank policy's population, and all
        # exam questions, choices, the exam's ExamTally cells (pending and the score
        # histogram), its QuestionTally cells with x != 0 grouped by (question, x, X), its
        # ChoiceTally cells grouped by choice (with the top-27% count at the cut)
        with django_assert_num_queries(5):
            exam_item_analysis(kit.exam, which)


@pytest.mark.parametrize("which", [Which.ALL, Which.FIRST])  # FIRST: the kit's rank policy
def test_the_stored_counts_equal_the_counts_from_the_rows(played, which):
    """The inputs read from the stored sums are the ones the grouped queries over the answer
    rows give for the same attempts (pending, scores, cells, choice sums)."""
    kit, _, _ = played
    assert kit.exam.rank_policy == Which.FIRST
    question_ids = list(kit.exam.exam_questions.values_list("pk", flat=True))
    stored = item_inputs._stored_counts(kit.exam, which, True)
    counted = item_inputs._counted(kit.exam, which, question_ids, True)
    pending, scores, cells, picks = stored
    assert (pending, scores, cells) == counted[:3]
    assert pending == 1
    assert sum(scores.values()) == (7 if which == Which.ALL else 6)
    fields = ("n", "sum_total", "sum_marks", "top")
    assert {c: tuple(row[f] for f in fields) for c, row in picks.items()} == {
        c: tuple(row[f] for f in fields) for c, row in counted[3].items()
    }
