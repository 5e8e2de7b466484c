"""Marking rules of ``attempts.scoring`` -- pure functions, no database needed."""

import doctest
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.kinds import QuestionKind
from attempts import scoring
from attempts.scoring import (
    AnswerScore,
    AttemptScore,
    MarkingRule,
    Outcome,
    Response,
    ScoringError,
    is_passed,
    normalise_text,
    percentage,
    score_answer,
    score_attempt,
    summarise,
)

D = Decimal


def single(key=1, marks="4", negative="1", **kwargs):
    return MarkingRule(QuestionKind.SINGLE, D(marks), D(negative), key=frozenset({key}), **kwargs)


def multiple(key=(1, 2, 3), marks="4", negative="2", partial="1", **kwargs):
    return MarkingRule(
        QuestionKind.MULTIPLE,
        D(marks),
        D(negative),
        None if partial is None else D(partial),
        key=frozenset(key),
        **kwargs,
    )


def numeric(answer="9.81", tolerance="0.05", marks="2", negative="0.5", **kwargs):
    return MarkingRule(
        QuestionKind.NUMERIC,
        D(marks),
        D(negative),
        numeric_answer=D(answer),
        tolerance=D(tolerance),
        **kwargs,
    )


def short_text(*accepted, marks="1", negative="0.25", **kwargs):
    return MarkingRule(
        QuestionKind.SHORT_TEXT, D(marks), D(negative), accepted_answers=accepted, **kwargs
    )


def essay(marks="10", negative="0", **kwargs):
    return MarkingRule(QuestionKind.ESSAY, D(marks), D(negative), **kwargs)


def chose(*ids):
    return Response(chosen=frozenset(ids))


def result(outcome, marks):
    return AnswerScore(outcome, D(marks))


# ------------------------------------------------------------------ single / true-false


def test_single_choice_exact_key_earns_full_marks():
    assert score_answer(single(key=2), chose(2)) == result(Outcome.CORRECT, "4.00")


def test_single_choice_wrong_option_loses_negative_marks():
    assert score_answer(single(key=2), chose(3)) == result(Outcome.INCORRECT, "-1.00")


def test_single_choice_blank_is_unanswered_and_scores_zero():
    assert score_answer(single(), Response()) == result(Outcome.UNANSWERED, "0.00")
    assert score_answer(single(), None) == result(Outcome.UNANSWERED, "0.00")


def test_single_choice_several_ids_is_incorrect_even_when_they_include_the_key():
    assert score_answer(single(key=2), chose(2, 3)) == result(Outcome.INCORRECT, "-1.00")


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        ((7,), result(Outcome.CORRECT, "1.00")),
        ((8,), result(Outcome.INCORRECT, "-0.50")),
        ((7, 8), result(Outcome.INCORRECT, "-0.50")),
        ((), result(Outcome.UNANSWERED, "0.00")),
    ],
)
def test_true_false_is_marked_like_single_choice(chosen, expected):
    rule = MarkingRule(QuestionKind.TRUE_FALSE, D("1"), D("0.5"), key=frozenset({7}))
    assert score_answer(rule, chose(*chosen)) == expected


@pytest.mark.parametrize(
    ("response", "expected_marks"),
    [(chose(1), "4.00"), (chose(2), "-1.00"), (Response(), "0.00"), (None, "0.00")],
)
def test_negative_marks_apply_only_to_wrong_answers(response, expected_marks):
    assert score_answer(single(key=1), response).marks == D(expected_marks)


def test_answer_marks_are_quantized_half_up_to_cents():
    rule = single(marks="1.005", negative="0.125")
    assert str(score_answer(rule, chose(1)).marks) == "1.01"
    assert str(score_answer(rule, chose(2)).marks) == "-0.13"


# ------------------------------------------------------------------ multiple choice


def test_multiple_choice_exact_key_earns_full_marks():
    assert score_answer(multiple(), chose(1, 2, 3)) == result(Outcome.CORRECT, "4.00")


