"""Item analysis of an exam with Moodle's formulas: pure functions over grouped counts.

No Django import: :mod:`attempts.statistics.item_inputs` loads the counts (a few grouped
queries), these functions turn them into figures. The formulas are Moodle's, cited from
``question/classes/statistics/questions/calculator.php`` (per question) and
``mod/quiz/report/statistics/classes/calculator.php`` (whole test); see also
https://docs.moodle.org/dev/Quiz_statistics_calculations.

Notation (Moodle's): for the ``n`` attempts used, ``x`` is the marks awarded on a question
(an attempt without an answer row scores 0 on it, as Moodle counts it; negative marks stay
negative, a bonus question's full marks count), ``X`` the attempt's score and ``R = X - x``
the rest of the test. Variances and covariances divide by ``n - 1``.

How sorted data stays cheap. The median and the discriminative efficiency need sorted
arrays. Marks take few distinct values, so the inputs are *histograms*, never rows:

* ``scores``: ``{X: how many attempts}``; the median is the middle of the cumulative counts,
  and the moments, minimum and maximum come from the same histogram;
* per question ``cells``: ``{(x, X): how many attempts}``. The sorted ``x`` array is the
  ``x`` histogram walked in order, the sorted ``R`` array the ``X - x`` histogram walked in
  order; pairing the two run-length lists rank by rank gives Moodle's ``covariancemax``
  (the covariance of the independently sorted arrays) in time linear in the number of
  distinct values, whatever ``n`` is.

Sums are exact (``Fraction``); square roots and the ratios derived from them are floats at
full precision (rounding is for display only, through ``attempts.statistics.rounding``). A
figure Moodle leaves undefined is None, never a made-up number.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from statistics import NormalDist

# Below this many attempts a figure is flagged unstable (a rule of thumb of item analysis:
# the standard error of a correlation is about 1/sqrt(n), 0.18 at n = 30).
STABLE_N = 30
# Kelley's upper group: the top 27% of attempts by score (ties at the cut are included).
TOP_SHARE = Fraction(27, 100)
# Labelled difficulty vs measured facility (%): an "easy" question most learners miss, or a
# "hard" one most learners get, is flagged. Medium questions are never flagged.
EASY_BELOW = 40
HARD_ABOVE = 80
# Two-sided 95% intervals.
CONFIDENCE = 0.95


class Flag:
    """Names of the per-question flags (API values; the page shows them as labels)."""

    NEGATIVE_DISCRIMINATION = "negative_discrimination"
    NEGATIVE_COVARIANCE = "negative_covariance"
    LIKELY_MISKEY = "likely_miskey"
    DEAD_DISTRACTOR = "dead_distractor"
    DIFFICULTY_MISMATCH = "difficulty_mismatch"
    UNSTABLE = "unstable"

    LABELS = {
        NEGATIVE_DISCRIMINATION: "Negative discrimination",
        NEGATIVE_COVARIANCE: "Negative covariance with the total",
        LIKELY_MISKEY: "Likely miskey",
        DEAD_DISTRACTOR: "Dead distractor",
        DIFFICULTY_MISMATCH: "Label disagrees with facility",
        UNSTABLE: f"Fewer than {STABLE_N} attempts",
    }


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class ChoiceInput:
    """How the attempts used picked one choice: ``count`` pickers, the sum of their scores
    ``sum_total`` (X), of their marks on the question ``sum_marks`` (x), and how many of them
    are in the top 27% (``top_count``)."""

    choice_id: int
    is_correct: bool
    count: int = 0
    sum_total: Decimal = Decimal(0)
    sum_marks: Decimal = Decimal(0)
    top_count: int = 0


@dataclass(frozen=True)
class QuestionInput:
    """One exam question: its marking and the joint histogram of its marks and the score."""

    exam_question_id: int
    question_id: int
    slot: int  # 1-based position in the exam
    max_mark: Decimal
    # A fraction of max_mark (0..1), or None where the type defines none (Moodle's
    # get_random_guess_score; see :func:`random_guess_fraction`).
    random_guess: Fraction | None
    difficulty: str | None
    # {(x, X): attempts} over answer rows with x != 0; the rest of the attempts score 0.
    cells: Mapping[tuple[Decimal, Decimal], int]
    choices: tuple[ChoiceInput, ...] = ()


def random_guess_fraction(kind: str, max_mark, negative, correct_flags) -> Fraction | None:
    """Moodle's random guess score (``question_type::get_random_guess_score``) as a fraction.

    Single choice and true/false (Moodle's multichoice single and truefalse): the mean of the
    choices' fractions, a wrong choice's fraction being ``-negative / max_mark`` under negative
    marking. Multiple choice: None, as the issue asks (the guessing model depends on how many
    options a learner ticks). Numeric, short text and essay: None (no finite set of answers
    to guess from). None for a question worth 0 marks.

    >>> random_guess_fraction("single", 4, 0, [True, False, False, False])
    Fraction(1, 4)
    >>> random_guess_fraction("single", 4, 1, [True, False, False, False])
    Fraction(1, 16)
    >>> random_guess_fraction("true_false", 1, 0, [True, False])
    Fraction(1, 2)
    """
    if kind not in ("single", "true_false") or not correct_flags or not max_mark:
        return None
    wrong = -Fraction(negative) / Fraction(max_mark)
    fractions = [Fraction(1) if correct else wrong for correct in correct_flags]
    return sum(fractions) / len(fractions)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True)
class ChoiceStats:
    choice_id: int
    is_correct: bool
    count: int
    share: float | None  # % of the attempts used
    # Pearson correlation of "picked it" with the rest score R (-1..1); None when nobody or
    # everybody picked it, or R does not vary.
    point_biserial: float | None
    top_count: int


@dataclass(frozen=True)
class QuestionStats:
    exam_question_id: int
    question_id: int
    slot: int
    n: int
    max_mark: Decimal
    difficulty: str | None
    facility: float | None
    facility_interval: Interval | None
    sd: float | None
    random_guess_score: float | None
    intended_weight: float | None
    effective_weight: float | None
    discrimination_index: float | None
    discriminative_efficiency: float | None
    options: list[ChoiceStats]
    flags: list[str]


@dataclass(frozen=True)
class TestStats:
    n: int
    mean: float | None
    median: float | None
    sd: float | None
    skewness: float | None
    kurtosis: float | None
    cic: float | None
    cic_interval: Interval | None
    error_ratio: float | None
    standard_error: float | None
    min: float | None
    max: float | None
    max_score: Decimal


@dataclass(frozen=True)
class ItemAnalysis:
    test: TestStats
    questions: list[QuestionStats]
    top_cut: Decimal | None = None  # the lowest score of the top 27%


# --------------------------------------------------------------------------- helpers


def _f(value) -> Fraction:
    return Fraction(value)


def median(scores: Mapping) -> Fraction | None:
    """Moodle's median: the middle score, or the mean of the two middle ones (even n).

    >>> median({Decimal(1): 1, Decimal(2): 2, Decimal(7): 1})
    Fraction(2, 1)
    >>> median({Decimal(1): 1, Decimal(3): 1})
    Fraction(2, 1)
    """
    n = sum(scores.values())
    if not n:
        return None
    wanted = sorted({(n - 1) // 2, n // 2})
    found, seen = [], 0
    for score in sorted(scores):
        count = scores[score]
        found.extend(_f(score) for index in wanted if seen <= index < seen + count)
        seen += count
    return sum(found) / len(found)


def _sorted_pair_sum(xs: Mapping, rs: Mapping) -> Fraction:
    """Σ x_(i)·R_(i) over the two arrays sorted independently, from their histograms."""
    x_runs = sorted(xs.items())
    r_runs = sorted(rs.items())
    total = Fraction(0)
    i = j = 0
    x_left = x_runs[0][1] if x_runs else 0
    r_left = r_runs[0][1] if r_runs else 0
    while i < len(x_runs) and j < len(r_runs):
        take = min(x_left, r_left)
        total += take * _f(x_runs[i][0]) * _f(r_runs[j][0])
        x_left -= take
        r_left -= take
        if not x_left:
            i += 1
            x_left = x_runs[i][1] if i < len(x_runs) else 0
        if not r_left:
            j += 1
            r_left = r_runs[j][1] if j < len(r_runs) else 0
    return total


def top_cut(scores: Mapping, share: Fraction = TOP_SHARE) -> Decimal | None:
    """The lowest score of the top ``share`` of attempts (at least one attempt): attempts
    scoring at or above it form the upper group (ties at the cut all join it).

    >>> top_cut({Decimal(s): 1 for s in range(10)})  # ceil(2.7) = 3 best: 9, 8, 7
    Decimal('7')
    """
    n = sum(scores.values())
    if not n:
        return None
    wanted = max(1, math.ceil(share * n))
    seen = 0
    for score in sorted(scores, reverse=True):
        seen += scores[score]
        if seen >= wanted:
            return score
    return None


def wilson(p: float, n: int, confidence: float = CONFIDENCE) -> Interval | None:
    """Wilson's score interval for a proportion ``p`` (0..1) of ``n``, in percent.

    Facility with partial credit or negative marks is a mean mark, not a count: ``p`` is
    clipped to [0, 1] and the interval treats it as a proportion (an approximation).

    >>> i = wilson(0.5, 100); round(i.low, 2), round(i.high, 2)
    (40.38, 59.62)
    """
    if n < 1:
        return None
    p = min(max(p, 0.0), 1.0)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return Interval(100 * max(centre - half, 0.0), 100 * min(centre + half, 1.0))


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the regularized incomplete beta (Lentz's method)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        for numerator in (
            m * (b - m) * x / ((a + m2 - 1) * (a + m2)),
            -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def _beta_cdf(x: float, a: float, b: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1 - x) / b


def f_quantile(q: float, d1: float, d2: float) -> float:
    """The ``q`` quantile of Fisher's F(d1, d2), by bisection on its distribution function
    (the test checks it against scipy)."""
    low, high = 0.0, 1.0
    cdf = lambda f: _beta_cdf(d1 * f / (d1 * f + d2), d1 / 2, d2 / 2)  # noqa: E731
    while cdf(high) < q:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        if cdf(middle) < q:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def feldt(alpha: float, n: int, k: int, confidence: float = CONFIDENCE) -> Interval | None:
    """Feldt's (1965) interval for Cronbach's α (a fraction) of ``n`` attempts and ``k``
    questions, in percent: 1 - (1 - α)·F_{1-γ/2} and 1 - (1 - α)·F_{γ/2} with F(n - 1,
    (n - 1)(k - 1)) and γ = 1 - confidence. None below 3 attempts or 2 questions."""
    if n < 3 or k < 2:
        return None
    d1, d2 = n - 1, (n - 1) * (k - 1)
    gamma = 1 - confidence
    return Interval(
        100 * (1 - (1 - alpha) * f_quantile(1 - gamma / 2, d1, d2)),
        100 * (1 - (1 - alpha) * f_quantile(gamma / 2, d1, d2)),
    )


# --------------------------------------------------------------------------- the analysis


@dataclass
class _Sums:
    """Moodle's per-question accumulators, exact."""

    n: int
    sx: Fraction
    sxx: Fraction
    sX: Fraction
    sXX: Fraction
    sxX: Fraction
    x_hist: dict
    r_hist: dict

    def var_x(self):
        return (self.sxx - self.sx * self.sx / self.n) / (self.n - 1)

    def cov_x_total(self):
        return (self.sxX - self.sx * self.sX / self.n) / (self.n - 1)

    def var_total(self):
        return (self.sXX - self.sX * self.sX / self.n) / (self.n - 1)

    def var_rest(self):
        return self.var_total() + self.var_x() - 2 * self.cov_x_total()

    def cov_x_rest(self):
        return self.cov_x_total() - self.var_x()

    def cov_max(self):
        """Moodle's covariancemax: the covariance of the independently sorted x and R."""
        sr = self.sX - self.sx
        return (_sorted_pair_sum(self.x_hist, self.r_hist) - self.sx * sr / self.n) / (self.n - 1)


def _sums(cells: Mapping, scores: Mapping) -> _Sums:
    """Accumulate over every attempt used: answer cells with x != 0, the rest x = 0."""
    joint: dict = defaultdict(int)
    answered_at: dict = defaultdict(int)
    for (x, total), count in cells.items():
        if x:
            joint[(_f(x), _f(total))] += count
            answered_at[_f(total)] += count
    for total, count in scores.items():
        zero_rows = count - answered_at.get(_f(total), 0)
        if zero_rows:
            joint[(Fraction(0), _f(total))] += zero_rows
    n = sx = sxx = sX = sXX = sxX = 0
    x_hist: dict = defaultdict(int)
    r_hist: dict = defaultdict(int)
    for (x, total), count in joint.items():
        n += count
        sx += count * x
        sxx += count * x * x
        sX += count * total
        sXX += count * total * total
        sxX += count * x * total
        x_hist[x] += count
        r_hist[total - x] += count
    return _Sums(n, _f(sx), _f(sxx), _f(sX), _f(sXX), _f(sxX), x_hist, r_hist)


def _ratio(numerator, denominator) -> float | None:
    """Moodle's ``if ($denominator) … else null``."""
    return float(numerator) / float(denominator) if denominator else None


def test_stats(scores: Mapping, question_variances: Iterable, p: int, max_score) -> TestStats:
    """Whole-test figures (Moodle's ``mod/quiz/report/statistics/classes/calculator.php``).

    mean = ΣX / n; median as :func:`median`; sd = sqrt(Σ(X - mean)² / (n - 1)) for n > 1;
    with m_k = Σ(X - mean)^k / n, k2 = n·m2 / (n - 1), k3 = n²·m3 / ((n - 1)(n - 2)),
    k4 = n²·((n + 1)·m4 - 3(n - 1)·m2²) / ((n - 1)(n - 2)(n - 3)):
    skewness = k3 / k2^(3/2) (n > 2, k2 != 0), kurtosis = k4 / k2² (n > 3, k2 != 0);
    cic = 100·p / (p - 1)·(1 - Σ markvariance / k2) for p > 1 questions (Cronbach's α × 100),
    error ratio = 100·sqrt(1 - cic / 100), standard error = error ratio × sd / 100.
    """
    n = sum(scores.values())
    if not n:
        return TestStats(0, *([None] * 11), max_score=max_score)
    mean = sum(_f(score) * count for score, count in scores.items()) / n
    powers = {
        k: sum((_f(score) - mean) ** k * count for score, count in scores.items())
        for k in (2, 3, 4)
    }
    sd = skewness = kurtosis = cic = interval = error_ratio = standard_error = None
    if n > 1:
        sd = math.sqrt(powers[2] / (n - 1))
    if n > 2:
        m2, m3, m4 = (powers[k] / n for k in (2, 3, 4))
        k2 = n * m2 / (n - 1)
        k3 = n * n * m3 / ((n - 1) * (n - 2))
        if k2:
            skewness = float(k3) / float(k2) ** 1.5
            if n > 3:
                k4 = n * n * ((n + 1) * m4 - 3 * (n - 1) * m2 * m2) / ((n - 1) * (n - 2) * (n - 3))
                kurtosis = float(k4 / (k2 * k2))
            if p > 1:
                alpha = (Fraction(p, p - 1)) * (1 - sum(question_variances, Fraction(0)) / k2)
                cic = 100 * float(alpha)
                interval = feldt(float(alpha), n, p)
                error_ratio = 100 * math.sqrt(1 - float(alpha))
                standard_error = error_ratio * sd / 100
    return TestStats(
        n=n,
        mean=float(mean),
        median=float(median(scores)),
        sd=sd,
        skewness=skewness,
        kurtosis=kurtosis,
        cic=cic,
        cic_interval=interval,
        error_ratio=error_ratio,
        standard_error=standard_error,
        min=float(min(scores)),
        max=float(max(scores)),
        max_score=max_score,
    )


def _choice_stats(choice: ChoiceInput, sums: _Sums) -> ChoiceStats:
    """Share and point-biserial (Pearson r of the 0/1 "picked" with R) of one choice."""
    n, c = sums.n, choice.count
    rest_sum = _f(choice.sum_total) - _f(choice.sum_marks)
    r_mean = (sums.sX - sums.sx) / n
    point_biserial = None
    if n > 1 and 0 < c < n:
        cov = (rest_sum - c * r_mean) / (n - 1)
        var_pick = Fraction(c * (n - c), n * (n - 1))
        var_rest = sums.var_rest()
        if var_rest > 0:
            point_biserial = float(cov) / math.sqrt(float(var_pick) * float(var_rest))
    return ChoiceStats(
        choice_id=choice.choice_id,
        is_correct=choice.is_correct,
        count=c,
        share=100 * c / n if n else None,
        point_biserial=point_biserial,
        top_count=choice.top_count,
    )


def _flags(question: QuestionInput, stats: dict, options: list[ChoiceStats], negcovar: bool):
    flags = []
    if stats["discrimination_index"] is not None and stats["discrimination_index"] < 0:
        flags.append(Flag.NEGATIVE_DISCRIMINATION)
    if negcovar:
        flags.append(Flag.NEGATIVE_COVARIANCE)
    keys = [o for o in options if o.is_correct]
    distractors = [o for o in options if not o.is_correct]
    if keys and distractors:
        best_key_pb = max(
            (o.point_biserial for o in keys if o.point_biserial is not None), default=None
        )
        key_top = max(o.top_count for o in keys)
        if any(
            (
                d.point_biserial is not None
                and best_key_pb is not None
                and d.point_biserial > best_key_pb
            )
            or d.top_count > key_top
            for d in distractors
        ):
            flags.append(Flag.LIKELY_MISKEY)
        if any(d.count == 0 for d in distractors):
            flags.append(Flag.DEAD_DISTRACTOR)
    facility = stats["facility"]
    if facility is not None and (
        (question.difficulty == "easy" and facility < EASY_BELOW)
        or (question.difficulty == "hard" and facility > HARD_ABOVE)
    ):
        flags.append(Flag.DIFFICULTY_MISMATCH)
    if stats["n"] < STABLE_N:
        flags.append(Flag.UNSTABLE)
    return flags


def analyse(scores: Mapping, questions: list[QuestionInput]) -> ItemAnalysis:
    """Every figure of the item analysis (per question: Moodle's
    ``question/classes/statistics/questions/calculator.php``).

    Per question, with n > 1 (else None): facility = 100·mean(x) / max mark (None for a
    question worth 0); sd = 100·sqrt(var x) / max mark; discrimination index =
    100·cov(x, R) / sqrt(var x · var R), None when the product is 0; discriminative efficiency
    = 100·cov(x, R) / covariancemax, None when it is 0; effective weight = 100·sqrt(cov(x, X))
    / Σ sqrt(cov(x_i, X)) over the questions with cov >= 0, None for a question with negative
    covariance (Moodle's ``negcovar``) or when the sum is 0; intended weight = 100·max mark /
    Σ max marks; random guess score = 100 × :func:`random_guess_fraction`.
    """
    n = sum(scores.values())
    total_marks = sum((_f(q.max_mark) for q in questions), Fraction(0))
    cut = top_cut(scores)
    sums = {q.exam_question_id: _sums(q.cells, scores) for q in questions}
    covs = {key: (s.cov_x_total() if n > 1 else None) for key, s in sums.items()}
    sqrt_sum = sum(math.sqrt(c) for c in covs.values() if c is not None and c >= 0)
    results = []
    variances = []
    for q in questions:
        s = sums[q.exam_question_id]
        max_mark = _f(q.max_mark)
        facility = sd = di = de = ew = None
        negcovar = False
        if n and max_mark:
            facility = 100 * float(s.sx / n / max_mark)
        if n > 1:
            var_x = s.var_x()
            variances.append(var_x)
            if max_mark:
                sd = 100 * math.sqrt(var_x) / float(max_mark)
            product = var_x * s.var_rest()
            if product > 0:
                di = 100 * float(s.cov_x_rest()) / math.sqrt(product)
            cov_max = s.cov_max()
            if cov_max:
                de = 100 * float(s.cov_x_rest() / cov_max)
            cov = covs[q.exam_question_id]
            negcovar = cov < 0
            if sqrt_sum and not negcovar:
                ew = 100 * math.sqrt(cov) / sqrt_sum
        options = [_choice_stats(choice, s) for choice in q.choices] if n else []
        figures = {
            "n": n,
            "facility": facility,
            "discrimination_index": di,
        }
        results.append(
            QuestionStats(
                exam_question_id=q.exam_question_id,
                question_id=q.question_id,
                slot=q.slot,
                n=n,
                max_mark=q.max_mark,
                difficulty=q.difficulty,
                facility=facility,
                facility_interval=wilson(facility / 100, n) if facility is not None else None,
                sd=sd,
                random_guess_score=None if q.random_guess is None else 100 * float(q.random_guess),
                intended_weight=_ratio(100 * max_mark, total_marks),
                effective_weight=ew,
                discrimination_index=di,
                discriminative_efficiency=de,
                options=options,
                flags=_flags(q, figures, options, negcovar) if n else [],
            )
        )
    max_score = sum((q.max_mark for q in questions), Decimal(0))
    return ItemAnalysis(
        test=test_stats(scores, variances, len(questions), max_score),
        questions=results,
        top_cut=cut,
    )
