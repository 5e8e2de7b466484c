"""How one answer, and a whole attempt, are marked.

This module is pure: standard library only (no Django, no ORM), Decimal arithmetic only (never
floats). ``attempts.services`` turns database rows into :class:`MarkingRule` and
:class:`Response` values, calls :func:`score_answer` / :func:`score_attempt` (or
:func:`summarise` over stored answer results) and writes the numbers back.

Rules in short (each scorer below has its own docstring with a worked example):

* **Single choice / true-false** -- choosing exactly the key earns ``marks``; any other
  non-empty choice (a wrong id, or several ids) is INCORRECT and earns ``-negative_marks``;
  no choice is UNANSWERED and earns 0.
* **Multiple choice** -- exactly the key earns ``marks``. With ``partial_marks`` set, a
  non-empty proper subset of the key (no wrong option) is PARTIAL and earns
  ``partial_marks * len(chosen)``, capped at ``marks`` (JEE style). Any wrong option, or a
  proper subset when ``partial_marks`` is None, is INCORRECT (``-negative_marks``). Empty is
  UNANSWERED (0).
* **Numeric** -- ``|number - numeric_answer| <= tolerance`` (inclusive) earns ``marks``;
  another number is INCORRECT (``-negative_marks``); no number is UNANSWERED (0).
* **Short text** -- compared after :func:`normalise_text` (trim, case-fold, collapse
  whitespace) with every accepted answer; a match earns ``marks``, anything else non-blank is
  INCORRECT (``-negative_marks``), blank is UNANSWERED (0).
* **Essay** -- blank text is UNANSWERED (0); answered but not evaluated is PENDING (0); an
  evaluator's award must lie in ``0..marks`` (else :class:`ScoringError`) and is the marks:
  full award CORRECT, 0 INCORRECT, anything between PARTIAL. Negative marks never apply.
* **Bonus** -- whoever has the question earns its full ``marks`` whatever they answered. Any
  answer is CORRECT (a wrong or partial one earns full marks, so it is never counted
  incorrect or partial); no answer stays UNANSWERED (with the full marks). A bonus essay never
  waits for evaluation.
* **Override** -- an instructor's marks for the answer, between ``-negative_marks`` (0 for
  an essay) and ``marks``, beat everything above (key, evaluation, bonus). The outcome follows
  the marks: full marks CORRECT, between 0 and full PARTIAL, 0 or less INCORRECT (an
  unanswered question given 0 stays UNANSWERED).
* **Attempt** -- score is the sum of answer marks (may be negative); max_score is the sum of
  every question's ``marks`` (bonus included); percentage is ``score / max_score * 100``
  rounded half-up to 2 places (0.00 when max_score is 0); passed is ``percentage >=
  pass_percentage`` (None without a pass mark). The five outcome counts always add up to the
  number of questions; a ``None`` response counts as unanswered.

Every Decimal this module returns is rounded half-up to 2 places (``attempts.statistics.rounding``).
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from assessments.kinds import QuestionKind
from attempts.statistics.rounding import half_up, ratio_half_up

__all__ = [
    "AnswerScore",
    "AttemptScore",
    "MarkingRule",
    "Outcome",
    "Response",
    "ScoringError",
    "fitted",
    "is_passed",
    "normalise_text",
    "override_range",
    "percentage",
    "score_answer",
    "score_attempt",
    "summarise",
]

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class ScoringError(ValueError):
    """Input the marker cannot score: an essay award outside ``0..marks``, a negative mark,
    a float where a Decimal is required, a numeric question without its answer, ..."""


class Outcome(StrEnum):
    CORRECT = "correct"
    INCORRECT = "incorrect"
    PARTIAL = "partial"
    UNANSWERED = "unanswered"
    PENDING = "pending"


# --------------------------------------------------------------------------- helpers


# Pure, and called once per answer (each question's marks, in ``summarise``) over few
# distinct values: exact rounding on fractions was 70 % of the bulk seed's time uncached.
@lru_cache(maxsize=4096)
def _cents(value: Decimal) -> Decimal:
    """Quantize to 2 places, half-up; never returns a negative zero (``rounding.half_up``)."""
    return half_up(value, CENT)


def _decimal(value: object, name: str) -> Decimal:
    """A finite Decimal from a Decimal or an int; floats (inexact) and the rest are refused."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ScoringError(f"{name} must be a Decimal or an int, not {type(value).__name__}")
    result = Decimal(value)
    if not result.is_finite():
        raise ScoringError(f"{name} must be a finite number, got {result}")
    return result