def test_multiple_choice_jee_two_of_three_correct_options_earn_two_partial_marks():
    # JEE: 4 marks, +1 per correct option when no wrong option is marked: 2 x 1 = 2.00.
    assert score_answer(multiple(), chose(1, 3)) == result(Outcome.PARTIAL, "2.00")


def test_multiple_choice_partial_marks_are_capped_at_full_marks():
    # 3 options x 1.5 = 4.5, capped at the question's 4 marks -- still PARTIAL.
    rule = multiple(key=(1, 2, 3, 4), partial="1.5")
    assert score_answer(rule, chose(1, 2, 3)) == result(Outcome.PARTIAL, "4.00")


def test_multiple_choice_any_wrong_option_is_incorrect():
    assert score_answer(multiple(), chose(1, 2, 5)) == result(Outcome.INCORRECT, "-2.00")
    assert score_answer(multiple(), chose(1, 2, 3, 4)) == result(Outcome.INCORRECT, "-2.00")
    assert score_answer(multiple(), chose(6)) == result(Outcome.INCORRECT, "-2.00")


def test_multiple_choice_subset_without_partial_marks_is_incorrect():
    rule = multiple(partial=None)
    assert score_answer(rule, chose(1, 2)) == result(Outcome.INCORRECT, "-2.00")
    assert score_answer(rule, chose(1, 2, 3)) == result(Outcome.CORRECT, "4.00")


def test_multiple_choice_blank_is_unanswered():
    assert score_answer(multiple(), chose()) == result(Outcome.UNANSWERED, "0.00")


def test_partial_marks_are_ignored_outside_multiple_choice():
    rule = MarkingRule(
        QuestionKind.SINGLE, D("4"), D("1"), partial_marks=D("1"), key=frozenset({1})
    )
    assert score_answer(rule, chose(2)) == result(Outcome.INCORRECT, "-1.00")


# ------------------------------------------------------------------ numeric


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("9.81", result(Outcome.CORRECT, "2.00")),
        ("9.79", result(Outcome.CORRECT, "2.00")),  # inside
        ("9.86", result(Outcome.CORRECT, "2.00")),  # at the upper edge: inclusive
        ("9.76", result(Outcome.CORRECT, "2.00")),  # at the lower edge: inclusive
        ("9.87", result(Outcome.INCORRECT, "-0.50")),  # outside
        ("9.75", result(Outcome.INCORRECT, "-0.50")),
        ("-9.81", result(Outcome.INCORRECT, "-0.50")),
    ],
)
def test_numeric_is_correct_within_tolerance_edges_included(number, expected):
    assert score_answer(numeric(), Response(number=D(number))) == expected


def test_numeric_zero_tolerance_needs_the_exact_value_in_any_notation():
    rule = numeric(answer="2.5", tolerance="0")
    assert score_answer(rule, Response(number=D("2.500"))).outcome is Outcome.CORRECT
    assert score_answer(rule, Response(number=D("25E-1"))).outcome is Outcome.CORRECT
    assert score_answer(rule, Response(number=D("2.501"))).outcome is Outcome.INCORRECT


def test_numeric_without_a_number_is_unanswered():
    assert score_answer(numeric(), Response(text="9.81")) == result(Outcome.UNANSWERED, "0")


# ------------------------------------------------------------------ short text


@pytest.mark.parametrize(
    ("given", "accepted"),
    [
        ("  Paris  ", "paris"),
        ("New   York", "new york"),
        ("new\tyork\n", " NEW YORK "),
        ("STRASSE", "Straße"),
    ],
)
def test_short_text_matches_after_trimming_casefolding_and_collapsing_whitespace(given, accepted):
    assert normalise_text(given) == normalise_text(accepted)
    rule = short_text("Lyon", accepted)
    assert score_answer(rule, Response(text=given)) == result(Outcome.CORRECT, "1.00")


