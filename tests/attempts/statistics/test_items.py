"""Item analysis figures (``attempts.statistics.items``) against an independent computation.

The reference works the way Moodle's calculator walks its data: a matrix of marks, one row
per attempt and one column per question, with numpy and scipy (sample variances, sorted
arrays, ``scipy.stats`` skewness and kurtosis with bias correction: Moodle's k-statistics).
The code under test only sees histograms. Tolerance: 1e-9 relative (floats at full
precision on both sides).
"""

import math
from collections import Counter
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats as sps

from attempts.statistics import items
from attempts.statistics.items import ChoiceInput, Flag, QuestionInput, analyse

D = Decimal
TOL = 1e-9


def histograms(matrix):
    """``scores`` and per-question ``cells`` as the loader builds them from answer rows."""
    totals = [sum(row, D(0)) for row in matrix]
    scores = Counter(totals)
    cells = [
        Counter((row[j], total) for row, total in zip(matrix, totals, strict=True) if row[j])
        for j in range(len(matrix[0]))
    ]
    return dict(scores), cells


def inputs(matrix, max_marks, difficulties=None, choices=None, guesses=None):
    scores, cells = histograms(matrix)
    questions = [
        QuestionInput(
            exam_question_id=100 + j,
            question_id=200 + j,
            slot=j + 1,
            max_mark=D(max_mark),
            random_guess=(guesses or {}).get(j),
            difficulty=(difficulties or {}).get(j),
            cells=cells[j],
            choices=tuple((choices or {}).get(j, ())),
        )
        for j, max_mark in enumerate(max_marks)
    ]
    return scores, questions


def reference(matrix, max_marks):
    """Moodle's figures computed directly on the arrays."""
    m = np.array([[float(v) for v in row] for row in matrix])
    n, p = m.shape
    total = m.sum(axis=1)
    out = {"questions": []}
    covs = []
    for j in range(p):
        x = m[:, j]
        rest = total - x
        mx = float(max_marks[j])
        q = {"facility": 100 * x.mean() / mx if mx else None}
        if n > 1:
            var_x, var_r = x.var(ddof=1), rest.var(ddof=1)
            cov = np.cov(x, rest, ddof=1)[0, 1]
            cov_max = np.cov(np.sort(x), np.sort(rest), ddof=1)[0, 1]
            q["sd"] = 100 * x.std(ddof=1) / mx if mx else None
            q["di"] = 100 * cov / math.sqrt(var_x * var_r) if var_x * var_r > 1e-12 else None
            q["de"] = 100 * cov / cov_max if abs(cov_max) > 1e-12 else None
            q["var"] = var_x
            covs.append(np.cov(x, total, ddof=1)[0, 1])
        out["questions"].append(q)
    if n > 1:
        root_sum = sum(math.sqrt(c) for c in covs if c >= -1e-12)
        for q, c in zip(out["questions"], covs, strict=True):
            q["ew"] = 100 * math.sqrt(max(c, 0)) / root_sum if root_sum and c >= -1e-12 else None
    out["mean"] = total.mean()
    out["median"] = float(np.median(total))
    out["min"], out["max"] = total.min(), total.max()
    if n > 1:
        out["sd"] = total.std(ddof=1)
    if n > 2 and total.var() > 1e-12:
        out["skewness"] = sps.skew(total, bias=False)
        alpha = p / (p - 1) * (1 - sum(q["var"] for q in out["questions"]) / total.var(ddof=1))
        out["cic"] = 100 * alpha
        out["error_ratio"] = 100 * math.sqrt(1 - alpha)
        out["standard_error"] = out["error_ratio"] * out["sd"] / 100
    if n > 3 and total.var() > 1e-12:
        out["kurtosis"] = sps.kurtosis(total, bias=False)
    return out


def close(got, expected):
    if expected is None:
        return got is None
    return got is not None and math.isclose(got, expected, rel_tol=TOL, abs_tol=TOL)


