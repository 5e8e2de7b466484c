"""The stored per-exam and per-question sums (``attempts.tallies``) after every kind of change
made by ``attempts.services``: each test plays a change, checks some cells against figures
counted by hand, and that every stored cell equals a full recomputation
(``assert_sums_match``).

Kit (tests/attempts/conftest.py): single (key 0), multiple (key 0, 1, 2; partial 1 per
option), true/false (key 0), numeric, short text, essay; 4 marks each, negative 1, max 24,
pass mark 50 %, 60 minutes.
"""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments.models import ExamQuestion
from attempts import services
from attempts.models import Attempt, ExamTally, Population, QuestionTally, UserAnswer
from attempts.statistics.exam import bucket_of, middle_scores
from attempts.tallies import exam_sums_rebuild
from tests.attempts.tally_checks import assert_sums_match, stored_cells
from tests.play import NOW, submit

D = Decimal
State = Attempt.State
ALL, RANKED = Population.ALL, Population.RANKED
LATER = NOW + timedelta(minutes=5)


def exam_cells(kit, population=ALL) -> dict:
    """``{(state, score): n}`` of the exam's stored ExamTally cells with a count."""
    cells = {}
    for state, score, n in ExamTally.objects.filter(
        exam=kit.exam, population=population
    ).values_list("state", "score", "n"):
        if n:
            cells[(state, score)] = cells.get((state, score), 0) + n
    return cells


def question_cells(kit, name, population=ALL) -> dict:
    """``{(result, x, X): n}`` of one question's stored cells with a count."""
    rows = QuestionTally.objects.filter(
        exam=kit.exam, population=population, exam_question=kit.eq[name]
    ).values_list("result", "x", "total", "n")
    return {(r, x, t): n for r, x, t, n in rows if n}


def finished(kit, learner=None, *, single=(0,), essay=True):
    """``learner`` starts, answers the single choice question (``single``) and the essay,
    and submits."""
    attempt = kit.start(learner)
    kit.answer(attempt, "single", choices=single)
    if essay:
        kit.answer(attempt, "essay", text="Because.")
    return submit(attempt, now=LATER)