def test_normalise_text_strips_casefolds_and_collapses_whitespace():
    assert normalise_text("  New \t\n  YORK  ") == "new york"
    assert normalise_text("   ") == ""


def test_short_text_other_answer_is_incorrect_and_blank_is_unanswered():
    rule = short_text("Paris")
    assert score_answer(rule, Response(text="Pari s")) == result(Outcome.INCORRECT, "-0.25")
    assert score_answer(rule, Response(text=" \t ")) == result(Outcome.UNANSWERED, "0.00")


def test_short_text_without_accepted_answers_marks_every_answer_incorrect():
    assert score_answer(short_text(), Response(text="x")).outcome is Outcome.INCORRECT


# ------------------------------------------------------------------ essay


def test_essay_answered_but_not_evaluated_is_pending_with_zero_marks():
    assert score_answer(essay(), Response(text="An essay")) == result(Outcome.PENDING, "0")


@pytest.mark.parametrize(
    ("awarded", "expected"),
    [
        ("10", result(Outcome.CORRECT, "10.00")),
        ("6.5", result(Outcome.PARTIAL, "6.50")),
        ("0", result(Outcome.INCORRECT, "0.00")),
    ],
)
def test_essay_award_is_the_marks_and_decides_the_outcome(awarded, expected):
    rule = essay(negative="3")  # negative marks never apply to essays
    assert score_answer(rule, Response(text="An essay", awarded=D(awarded))) == expected


@pytest.mark.parametrize("awarded", ["-0.01", "10.01", "11"])
def test_essay_award_outside_zero_to_marks_is_an_error(awarded):
    with pytest.raises(ScoringError, match=r"outside 0\.\.10"):
        score_answer(essay(), Response(text="An essay", awarded=D(awarded)))


def test_blank_essay_is_unanswered_even_when_evaluated():
    assert score_answer(essay(), Response(text=" \n ")) == result(Outcome.UNANSWERED, "0")
    evaluated_blank = Response(text="", awarded=D("0"))
    assert score_answer(essay(), evaluated_blank).outcome is Outcome.UNANSWERED
    assert score_answer(essay(), None) == result(Outcome.UNANSWERED, "0")


# ------------------------------------------------------------------ bonus


def test_bonus_question_gives_full_marks_for_a_wrong_answer_and_never_counts_it_incorrect():
    rule = single(key=1, is_bonus=True)
    assert score_answer(rule, chose(2)) == result(Outcome.CORRECT, "4.00")


def test_bonus_question_gives_full_marks_when_unanswered_but_reports_it_unanswered():
    assert score_answer(multiple(is_bonus=True), None) == result(Outcome.UNANSWERED, "4.00")
    assert score_answer(numeric(is_bonus=True), Response()) == result(Outcome.UNANSWERED, "2")


def test_bonus_partial_answer_earns_full_marks_and_counts_correct():
    assert score_answer(multiple(is_bonus=True), chose(1)) == result(Outcome.CORRECT, "4")


def test_bonus_essay_never_waits_for_evaluation():
    rule = essay(is_bonus=True)
    assert score_answer(rule, Response(text="An essay")) == result(Outcome.CORRECT, "10.00")
    evaluated = Response(text="An essay", awarded=D("3"))
    assert score_answer(rule, evaluated) == result(Outcome.CORRECT, "10.00")
    assert score_answer(rule, Response()) == result(Outcome.UNANSWERED, "10.00")
    attempt = score_attempt([(rule, Response(text="An essay"))], None)
    assert attempt.pending == 0


def test_bonus_essay_award_is_still_checked():
    with pytest.raises(ScoringError):
        score_answer(essay(is_bonus=True), Response(text="x", awarded=D("12")))


# ------------------------------------------------------------------ whole attempts