def _optional_decimal(value: object, name: str) -> Decimal | None:
    return None if value is None else _decimal(value, name)


def _non_negative(value: object, name: str) -> Decimal:
    result = _decimal(value, name)
    if result < 0:
        raise ScoringError(f"{name} must not be negative, got {result}")
    return result


def _ids(value: object, name: str) -> frozenset[int]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ScoringError(f"{name} must be a collection of choice ids, not {value!r}")
    ids = frozenset(value)
    if any(isinstance(i, bool) or not isinstance(i, int) for i in ids):
        raise ScoringError(f"{name} must hold integer choice ids, got {sorted(map(repr, ids))}")
    return ids


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class MarkingRule:
    """One exam question as the marker sees it.

    ``marks``, ``negative_marks`` (a positive number deducted for a wrong answer),
    ``partial_marks`` and ``tolerance`` must be finite and non-negative Decimals (ints are
    accepted, floats refused); a numeric question needs its ``numeric_answer``. ``kind`` may be
    given as its string value. Violations raise :class:`ScoringError`. The content of ``key``
    and ``accepted_answers`` is not checked: a single-choice question with an empty key, or a
    short-text question without accepted answers, simply marks every non-blank answer
    INCORRECT (make such a flawed question a bonus question to neutralise it).
    """

    kind: QuestionKind
    marks: Decimal
    negative_marks: Decimal = Decimal("0")
    partial_marks: Decimal | None = None
    is_bonus: bool = False
    key: frozenset[int] = frozenset()
    numeric_answer: Decimal | None = None
    tolerance: Decimal = Decimal("0")
    accepted_answers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        try:
            kind = QuestionKind(self.kind)
        except ValueError:
            raise ScoringError(f"unknown question kind {self.kind!r}") from None
        set_ = object.__setattr__
        set_(self, "kind", kind)
        set_(self, "marks", _non_negative(self.marks, "marks"))
        set_(self, "negative_marks", _non_negative(self.negative_marks, "negative_marks"))
        if self.partial_marks is not None:
            set_(self, "partial_marks", _non_negative(self.partial_marks, "partial_marks"))
        set_(self, "is_bonus", bool(self.is_bonus))
        set_(self, "key", _ids(self.key, "key"))
        set_(self, "numeric_answer", _optional_decimal(self.numeric_answer, "numeric_answer"))
        set_(self, "tolerance", _non_negative(self.tolerance, "tolerance"))
        if kind is QuestionKind.NUMERIC and self.numeric_answer is None:
            raise ScoringError("a numeric question needs a numeric_answer")
        answers = self.accepted_answers
        if isinstance(answers, str) or any(not isinstance(a, str) for a in answers):
            raise ScoringError(f"accepted_answers must be a sequence of strings, not {answers!r}")
        set_(self, "accepted_answers", tuple(answers))


@dataclass(frozen=True, slots=True)
class Response:
    """What the learner gave. Empty ``chosen``, blank ``text`` and ``number=None`` mean
    unanswered; ``awarded`` is what an evaluator gave an essay (None: not evaluated yet);
    ``override`` the marks an instructor set for the answer (None: none set)."""

    chosen: frozenset[int] = frozenset()
    text: str = ""
    number: Decimal | None = None
    awarded: Decimal | None = None
    override: Decimal | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "chosen", _ids(self.chosen, "chosen"))
        if self.text is None:
            set_(self, "text", "")
        elif not isinstance(self.text, str):
            raise ScoringError(f"text must be a string, not {type(self.text).__name__}")
        set_(self, "number", _optional_decimal(self.number, "number"))
        set_(self, "awarded", _optional_decimal(self.awarded, "awarded"))
        set_(self, "override", _optional_decimal(self.override, "override"))