# Twelve attempts, four questions: a single choice worth 4 with negative 1 (4 or -1), a
# multiple choice with partial credit (0..3 in steps of 1, or -1), an essay marked in half
# marks out of 5, a numeric worth 2. Ties in totals and in marks on purpose.
MATRIX = [
    [D(v) for v in row]
    for row in [
        ("4", "3", "5", "2"),
        ("4", "3", "4.5", "2"),
        ("4", "2", "4.5", "2"),
        ("-1", "3", "3", "2"),
        ("4", "1", "3", "0"),
        ("4", "0", "2.5", "2"),
        ("-1", "1", "2.5", "0"),
        ("0", "2", "2", "0"),
        ("-1", "-1", "1", "2"),
        ("4", "0", "0.5", "0"),
        ("0", "-1", "0", "0"),
        ("-1", "2", "1", "0"),
    ]
]
MAX = [D(4), D(3), D(5), D(2)]


class TestAgainstTheArrays:
    def test_every_question_figure_matches(self):
        analysis = analyse(*inputs(MATRIX, MAX))
        expected = reference(MATRIX, MAX)
        for got, want in zip(analysis.questions, expected["questions"], strict=True):
            assert got.n == len(MATRIX)
            assert close(got.facility, want["facility"])
            assert close(got.sd, want["sd"])
            assert close(got.discrimination_index, want["di"])
            assert close(got.discriminative_efficiency, want["de"])
            assert close(got.effective_weight, want["ew"])
        assert [q.intended_weight for q in analysis.questions] == pytest.approx(
            [100 * 4 / 14, 100 * 3 / 14, 100 * 5 / 14, 100 * 2 / 14]
        )

    def test_every_test_figure_matches(self):
        test = analyse(*inputs(MATRIX, MAX)).test
        expected = reference(MATRIX, MAX)
        assert test.n == 12
        assert test.max_score == D(14)
        for name in (
            "mean",
            "median",
            "min",
            "max",
            "sd",
            "skewness",
            "kurtosis",
            "cic",
            "error_ratio",
            "standard_error",
        ):
            assert close(getattr(test, name), expected[name]), name

    def test_an_unanswered_question_counts_as_zero_marks_for_every_attempt(self):
        # The fourth question's zero rows are not in the cells: n still counts all 12.
        scores, questions = inputs(MATRIX, MAX)
        assert sum(questions[3].cells.values()) == 6
        assert analyse(scores, questions).questions[3].facility == pytest.approx(50.0)


class TestEdgeCases:
    def test_one_attempt_has_facility_but_no_spread(self):
        matrix = [[D(4), D(1)]]
        analysis = analyse(*inputs(matrix, [D(4), D(2)]))
        single = analysis.questions[0]
        assert (single.n, single.facility) == (1, 100.0)
        assert (single.sd, single.discrimination_index, single.effective_weight) == (
            None,
            None,
            None,
        )
        test = analysis.test
        assert (test.n, test.mean, test.median, test.min, test.max) == (1, 5.0, 5.0, 5.0, 5.0)
        assert (test.sd, test.skewness, test.kurtosis, test.cic) == (None, None, None, None)

    def test_a_question_everyone_scored_the_same_on_has_sd_and_weight_zero(self):
        # The second question is a bonus: everyone has its full 2 marks.
        matrix = [[D(v), D(2), D(w)] for v, w in (("1", "0"), ("0", "1"), ("1", "1"), ("0", "0"))]
        bonus = analyse(*inputs(matrix, [D(1), D(2), D(1)])).questions[1]
        assert (bonus.facility, bonus.sd, bonus.effective_weight) == (100.0, 0.0, 0.0)
        # Correlations with a constant are undefined.
        assert (bonus.discrimination_index, bonus.discriminative_efficiency) == (None, None)

    def test_all_correct_leaves_the_test_without_spread_figures(self):
        matrix = [[D(1), D(1)]] * 5
        analysis = analyse(*inputs(matrix, [D(1), D(1)]))
        test = analysis.test
        assert (test.sd, test.skewness, test.kurtosis, test.cic, test.error_ratio) == (
            0.0,
            None,
            None,
            None,
            None,
        )
        # Every covariance is 0, so Moodle's sum of roots is 0: no effective weight.
        assert [q.effective_weight for q in analysis.questions] == [None, None]

    def test_a_question_worth_nothing_has_no_facility(self):
        matrix = [[D(1), D(0)], [D(0), D(0)], [D(1), D(0)]]
        free = analyse(*inputs(matrix, [D(1), D(0)])).questions[1]
        assert (free.facility, free.sd, free.intended_weight) == (None, None, 0.0)

    def test_negative_covariance_has_no_effective_weight_and_is_flagged(self):
        # The second question is answered right by the weakest learners only.
        matrix = [[D(v) for v in row] for row in (("3", "0"), ("2", "0"), ("0", "1"), ("1", "1"))]
        analysis = analyse(*inputs(matrix, [D(3), D(1)]))
        upside_down = analysis.questions[1]
        assert upside_down.effective_weight is None
        assert analysis.questions[0].effective_weight == pytest.approx(100.0)
        assert {Flag.NEGATIVE_COVARIANCE, Flag.NEGATIVE_DISCRIMINATION} <= set(upside_down.flags)

    def test_no_attempt_gives_no_figure(self):
        analysis = analyse({}, [QuestionInput(1, 1, 1, D(1), None, None, {})])
        assert analysis.test.n == 0
        assert analysis.test.mean is None
        assert analysis.questions[0].facility is None

    def test_fewer_than_thirty_attempts_are_flagged_unstable(self):
        analysis = analyse(*inputs(MATRIX, MAX))
        assert all(Flag.UNSTABLE in q.flags for q in analysis.questions)
        many = analyse(*inputs(MATRIX * 3, MAX))
        assert not any(Flag.UNSTABLE in q.flags for q in many.questions)