def test_mixed_attempt_with_negative_partial_and_bonus_marks():
    # Q1 single 4/-1, right                         -> correct     +4.00
    # Q2 single 4/-1, wrong                         -> incorrect   -1.00
    # Q3 multiple 4/-2 partial 1, 2 of 3 keys       -> partial     +2.00
    # Q4 numeric 4/-1 bonus, unanswered             -> unanswered  +4.00 (bonus)
    # Q5 essay 24, awarded 0.25                     -> partial     +0.25
    # score = 4 - 1 + 2 + 4 + 0.25 = 9.25; max = 4 + 4 + 4 + 4 + 24 = 40
    # percentage = 9.25 / 40 * 100 = 23.125 -> 23.13 half-up (half-even would give 23.12)
    items = [
        (single(key=1), chose(1)),
        (single(key=1), chose(3)),
        (multiple(key=(1, 2, 3)), chose(2, 3)),
        (numeric(answer="3", marks="4", negative="1", is_bonus=True), None),
        (essay(marks="24"), Response(text="Essay", awarded=D("0.25"))),
    ]
    expected = AttemptScore(
        total=5,
        correct=1,
        incorrect=1,
        partial=2,
        unanswered=1,
        pending=0,
        score=D("9.25"),
        max_score=D("40.00"),
        percentage=D("23.13"),
        passed=True,
    )
    assert score_attempt(items, D("23.13")) == expected
    assert score_attempt(items, D("23.14")).passed is False
    assert str(score_attempt(items, None).percentage) == "23.13"


def test_attempt_with_pending_essay_counts_it_pending_and_rounds_two_thirds_up():
    # Q1 single 1, right -> +1; Q2 true/false 1, right -> +1; Q3 essay 1, pending -> 0
    # score 2 of 3 = 66.666...% -> 66.67; below a 70% pass mark.
    items = [
        (single(key=1, marks="1", negative="0"), chose(1)),
        (MarkingRule(QuestionKind.TRUE_FALSE, D("1"), key=frozenset({2})), chose(2)),
        (essay(marks="1"), Response(text="Essay")),
    ]
    attempt = score_attempt(items, D("70"))
    assert (attempt.total, attempt.correct, attempt.pending) == (3, 2, 1)
    assert (attempt.score, attempt.max_score) == (D("2.00"), D("3.00"))
    assert str(attempt.percentage) == "66.67"
    assert attempt.passed is False


def test_attempt_score_can_be_negative_and_so_can_its_percentage():
    # Two wrong answers at -1 each of 2 x 4 marks: -2 / 8 = -25.00 %.
    attempt = score_attempt([(single(), chose(2)), (single(), chose(3))], D("0"))
    assert (attempt.score, attempt.percentage, attempt.passed) == (D("-2"), D("-25"), False)


def test_empty_attempt_scores_zero_percent():
    assert score_attempt([], D("50")) == AttemptScore(
        0, 0, 0, 0, 0, 0, D("0.00"), D("0.00"), D("0.00"), False
    )


def test_all_right_attempt_is_exactly_one_hundred_percent_even_with_odd_marks():
    rule = single(marks="0.333")
    attempt = score_attempt([(rule, chose(1))] * 3, D("100"))
    assert (attempt.score, attempt.max_score, attempt.percentage) == (
        D("0.99"),
        D("0.99"),
        D("100.00"),
    )
    assert attempt.passed is True


def test_summarise_accepts_outcomes_and_marks_read_back_from_answer_rows():
    rows = [(single(), AnswerScore("correct", D("4"))), (single(), AnswerScore("pending", 0))]
    attempt = summarise(rows, None)
    assert (attempt.correct, attempt.pending, attempt.score, attempt.passed) == (
        1,
        1,
        D("4.00"),
        None,
    )


# ------------------------------------------------------------------ percentage / passed


def test_percentage_is_zero_when_max_score_is_zero():
    assert str(percentage(D("0"), D("0"))) == "0.00"
    assert str(percentage(D("-3"), D("0"))) == "0.00"