@dataclass(frozen=True, slots=True)
class AnswerScore:
    """The result of one answer. ``outcome`` may be given as its string value and ``marks``
    is quantized to 0.01 on construction (so values read back from answer rows compare equal
    to freshly computed ones)."""

    outcome: Outcome
    marks: Decimal

    def __post_init__(self) -> None:
        try:
            outcome = Outcome(self.outcome)
        except ValueError:
            raise ScoringError(f"unknown outcome {self.outcome!r}") from None
        object.__setattr__(self, "outcome", outcome)
        object.__setattr__(self, "marks", _cents(_decimal(self.marks, "marks")))


@dataclass(frozen=True, slots=True)
class AttemptScore:
    """The result of an attempt; ``correct + incorrect + partial + unanswered + pending ==
    total`` always."""

    total: int
    correct: int
    incorrect: int
    partial: int
    unanswered: int
    pending: int
    score: Decimal
    max_score: Decimal
    percentage: Decimal
    passed: bool | None


_UNANSWERED = Response()


# --------------------------------------------------------------------------- text


def normalise_text(value: str) -> str:
    """Trim, case-fold and collapse every run of whitespace to one space.

    >>> normalise_text("  New \\t  YORK\\n")
    'new york'
    >>> normalise_text("Straße") == normalise_text("STRASSE")
    True
    """
    return " ".join(value.split()).casefold()


# --------------------------------------------------------------------------- one answer

_Marked = tuple[Outcome, Decimal]


def _score_single(rule: MarkingRule, response: Response) -> _Marked:
    """Single choice and true/false: the choice must be exactly the key.

    >>> rule = MarkingRule(QuestionKind.SINGLE, Decimal("4"), Decimal("1"), key=frozenset({2}))
    >>> [str(score_answer(rule, Response(chosen=frozenset(c))).marks)
    ...  for c in ({2}, {3}, {2, 3}, set())]
    ['4.00', '-1.00', '-1.00', '0.00']
    """
    if not response.chosen:
        return Outcome.UNANSWERED, ZERO
    if response.chosen == rule.key:
        return Outcome.CORRECT, rule.marks
    return Outcome.INCORRECT, -rule.negative_marks


def _score_multiple(rule: MarkingRule, response: Response) -> _Marked:
    """Multiple choice, with optional JEE-style partial marking.

    Exactly the key is CORRECT. With ``partial_marks`` set, a non-empty proper subset of the
    key is PARTIAL and earns ``partial_marks`` per chosen option, capped at ``marks``. Any
    wrong option is INCORRECT. Without ``partial_marks`` a proper subset is INCORRECT too
    (and so loses ``negative_marks``): all-or-nothing marking treats an incomplete answer as a
    wrong one.

    JEE: 4 marks, -2 for a wrong answer, +1 per correct option; key {1, 2, 3}.

    >>> jee = MarkingRule(QuestionKind.MULTIPLE, Decimal("4"), Decimal("2"), Decimal("1"),
    ...                   key=frozenset({1, 2, 3}))
    >>> for chosen in ({1, 2, 3}, {1, 2}, {1, 4}, set()):
    ...     answer = score_answer(jee, Response(chosen=frozenset(chosen)))
    ...     print(sorted(chosen), answer.outcome, answer.marks)
    [1, 2, 3] correct 4.00
    [1, 2] partial 2.00
    [1, 4] incorrect -2.00
    [] unanswered 0.00
    """
    chosen = response.chosen
    if not chosen:
        return Outcome.UNANSWERED, ZERO
    if chosen == rule.key:
        return Outcome.CORRECT, rule.marks
    if rule.partial_marks is not None and chosen < rule.key:
        return Outcome.PARTIAL, min(rule.partial_marks * len(chosen), rule.marks)
    return Outcome.INCORRECT, -rule.negative_marks


def _score_numeric(rule: MarkingRule, response: Response) -> _Marked:
    """Numeric: correct when within ``tolerance`` of ``numeric_answer``, edges included.

    >>> rule = MarkingRule(QuestionKind.NUMERIC, Decimal("2"), Decimal("0.5"),
    ...                    numeric_answer=Decimal("9.81"), tolerance=Decimal("0.05"))
    >>> [str(score_answer(rule, Response(number=n)).marks)
    ...  for n in (Decimal("9.8"), Decimal("9.86"), Decimal("9.87"), None)]
    ['2.00', '2.00', '-0.50', '0.00']
    """
    if response.number is None:
        return Outcome.UNANSWERED, ZERO
    assert rule.numeric_answer is not None  # guaranteed by MarkingRule
    if abs(response.number - rule.numeric_answer) <= rule.tolerance:
        return Outcome.CORRECT, rule.marks
    return Outcome.INCORRECT, -rule.negative_marks