class TestMedian:
    @pytest.mark.parametrize(
        "totals", [[3], [1, 2], [5, 1, 3, 3], [0, 0, 0, 7, 7], [-2, -1.5, 4, 4.5, 9, 9]]
    )
    def test_median_is_the_middle_or_the_mean_of_the_two_middles(self, totals):
        scores = Counter(D(str(t)) for t in totals)
        assert float(items.median(scores)) == float(np.median(totals))


class TestOptions:
    def options_case(self):
        """One single choice question (key: choice 1) among 10 attempts; the totals include
        a second question. Returns the matrix, the picks and ChoiceInputs."""
        picks = [1, 1, 1, 2, 1, 3, 2, 3, 1, 2]  # choice picked by each attempt
        second = [2, 2, 1, 0, 2, 1, 0, 0, 1, 1]  # the key pickers are the strong ones
        matrix = [
            [D(1 if pick == 1 else 0), D(other)] for pick, other in zip(picks, second, strict=True)
        ]
        totals = [sum(row) for row in matrix]
        cut = items.top_cut(Counter(totals))
        choices = [
            ChoiceInput(
                choice_id=c,
                is_correct=c == 1,
                count=picks.count(c),
                sum_total=sum((t for t, p in zip(totals, picks, strict=True) if p == c), D(0)),
                sum_marks=sum(
                    (row[0] for row, p in zip(matrix, picks, strict=True) if p == c), D(0)
                ),
                top_count=sum(1 for t, p in zip(totals, picks, strict=True) if p == c and t >= cut),
            )
            for c in (1, 2, 3, 4)
        ]
        return matrix, picks, choices

    def test_share_and_point_biserial_against_scipy(self):
        matrix, picks, choices = self.options_case()
        analysis = analyse(*inputs(matrix, [D(1), D(2)], choices={0: choices}))
        rest = [float(sum(row) - row[0]) for row in matrix]
        options = {o.choice_id: o for o in analysis.questions[0].options}
        for c in (1, 2, 3):
            picked = [1 if p == c else 0 for p in picks]
            assert options[c].count == sum(picked)
            assert options[c].share == pytest.approx(100 * sum(picked) / 10)
            r = sps.pointbiserialr(picked, rest).statistic
            assert options[c].point_biserial == pytest.approx(r, rel=TOL)
        assert (options[4].count, options[4].share, options[4].point_biserial) == (0, 0.0, None)

    def test_a_dead_distractor_is_flagged(self):
        matrix, _, choices = self.options_case()
        flags = analyse(*inputs(matrix, [D(1), D(2)], choices={0: choices})).questions[0].flags
        assert Flag.DEAD_DISTRACTOR in flags
        assert Flag.LIKELY_MISKEY not in flags

    def test_a_distractor_that_the_strong_pick_flags_a_likely_miskey(self):
        # Declare choice 2 the key: choice 1 (picked by the strong) now beats it.
        matrix, _, choices = self.options_case()
        swapped = [
            ChoiceInput(
                c.choice_id, c.choice_id == 2, c.count, c.sum_total, c.sum_marks, c.top_count
            )
            for c in choices
        ]
        flags = analyse(*inputs(matrix, [D(1), D(2)], choices={0: swapped})).questions[0].flags
        assert Flag.LIKELY_MISKEY in flags

    def test_the_top_group_is_the_best_27_percent_ties_included(self):
        assert items.top_cut({D(s): 1 for s in range(10)}) == D(7)
        # 3 of 10 wanted; the cut score 5 is shared by four attempts: all join.
        assert items.top_cut({D(9): 1, D(5): 4, D(1): 5}) == D(5)