class TestLifecycle:
    def test_opening_and_starting_count_the_state(self, kit):
        services.attempt_open(user=kit.learner, exam=kit.exam, now=NOW)
        assert exam_cells(kit) == {(State.NOT_STARTED, D(0)): 1}
        kit.start()
        assert exam_cells(kit) == {(State.RUNNING, D(0)): 1}
        assert_sums_match(kit.exam)

    def test_saving_an_answer_moves_no_cell(self, kit):
        attempt = kit.start()
        before = stored_cells(kit.exam)
        kit.answer(attempt, "single", choices=[0])
        assert stored_cells(kit.exam) == before
        assert_sums_match(kit.exam)

    def test_a_submit_moves_the_attempt_and_counts_its_answers(self, kit):
        attempt = finished(kit, essay=False)  # single +4, the rest unanswered: 4
        assert attempt.state == State.COMPLETED
        assert exam_cells(kit) == {(State.COMPLETED, D(4)): 1}
        assert exam_cells(kit, RANKED) == {(State.COMPLETED, D(4)): 1}
        assert question_cells(kit, "single") == {("correct", D(4), D(4)): 1}
        assert question_cells(kit, "essay") == {("unanswered", D(0), D(4)): 1}
        assert_sums_match(kit.exam)

    def test_an_essay_awaiting_marks_keeps_the_attempt_out_of_the_answer_cells(self, kit):
        finished(kit)
        assert exam_cells(kit) == {(State.PENDING_EVALUATION, D(0)): 1}
        assert question_cells(kit, "single") == {}
        assert_sums_match(kit.exam)

    def test_an_evaluation_completes_the_attempt(self, kit):
        attempt = finished(kit)
        essay = attempt.answers.get(exam_question=kit.eq["essay"])
        services.answer_evaluate(answer=essay, evaluator=kit.instructor, marks=D(3), now=LATER)
        assert exam_cells(kit) == {(State.COMPLETED, D(7)): 1}  # 4 + 3
        assert question_cells(kit, "essay") == {("partial", D(3), D(7)): 1}
        # Marked again: the cells move from 7 to 5.
        services.answer_evaluate(answer=essay, evaluator=kit.instructor, marks=D(1), now=LATER)
        assert exam_cells(kit) == {(State.COMPLETED, D(5)): 1}
        assert question_cells(kit, "single") == {("correct", D(4), D(5)): 1}
        assert_sums_match(kit.exam)

    def test_an_override_and_its_removal(self, kit):
        attempt = finished(kit, essay=False)
        single = attempt.answers.get(exam_question=kit.eq["single"])
        services.answer_override(
            answer=single, actor=kit.instructor, marks=D("2.5"), comment="Half", now=LATER
        )
        assert exam_cells(kit) == {(State.COMPLETED, D("2.5")): 1}
        assert_sums_match(kit.exam)
        services.answer_override(
            answer=single, actor=kit.instructor, marks=None, comment="Back", now=LATER
        )
        assert exam_cells(kit) == {(State.COMPLETED, D(4)): 1}
        assert_sums_match(kit.exam)

    def test_a_whole_sheet_submit_new_and_over_a_running_attempt(self, kit):
        single = kit.eq["single"].question
        sheet = [
            services.GivenAnswer(question=single.uuid, choice_ids=(kit.choices["single"][1].pk,))
        ]
        services.attempt_submit_answers(user=kit.learner, exam=kit.exam, answers=sheet, now=NOW)
        other = kit.enrol("bob")
        kit.start(other)
        services.attempt_submit_answers(user=other, exam=kit.exam, answers=sheet, now=NOW)
        assert exam_cells(kit) == {(State.COMPLETED, D(-1)): 2}  # a wrong single: -1
        assert_sums_match(kit.exam)

    def test_finalizing_overdue_and_by_hand(self, kit):
        late = kit.start()
        kit.answer(late, "single", choices=[0])
        by_hand = kit.start(kit.enrol("bob"))
        services.attempts_finalize(attempt_ids=[by_hand.pk], actor=kit.instructor, now=NOW)
        assert_sums_match(kit.exam)
        assert services.attempts_finalize_overdue(now=NOW + timedelta(hours=2)) == 1
        assert exam_cells(kit) == {(State.COMPLETED, D(0)): 1, (State.COMPLETED, D(4)): 1}
        assert_sums_match(kit.exam)

    def test_a_retake_moves_the_ranked_population_with_the_policy(self, kit):
        kit.exam.rank_policy = "best"
        kit.exam.save(update_fields=["rank_policy"])
        finished(kit, single=(1,), essay=False)  # -1
        finished(kit, single=(0,), essay=False)  # 4: now the best
        assert exam_cells(kit) == {(State.COMPLETED, D(-1)): 1, (State.COMPLETED, D(4)): 1}
        assert exam_cells(kit, RANKED) == {(State.COMPLETED, D(4)): 1}
        assert_sums_match(kit.exam)

    def test_a_new_rank_policy_moves_the_ranked_population(self, kit):
        finished(kit, single=(1,), essay=False)  # -1, the first attempt
        finished(kit, single=(0,), essay=False)  # 4
        assert exam_cells(kit, RANKED) == {(State.COMPLETED, D(-1)): 1}
        assert services.refresh_rank_population(exam=kit.exam) == 0  # nothing to flip
        for policy, ranked, flipped in (("best", D(4), 2), ("last", D(4), 0), ("first", D(-1), 2)):
            kit.exam.rank_policy = policy
            kit.exam.save(update_fields=["rank_policy"])
            assert services.refresh_rank_population(exam=kit.exam) == flipped
            assert services.exam_ranks_refresh(exam=kit.exam) == 1
            assert exam_cells(kit, RANKED) == {(State.COMPLETED, ranked): 1}
            assert_sums_match(kit.exam)

    def test_forgiving_moves_no_cell(self, kit):
        attempt = finished(kit, essay=False)
        before = stored_cells(kit.exam)
        services.attempt_forgive(attempt=attempt, actor=kit.instructor, now=LATER)
        services.attempts_forgive(attempt_ids=[attempt.pk], actor=kit.instructor, now=LATER)
        assert stored_cells(kit.exam) == before
        assert_sums_match(kit.exam)