@pytest.mark.parametrize(
    ("score", "max_score", "expected"),
    [
        ("2", "3", "66.67"),
        ("1", "3", "33.33"),
        ("1", "32", "3.13"),  # 3.125 -> half-up
        ("-1", "32", "-3.13"),  # half away from zero
        ("-2", "8", "-25.00"),
        ("0", "8", "0.00"),
        ("8", "8", "100.00"),
        ("9.25", "40", "23.13"),
    ],
)
def test_percentage_rounds_half_up_to_two_places(score, max_score, expected):
    assert str(percentage(D(score), D(max_score))) == expected


def test_passed_is_none_without_a_pass_mark():
    assert is_passed(D("100.00"), None) is None


def test_passed_is_true_exactly_at_the_pass_mark_and_false_just_below():
    assert is_passed(D("40.00"), D("40")) is True
    assert is_passed(D("39.99"), D("40")) is False


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    "kwargs",
    [
        {"marks": D("-1")},
        {"negative_marks": D("-0.5")},
        {"partial_marks": D("-1")},
        {"tolerance": D("-0.1")},
        {"marks": 1.5},
        {"marks": D("NaN")},
        {"kind": "matching"},
        {"key": frozenset({"a"})},
        {"accepted_answers": "Paris"},
    ],
)
def test_invalid_marking_rules_are_refused(kwargs):
    fields = {"kind": QuestionKind.SINGLE, "marks": D("1"), "key": frozenset({1})} | kwargs
    with pytest.raises(ScoringError):
        MarkingRule(**fields)


def test_numeric_question_needs_its_answer():
    with pytest.raises(ScoringError, match="numeric_answer"):
        MarkingRule(QuestionKind.NUMERIC, D("1"))


def test_rules_and_responses_accept_plain_values_from_rows():
    rule = MarkingRule("multiple", 4, 1, 1, key={1, 2}, accepted_answers=["x"])
    assert rule.kind is QuestionKind.MULTIPLE
    assert rule.key == frozenset({1, 2})
    assert rule.accepted_answers == ("x",)
    assert score_answer(rule, Response(chosen=[1], text=None)).outcome is Outcome.PARTIAL


def test_infinite_numeric_response_is_refused():
    with pytest.raises(ScoringError):
        Response(number=D("Infinity"))


def test_worked_examples_in_the_docstrings_hold():
    failures, attempted = doctest.testmod(scoring, optionflags=doctest.ELLIPSIS)
    assert attempted > 0
    assert failures == 0


# ------------------------------------------------------------------ properties

CHOICES = list(range(1, 7))
WORDS = ["Paris", "New York", "Straße", "nyc", "forty two"]


def money(low, high):
    return st.decimals(min_value=D(low), max_value=D(high), places=2)


@st.composite
def marking_rules(draw):
    kind = draw(st.sampled_from(QuestionKind))
    key = draw(st.lists(st.sampled_from(CHOICES), min_size=1, max_size=4, unique=True))
    return MarkingRule(
        kind=kind,
        marks=draw(money("0", "10")),
        negative_marks=draw(money("0", "5")),
        partial_marks=draw(st.none() | money("0", "5")),
        is_bonus=draw(st.booleans()),
        key=frozenset(key),
        numeric_answer=draw(money("-100", "100")),
        tolerance=draw(money("0", "1")),
        accepted_answers=tuple(draw(st.lists(st.sampled_from(WORDS), max_size=3))),
    )