def _score_short_text(rule: MarkingRule, response: Response) -> _Marked:
    """Short text: equal, after :func:`normalise_text`, to one of the accepted answers.

    >>> rule = MarkingRule(QuestionKind.SHORT_TEXT, Decimal("1"), Decimal("0.25"),
    ...                    accepted_answers=("New York", "NYC"))
    >>> [str(score_answer(rule, Response(text=t)).marks)
    ...  for t in ("  new   york ", "nyc", "Boston", "   ")]
    ['1.00', '1.00', '-0.25', '0.00']
    """
    given = normalise_text(response.text)
    if not given:
        return Outcome.UNANSWERED, ZERO
    if any(given == normalise_text(accepted) for accepted in rule.accepted_answers):
        return Outcome.CORRECT, rule.marks
    return Outcome.INCORRECT, -rule.negative_marks


def _score_essay(rule: MarkingRule, response: Response) -> _Marked:
    """Essay: the evaluator's award is the marks; negative marks never apply.

    An award is checked against ``0..marks`` whenever one is given (even on a blank essay)
    and the outcome is decided on the award rounded to cents: full marks CORRECT, 0
    INCORRECT, in between PARTIAL. (So on a 0-mark essay any evaluated answer is CORRECT.)

    >>> rule = MarkingRule(QuestionKind.ESSAY, Decimal("10"), negative_marks=Decimal("2"))
    >>> for text, awarded in (("My essay", None), ("My essay", Decimal("6.5")),
    ...                       ("My essay", Decimal("0")), ("  ", None)):
    ...     answer = score_answer(rule, Response(text=text, awarded=awarded))
    ...     print(answer.outcome, answer.marks)
    pending 0.00
    partial 6.50
    incorrect 0.00
    unanswered 0.00
    >>> score_answer(rule, Response(text="My essay", awarded=Decimal("11")))
    Traceback (most recent call last):
    ...
    attempts.scoring.ScoringError: awarded marks 11 are outside 0..10 for this essay
    """
    awarded = response.awarded
    if awarded is not None and not 0 <= awarded <= rule.marks:
        raise ScoringError(f"awarded marks {awarded} are outside 0..{rule.marks} for this essay")
    if not response.text.strip():
        return Outcome.UNANSWERED, ZERO
    if awarded is None:
        return Outcome.PENDING, ZERO
    awarded = _cents(awarded)
    if awarded == _cents(rule.marks):
        return Outcome.CORRECT, awarded
    if awarded == 0:
        return Outcome.INCORRECT, ZERO
    return Outcome.PARTIAL, awarded


_SCORERS = {
    QuestionKind.SINGLE: _score_single,
    QuestionKind.TRUE_FALSE: _score_single,
    QuestionKind.MULTIPLE: _score_multiple,
    QuestionKind.NUMERIC: _score_numeric,
    QuestionKind.SHORT_TEXT: _score_short_text,
    QuestionKind.ESSAY: _score_essay,
}


def score_answer(rule: MarkingRule, response: Response | None) -> AnswerScore:
    """Mark one answer (``None`` is unanswered); see the module docstring for the rules.

    A bonus question earns its full marks whatever was answered: any answer is CORRECT (a
    wrong one is never counted incorrect beside full marks), no answer stays UNANSWERED, and
    an answered, unevaluated bonus essay is CORRECT (never PENDING).
    Fields that do not belong to the question's kind are ignored (``chosen`` of a numeric
    question, ``partial_marks`` of a single-choice one, ...).

    >>> bonus = MarkingRule(QuestionKind.SINGLE, Decimal("4"), Decimal("1"), is_bonus=True,
    ...                     key=frozenset({1}))
    >>> score_answer(bonus, Response(chosen=frozenset({2})))
    AnswerScore(outcome=<Outcome.CORRECT: 'correct'>, marks=Decimal('4.00'))
    >>> score_answer(bonus, None)
    AnswerScore(outcome=<Outcome.UNANSWERED: 'unanswered'>, marks=Decimal('4.00'))
    >>> essay = MarkingRule(QuestionKind.ESSAY, Decimal("5"), is_bonus=True)
    >>> score_answer(essay, Response(text="Unevaluated"))
    AnswerScore(outcome=<Outcome.CORRECT: 'correct'>, marks=Decimal('5.00'))
    """
    outcome, marks = _SCORERS[rule.kind](rule, _UNANSWERED if response is None else response)
    if rule.is_bonus:
        marks = rule.marks
        if outcome is not Outcome.UNANSWERED:
            outcome = Outcome.CORRECT
    if response is not None and response.override is not None:
        return _overridden(rule, outcome, response.override)
    return AnswerScore(outcome, _cents(marks))


