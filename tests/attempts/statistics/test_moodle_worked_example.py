"""A published worked example: Moodle's quiz statistics walkthrough, quiz "00".

Source: Moodle's ``mod/quiz/report/statistics/tests/stats_from_steps_walkthrough_test.php`` and
its fixtures ``results00.csv`` (the marks of 25 attempts on 7 questions of 1 mark each) and
``qstats00.csv`` (the expected figures per question). Its docstring says the figures "were
calculated independently in a spreadsheet" (Jamie Pratt's statsspreadsheet, moodle-quiz-tools).
The marks and the expected values are transcribed below as data; the code under test sees them
only as the histograms the loader builds (``scores`` and per-question ``cells``).

Units: Moodle's fixture gives facility and sd as fractions of the question's mark; ours are
percentages (×100). The other figures are percentages on both sides. Tolerances are Moodle's own
(relative): 1e-5 for the discrimination index, discriminative efficiency and effective weight,
1e-6 for facility and sd, 1.5e-5 for the whole-test figures.
"""

from decimal import Decimal

import pytest

from attempts.statistics.items import analyse
from tests.attempts.statistics.test_items import inputs

D = Decimal

# results00.csv: one row per attempt, marks on slots 1..7 (Moodle's stored fraction 0.3333333).
MARKS = """
1 1 1 1 1 0 1
1 1 1 1 0.5 1 0
1 1 1 1 0.5 0 1
0 0 1 1 1 0 0
1 0 1 0 0 1 0.5
1 1 1 1 0.5 0 0.5
0 1 1 1 0.5 1 0.5
1 1 1 0 0.5 1 0.5
1 0 1 1 1 1 1
0 1 1 0 0.5 1 0.5
0.8 0 1 1 0.5 1 0.5
1 1 1 0 0.5 1 1
1 0 1 1 0.5 1 0.5
1 0 1 1 1 0 0.5
0 0 1 1 0 1 1
1 0 1 0 0.5 1 1
0.8 0 1 1 0.5 0 1
1 0 1 1 0 1 0.5
1 0 1 1 0.5 0 0.5
0 1 1 0 0.5 1 0
1 1 0.3333333 1 0.5 0 0.5
1 1 1 0 0.5 0 0.5
1 1 1 1 0 1 0.5
0 0 1 0 0.5 1 1
0 0 1 1 1 1 1
"""
MATRIX = [[D(mark) for mark in line.split()] for line in MARKS.strip().splitlines()]

# qstats00.csv: slot, facility, sd, effective weight, discrimination index, discriminative
# efficiency.
EXPECTED_QUESTIONS = {
    1: (0.704, 0.4513682901, 21.2922742344, -7.0650767526, -9.4550536967),
    2: (0.48, 0.5099019514, 18.8979800309, -28.8982125772, -36.7834118938),
    3: (0.973333332, 0.13333334, 4.443012573, -9.1230674268, -21.6545012165),
    4: (0.68, 0.4760952286, 18.9347251357, -22.6306444113, -31.4411395613),
    5: (0.52, 0.3055050463, 11.1450138688, -17.6997047674, -21.1794802584),
    6: (0.64, 0.4898979486, 9.8081339177, -45.3785178421, -56.9365974439),
    7: (0.62, 0.331662479, 15.4788602394, -5.6543166602, -6.5043742058),
}
# check_quiz_stats_for_quiz_00: the whole test.
EXPECTED_TEST = {
    "median": 4.5,
    "mean": 4.617333332,
    "sd": 0.8117265554,
    "skewness": -0.092502502,
    "kurtosis": -0.7073968557,
    "cic": -87.2230935542,
    "error_ratio": 136.8294900795,
    "standard_error": 1.1106813066,
}


@pytest.fixture(scope="module")
def analysis():
    scores, questions = inputs(MATRIX, [D(1)] * 7)
    return analyse(scores, questions)


def test_the_data_is_moodles_25_attempts(analysis):
    assert analysis.test.n == 25
    assert [q.n for q in analysis.questions] == [25] * 7


@pytest.mark.parametrize("slot", sorted(EXPECTED_QUESTIONS))
def test_question_figures_match_moodles_spreadsheet(analysis, slot):
    facility, sd, effective_weight, discrimination, efficiency = EXPECTED_QUESTIONS[slot]
    question = next(q for q in analysis.questions if q.slot == slot)
    assert question.facility == pytest.approx(100 * facility, rel=1e-6)
    assert question.sd == pytest.approx(100 * sd, rel=1e-6)
    assert question.effective_weight == pytest.approx(effective_weight, rel=1e-5)
    assert question.discrimination_index == pytest.approx(discrimination, rel=1e-5)
    assert question.discriminative_efficiency == pytest.approx(efficiency, rel=1e-5)


@pytest.mark.parametrize("name", sorted(EXPECTED_TEST))
def test_whole_test_figures_match_moodles_spreadsheet(analysis, name):
    assert getattr(analysis.test, name) == pytest.approx(EXPECTED_TEST[name], rel=1.5e-5)
