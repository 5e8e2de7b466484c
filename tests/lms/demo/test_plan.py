"""The plan is pure: the same seed gives the same plan, without the database."""

from lms.demo.plan import build_plan


def test_the_plan_depends_only_on_the_seed():
    assert build_plan(seed=42, learners=20) == build_plan(seed=42, learners=20)
    assert build_plan(seed=42).questions != build_plan(seed=7).questions
    # Each part draws from its own generator: more learners leave the bank and exams alone.
    few, many = build_plan(seed=42, learners=20), build_plan(seed=42, learners=300)
    assert (few.questions, few.exams) == (many.questions, many.exams)
    assert many.learners[:20] == few.learners