class TestRescores:
    def test_a_rescore_after_a_marks_change(self, kit):
        finished(kit, essay=False)
        finished(kit, kit.enrol("bob"), single=(1,), essay=False)
        ExamQuestion.objects.filter(pk=kit.eq["single"].pk).update(marks=D(10))
        services.exam_rescore(exam=kit.exam, now=LATER)
        assert exam_cells(kit) == {(State.COMPLETED, D(10)): 1, (State.COMPLETED, D(-1)): 1}
        assert_sums_match(kit.exam)

    def test_rescoring_chosen_attempts(self, kit):
        attempt = finished(kit, essay=False)
        ExamQuestion.objects.filter(pk=kit.eq["single"].pk).update(marks=D(6))
        services.attempts_rescore(attempt_ids=[attempt.pk], now=LATER)
        assert exam_cells(kit) == {(State.COMPLETED, D(6)): 1}
        assert_sums_match(kit.exam)

    def test_a_regrade_and_its_undo(self, kit):
        finished(kit, essay=False)
        before = stored_cells(kit.exam)
        ExamQuestion.objects.filter(pk=kit.eq["single"].pk).update(marks=D(8))
        regrade = services.exam_regrade(exam=kit.exam, actor=kit.instructor, reason="Key")
        services.regrade_run(regrade_id=regrade.pk)
        assert exam_cells(kit) == {(State.COMPLETED, D(8)): 1}
        assert_sums_match(kit.exam)
        regrade.refresh_from_db()
        services.regrade_undo(regrade=regrade, actor=kit.instructor, now=LATER)
        assert stored_cells(kit.exam) == before
        assert_sums_match(kit.exam)


def test_an_offline_import_counts_its_attempts(kit):
    admin = kit.instructor
    admin.is_staff = admin.is_superuser = True
    admin.save()
    rows = [
        {
            "username": kit.learner.username,
            "exam": str(kit.exam.uuid),
            "started_at": "2026-09-30T09:00:00+00:00",
            "completed_at": "2026-09-30T10:00:00+00:00",
            "q1": "A",
        }
    ]
    report = services.attempts_import_offline(rows=rows, actor=admin, now=NOW)
    assert report.imported == 1
    assert exam_cells(kit) == {(State.COMPLETED, D(4)): 1}
    assert_sums_match(kit.exam)


# ------------------------------------------------------------------ random sequences

OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(
            ["start", "answer", "submit", "evaluate", "override", "rescore", "forgive"]
        ),
        st.integers(min_value=0, max_value=2),  # which learner
        st.integers(min_value=0, max_value=3),  # a choice, a mark
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
def test_any_sequence_of_changes_keeps_the_sums_equal_to_a_recomputation(kit, operations):
    """Whatever learners start, answer, submit, and reviewers evaluate, override, rescore
    (after a marks change) and forgive, in any order: the stored cells equal a full
    recomputation after every step (examples share the kit's exam: more history)."""
    learners = [kit.learner] + [
        kit.enrol(f"h{i}")
        if not kit.course.enrollments.filter(user__username=f"h{i}").exists()
        else kit.course.enrollments.get(user__username=f"h{i}").user
        for i in (1, 2)
    ]
    for operation, who, value in operations:
        learner = learners[who]
        mine = Attempt.objects.filter(exam=kit.exam, user=learner).order_by("-attempt_number")
        latest = mine.first()
        if operation == "start":
            kit.start(learner)
        elif operation == "answer" and latest and latest.state == State.RUNNING:
            kit.answer(latest, "single", choices=[value])
            kit.answer(latest, "essay", text="Essay")
        elif operation == "submit" and latest and latest.state == State.RUNNING:
            submit(latest, now=LATER)
        elif operation in ("evaluate", "override") and latest and latest.is_finished:
            essay = UserAnswer.objects.get(attempt=latest, exam_question=kit.eq["essay"])
            if operation == "evaluate" and essay.result != "unanswered":
                services.answer_evaluate(
                    answer=essay, evaluator=kit.instructor, marks=D(value), now=LATER
                )
            elif operation == "override":
                single = UserAnswer.objects.get(attempt=latest, exam_question=kit.eq["single"])
                highest = ExamQuestion.objects.get(pk=kit.eq["single"].pk).marks
                services.answer_override(
                    answer=single,
                    actor=kit.instructor,
                    marks=min(D(value), highest),  # within the question's marks
                    comment="x",
                    now=LATER,
                )
        elif operation == "rescore":
            # Never below an override (at most 3 here): a rescore refuses an override above
            # the question's new marks (a ScoringError, whatever the stored sums).
            ExamQuestion.objects.filter(pk=kit.eq["single"].pk).update(marks=D(value + 4))
            services.exam_rescore(exam=kit.exam, now=LATER)
        elif operation == "forgive" and latest and latest.is_finished:
            services.attempt_forgive(attempt=latest, actor=kit.instructor, now=LATER)
        assert_sums_match(kit.exam)


# ------------------------------------------------------------------- pure helpers


def test_middle_scores_walk_the_histogram():
    assert middle_scores({}) == []
    assert middle_scores({D(3): 1}) == [D(3)]
    assert middle_scores({D(5): 2, D(7): 1, D(9): 1}) == [D(5), D(7)]  # 5 5 7 9
    assert middle_scores({D(9): 1, D(5): 2}) == [D(5)]  # 5 5 9
    assert middle_scores({D(-3): 1, D(16): 1}) == [D(-3), D(16)]


@pytest.mark.parametrize(
    ("percentage", "bucket"),
    [(D("-18.75"), 0), (D("9.99"), 0), (D("10"), 1), (D("89.99"), 8), (D("90"), 9), (D(100), 9)],
)
def test_buckets_match_the_summary_edges(percentage, bucket):
    assert bucket_of(percentage) == bucket


# ------------------------------------------------------------------ verify_exam_sums


class TestVerifyCommand:
    def test_agreeing_sums_exit_0(self, kit):
        finished(kit, essay=False)
        out = io.StringIO()
        call_command("verify_exam_sums", stdout=out, stderr=io.StringIO())
        assert "1 exam checked, 0 with differences" in out.getvalue()

    def test_a_wrong_cell_is_printed_and_exits_1_then_fixed(self, kit):
        finished(kit, essay=False)
        ExamTally.objects.filter(exam=kit.exam, state=State.COMPLETED).update(n=5)
        out = io.StringIO()
        with pytest.raises(SystemExit) as exit_:
            call_command(
                "verify_exam_sums", "--exam", str(kit.exam.pk), stdout=out, stderr=io.StringIO()
            )
        assert exit_.value.code == 1
        lines = list(csv.reader(io.StringIO(out.getvalue())))
        assert ["exam", "table", "cell", "stored", "recomputed"] in lines
        assert any(
            line[1] == "ExamTally" and line[3] == "(5, 0)" for line in lines[1:] if len(line) == 5
        )
        call_command("verify_exam_sums", "--fix", stdout=io.StringIO(), stderr=io.StringIO())
        assert_sums_match(kit.exam)

    def test_a_rebuild_equals_the_moves(self, kit):
        finished(kit, essay=False)
        finished(kit, kit.enrol("bob"), single=(2,), essay=False)
        kept = stored_cells(kit.exam)
        with transaction.atomic():
            exam_sums_rebuild(kit.exam)
        assert stored_cells(kit.exam) == kept