def override_range(rule: MarkingRule) -> tuple[Decimal, Decimal]:
    """The marks an instructor may set for an answer: ``-negative_marks`` (0 for an essay,
    which never loses marks) up to ``marks``, both ends included.

    >>> override_range(MarkingRule(QuestionKind.SINGLE, Decimal("4"), Decimal("1")))
    (Decimal('-1.00'), Decimal('4.00'))
    >>> override_range(MarkingRule(QuestionKind.ESSAY, Decimal("10"), Decimal("2")))
    (Decimal('0.00'), Decimal('10.00'))
    """
    lowest = ZERO if rule.kind is QuestionKind.ESSAY else -rule.negative_marks
    return _cents(lowest), _cents(rule.marks)


def fitted(rule: MarkingRule, response: Response | None) -> Response | None:
    """``response`` with an override or an essay's awarded marks that the rule no longer
    allows (the question's marks were lowered after they were given) brought to the nearest
    end of the allowed range; anything else is returned as is.

    A rescore uses it so that lowering a question's marks caps the instructors' marks instead
    of refusing to score (an override of 4 out of 4 becomes 2 out of 2).

    >>> rule = MarkingRule(QuestionKind.SINGLE, Decimal("2"), Decimal("1"), key=frozenset({1}))
    >>> fitted(rule, Response(override=Decimal("4"))).override
    Decimal('2.00')
    >>> fitted(rule, Response(override=Decimal("-3"))).override
    Decimal('-1.00')
    >>> fitted(rule, Response(override=Decimal("1.5"))).override
    Decimal('1.5')
    >>> essay = MarkingRule(QuestionKind.ESSAY, Decimal("5"))
    >>> fitted(essay, Response(text="Essay", awarded=Decimal("8"))).awarded
    Decimal('5.00')
    """
    if response is None:
        return None
    changes = {}
    if response.override is not None:
        lowest, highest = override_range(rule)
        capped = min(max(response.override, lowest), highest)
        if capped != response.override:
            changes["override"] = capped
    if rule.kind is QuestionKind.ESSAY and response.awarded is not None:
        capped = min(max(response.awarded, ZERO), _cents(rule.marks))
        if capped != response.awarded:
            changes["awarded"] = capped
    return replace(response, **changes) if changes else response


def _overridden(rule: MarkingRule, outcome: Outcome, override: Decimal) -> AnswerScore:
    """An override's marks, and the outcome they mean (``outcome``: the marking's own).

    >>> rule = MarkingRule(QuestionKind.SINGLE, Decimal("4"), Decimal("1"), key=frozenset({1}))
    >>> [(str(a.outcome), str(a.marks)) for a in (
    ...     score_answer(rule, Response(chosen=frozenset({2}), override=Decimal("4"))),
    ...     score_answer(rule, Response(chosen=frozenset({2}), override=Decimal("1.5"))),
    ...     score_answer(rule, Response(chosen=frozenset({1}), override=Decimal("-1"))),
    ...     score_answer(rule, Response(override=Decimal("0"))))]
    [('correct', '4.00'), ('partial', '1.50'), ('incorrect', '-1.00'), ('unanswered', '0.00')]
    >>> score_answer(rule, Response(override=Decimal("-2")))
    Traceback (most recent call last):
    ...
    attempts.scoring.ScoringError: override -2 is outside -1.00..4.00 for this question
    """
    lowest, highest = override_range(rule)
    if not lowest <= override <= highest:
        raise ScoringError(f"override {override} is outside {lowest}..{highest} for this question")
    marks = _cents(override)
    if marks == 0 and outcome is Outcome.UNANSWERED:
        return AnswerScore(Outcome.UNANSWERED, ZERO)
    if marks >= highest and marks > 0:
        return AnswerScore(Outcome.CORRECT, marks)
    if marks > 0:
        return AnswerScore(Outcome.PARTIAL, marks)
    return AnswerScore(Outcome.INCORRECT, marks)