@st.composite
def responses(draw, rule):
    if draw(st.integers(0, 7)) == 0:
        return None
    chosen = draw(
        st.just(rule.key)
        | st.frozensets(st.sampled_from(sorted(rule.key)))
        | st.frozensets(st.sampled_from(CHOICES))
    )
    texts = [st.sampled_from(WORDS), st.sampled_from(["", "  ", "\t"]), st.text(max_size=12)]
    if rule.accepted_answers:
        texts.append(st.sampled_from(rule.accepted_answers).map(lambda s: f"  {s.upper()} "))
    answer, tolerance = rule.numeric_answer, rule.tolerance
    number = draw(
        st.none()
        | st.sampled_from([answer, answer + tolerance, answer - tolerance])
        | money(answer - 2, answer + 2)
    )
    return Response(
        chosen=chosen,
        text=draw(st.one_of(texts)),
        number=number,
        awarded=draw(st.none() | money("0", rule.marks)),
    )


@st.composite
def attempts(draw):
    rules = draw(st.lists(marking_rules(), max_size=8))
    return [(rule, draw(responses(rule))) for rule in rules]


pass_marks = st.none() | money("0", "100")


@settings(deadline=None)
@given(items=attempts(), pass_percentage=pass_marks)
def test_outcome_counts_always_add_up_to_the_number_of_questions(items, pass_percentage):
    attempt = score_attempt(items, pass_percentage)
    assert attempt.total == len(items)
    counted = (
        attempt.correct + attempt.incorrect + attempt.partial + attempt.unanswered + attempt.pending
    )
    assert counted == attempt.total
    assert min(attempt.correct, attempt.incorrect, attempt.partial) >= 0
    assert min(attempt.unanswered, attempt.pending) >= 0


@settings(deadline=None)
@given(items=attempts())
def test_score_lies_between_the_all_wrong_and_all_right_bounds(items):
    attempt = score_attempt(items, None)
    all_right = sum((rule.marks for rule, _ in items), D("0"))
    all_wrong = sum(
        (rule.marks if rule.is_bonus else -rule.negative_marks for rule, _ in items), D("0")
    )
    assert all_wrong <= attempt.score <= all_right
    assert attempt.max_score == all_right
    for rule, response in items:
        answer = score_answer(rule, response)
        if rule.is_bonus:
            assert answer.marks == rule.marks
            # Full marks are never counted incorrect, partial or pending.
            assert answer.outcome in (Outcome.CORRECT, Outcome.UNANSWERED)
        else:
            assert -rule.negative_marks <= answer.marks <= rule.marks


@settings(deadline=None)
@given(items=attempts())
def test_leaving_a_wrong_answer_blank_never_lowers_the_score(items):
    score = score_attempt(items, None).score
    wrong = [
        i
        for i, (rule, response) in enumerate(items)
        if score_answer(rule, response).outcome is Outcome.INCORRECT
    ]
    for i in wrong:
        blanked = [*items[:i], (items[i][0], None), *items[i + 1 :]]
        assert score_attempt(blanked, None).score >= score
    all_blanked = [(rule, None if i in wrong else r) for i, (rule, r) in enumerate(items)]
    assert score_attempt(all_blanked, None).score >= score


@settings(deadline=None)
@given(items=attempts(), pass_percentage=pass_marks)
def test_scoring_is_deterministic_and_summarise_agrees_with_score_attempt(items, pass_percentage):
    first = score_attempt(items, pass_percentage)
    assert score_attempt(iter(items), pass_percentage) == first
    answers = [(rule, score_answer(rule, response)) for rule, response in items]
    assert answers == [(rule, score_answer(rule, response)) for rule, response in items]
    assert summarise(answers, pass_percentage) == first
    assert first.percentage == percentage(first.score, first.max_score)
    assert first.passed == is_passed(first.percentage, pass_percentage)
    assert first.percentage.as_tuple().exponent == -2
    assert first.score.as_tuple().exponent == -2


@given(score=money("-1000", "1000"), max_score=money("0.01", "1000"))
def test_percentage_matches_decimal_half_up_rounding(score, max_score):
    with localcontext() as context:
        context.prec = 60
        expected = (score * 100 / max_score).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    assert percentage(score, max_score) == expected