class TestRandomGuessAndLabels:
    def test_random_guess_score_is_shown_in_percent(self):
        guess = items.random_guess_fraction("single", D(4), D(1), [True, False, False, False])
        matrix = [[D(4)], [D(-1)]]
        question = analyse(*inputs(matrix, [D(4)], guesses={0: guess})).questions[0]
        # (1 + 3 × -1/4) / 4 = 1/16
        assert question.random_guess_score == pytest.approx(6.25)

    @pytest.mark.parametrize(
        ("kind", "flags", "expected"),
        [
            ("multiple", [True, True, False], None),
            ("essay", [], None),
            ("numeric", [], None),
            ("true_false", [True, False], Fraction(1, 2)),
        ],
    )
    def test_types_without_a_guess_model_have_none(self, kind, flags, expected):
        assert items.random_guess_fraction(kind, D(1), D(0), flags) == expected

    @pytest.mark.parametrize(
        ("label", "right", "flagged"),
        [("easy", 3, True), ("easy", 4, False), ("hard", 9, True), ("hard", 8, False)],
    )
    def test_labelled_difficulty_disagreeing_with_facility_is_flagged(self, label, right, flagged):
        # ``right`` of 10 attempts answer right: facility 10 × right %.
        matrix = [[D(1 if i < right else 0), D(i % 2)] for i in range(10)]
        question = analyse(*inputs(matrix, [D(1), D(1)], difficulties={0: label})).questions[0]
        assert (Flag.DIFFICULTY_MISMATCH in question.flags) == flagged


class TestIntervals:
    @pytest.mark.parametrize(("k", "n"), [(0, 5), (3, 10), (27, 40), (40, 40)])
    def test_facility_interval_is_wilsons(self, k, n):
        expected = sps.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        interval = items.wilson(k / n, n)
        assert interval.low == pytest.approx(100 * expected.low, abs=1e-9)
        assert interval.high == pytest.approx(100 * expected.high, abs=1e-9)

    @pytest.mark.parametrize(("q", "d1", "d2"), [(0.025, 11, 33), (0.975, 11, 33), (0.5, 2, 7)])
    def test_f_quantile_matches_scipy(self, q, d1, d2):
        assert items.f_quantile(q, d1, d2) == pytest.approx(sps.f.ppf(q, d1, d2), rel=1e-9)

    def test_cic_interval_is_feldts(self):
        test = analyse(*inputs(MATRIX, MAX)).test
        alpha, n, k = test.cic / 100, 12, 4
        d1, d2 = n - 1, (n - 1) * (k - 1)
        assert test.cic_interval.low == pytest.approx(
            100 * (1 - (1 - alpha) * sps.f.ppf(0.975, d1, d2)), rel=1e-9
        )
        assert test.cic_interval.high == pytest.approx(
            100 * (1 - (1 - alpha) * sps.f.ppf(0.025, d1, d2)), rel=1e-9
        )


def test_doctest_examples_hold():
    import doctest

    results = doctest.testmod(items)
    assert (results.attempted > 0, results.failed) == (True, 0)