# --------------------------------------------------------------------------- attempt


@lru_cache(maxsize=4096)  # pure, and an exam's scores take few distinct values
def percentage(score: Decimal, max_score: Decimal) -> Decimal:
    """``score / max_score * 100`` rounded half-up (away from zero) to 2 places, computed
    exactly; ``0.00`` when ``max_score`` is 0. Negative when the score is.

    >>> [str(percentage(Decimal(s), Decimal(m))) for s, m in
    ...  (("2", "3"), ("1", "32"), ("-1", "32"), ("5", "0"), ("40", "40"))]
    ['66.67', '3.13', '-3.13', '0.00', '100.00']
    """
    score = _decimal(score, "score")
    max_score = _decimal(max_score, "max_score")
    if max_score == 0:
        return ZERO
    return ratio_half_up(100 * score, max_score, CENT)


def is_passed(pct: Decimal, pass_percentage: Decimal | None) -> bool | None:
    """``pct >= pass_percentage``; None when the exam has no pass mark.

    >>> is_passed(Decimal("40.00"), Decimal("40")), is_passed(Decimal("39.99"), Decimal("40"))
    (True, False)
    >>> print(is_passed(Decimal("100.00"), None))
    None
    """
    if pass_percentage is None:
        return None
    return pct >= pass_percentage


def summarise(
    rules_and_scores: Iterable[tuple[MarkingRule, AnswerScore]],
    pass_percentage: Decimal | None,
) -> AttemptScore:
    """Totals of an attempt from answers already marked (e.g. read back from answer rows).

    ``max_score`` adds up every question's ``marks`` rounded to cents, the way the answers'
    marks are, so an attempt answered all right scores exactly 100.00%.

    >>> one = MarkingRule(QuestionKind.SINGLE, Decimal("1"), key=frozenset({1}))
    >>> result = summarise([(one, AnswerScore("correct", Decimal("1"))),
    ...                     (one, AnswerScore("correct", Decimal("1"))),
    ...                     (one, AnswerScore("unanswered", Decimal("0")))], Decimal("60"))
    >>> result.correct, result.unanswered, result.score, result.max_score, result.percentage
    (2, 1, Decimal('2.00'), Decimal('3.00'), Decimal('66.67'))
    >>> result.passed
    True
    """
    counts = dict.fromkeys(Outcome, 0)
    score = max_score = ZERO
    for rule, answer in rules_and_scores:
        counts[Outcome(answer.outcome)] += 1
        score += answer.marks
        max_score += _cents(rule.marks)
    score, max_score = _cents(score), _cents(max_score)
    pct = percentage(score, max_score)
    return AttemptScore(
        total=sum(counts.values()),
        correct=counts[Outcome.CORRECT],
        incorrect=counts[Outcome.INCORRECT],
        partial=counts[Outcome.PARTIAL],
        unanswered=counts[Outcome.UNANSWERED],
        pending=counts[Outcome.PENDING],
        score=score,
        max_score=max_score,
        percentage=pct,
        passed=is_passed(pct, pass_percentage),
    )


def score_attempt(
    items: Iterable[tuple[MarkingRule, Response | None]],
    pass_percentage: Decimal | None,
) -> AttemptScore:
    """Mark every answer of an attempt and total them (see :func:`summarise`).

    ``items`` holds one pair per question of the attempt, a ``None`` response for a question
    that was never answered.

    >>> one = MarkingRule(QuestionKind.SINGLE, Decimal("1"), Decimal("1"), key=frozenset({1}))
    >>> result = score_attempt([(one, Response(chosen=frozenset({1}))),
    ...                         (one, Response(chosen=frozenset({2}))), (one, None)], None)
    >>> result.score, result.percentage, result.passed
    (Decimal('0.00'), Decimal('0.00'), None)
    """
    return summarise(
        ((rule, score_answer(rule, response)) for rule, response in items), pass_percentage
    )
