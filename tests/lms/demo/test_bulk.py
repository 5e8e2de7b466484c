"""``seed_demo``'s attempts written in bulk, on demand (``--attempts``).

The tests read one small seeded database (``conftest.seeded``: 20 learners, 60 attempts
through the services, 200 in bulk), built once for the module inside a transaction that is
rolled back at the end. That the same seed gives the same bulk attempts is checked on fresh
databases, with the bank, in test_builder.py.
"""

from django.db import connection, transaction
from django.db.models import Count, F, Max

from assessments.models import Exam, ExamQuestion
from attempts.models import Attempt, AttemptEvent, UserAnswer
from attempts.services import RESULT_FIELDS, refresh_rank_population, score_attempts
from lms.demo import bulk
from lms.demo.plan import LEARNER_PREFIX
from lms.demo.simulation import load_exams
from lms.models import User
from tests.attempts.tally_checks import assert_sums_match
from tests.lms.demo.seeding import (
    ARGS,
    FINISHED,
    bulk_attempts,
    seed_demo,
    service_attempts,
)

Through = UserAnswer.selected_choices.through


def constraints() -> dict[str, dict]:
    """Every constraint and index of the bulk tables, as the database describes them."""
    with connection.cursor() as cursor:
        return {
            model._meta.db_table: connection.introspection.get_constraints(
                cursor, model._meta.db_table
            )
            for model in bulk.BULK_TABLES
        }


def row_counts() -> dict[str, int]:
    return {
        "attempts": Attempt.objects.count(),
        "answers": UserAnswer.objects.count(),
        "choices": Through.objects.count(),
    }


class TestBulkAttempts:
    def test_the_requested_number_is_written_finished(self, demo):
        assert bulk_attempts().count() == 200
        assert set(bulk_attempts().values_list("state", flat=True)) == set(FINISHED)
        assert "Bulk attempts: 200 written" in demo

    def test_the_stored_sums_count_the_service_and_the_bulk_attempts(self, demo):
        # Service attempts moved the sums one by one; the bulk ones were counted by one
        # rebuild per exam after the COPY: together, a full recomputation.
        assert_sums_match(*Exam.objects.all())

    def test_each_bulk_attempt_has_one_answer_per_exam_question(self, demo):
        questions = dict(
            ExamQuestion.objects.values_list("exam_id").annotate(n=Count("pk")).order_by()
        )
        for attempt in bulk_attempts().annotate(
            n=Count("answers"), distinct=Count("answers__exam_question", distinct=True)
        ):
            assert attempt.n == attempt.distinct == questions[attempt.exam_id]
        assert not UserAnswer.objects.exclude(exam_question__exam_id=F("attempt__exam_id")).exists()
        assert Through.objects.filter(useranswer__attempt__in=bulk_attempts()).exists()
        assert not Through.objects.exclude(
            answerchoice__question_id=F("useranswer__exam_question__question_id")
        ).exists()

    def test_rescoring_through_the_services_changes_nothing(self, demo):
        for exam in Exam.objects.order_by("pk"):
            ids = list(
                bulk_attempts().filter(exam=exam).order_by("pk").values_list("pk", flat=True)[:25]
            )
            attempts = Attempt.objects.filter(pk__in=ids).order_by("pk")
            answers = UserAnswer.objects.filter(attempt_id__in=ids).order_by("pk")
            before = (
                list(attempts.values_list(*RESULT_FIELDS)),
                list(answers.values_list("result", "marks_awarded")),
            )

            score_attempts(exam=exam, attempt_ids=ids)

            after = (
                list(attempts.values_list(*RESULT_FIELDS)),
                list(answers.values_list("result", "marks_awarded")),
            )
            assert ids
            assert after == before
            # Nothing changed, so nothing is announced.
            assert not AttemptEvent.objects.filter(attempt_id__in=ids, kind="rescored").exists()

    def test_the_rank_flags_are_those_the_rank_service_sets(self, demo):
        # The bulk load sets counts_for_rank with its own UPDATE (only the rows that
        # change); the service's statement, run again over each whole exam, changes none.
        flags = dict(Attempt.objects.values_list("pk", "counts_for_rank"))
        assert any(flags.values())
        assert not all(flags.values())

        for exam in Exam.objects.order_by("pk"):
            refresh_rank_population(exam=exam)

        assert dict(Attempt.objects.values_list("pk", "counts_for_rank")) == flags

    def test_the_rank_flags_follow_each_exams_policy(self, demo):
        # Computed independently: per learner and exam, the completed attempt that is first
        # (first policy), last (last), or best-scored and then earliest (best).
        rows = Attempt.objects.filter(state=Attempt.State.COMPLETED).values_list(
            "pk", "exam__rank_policy", "user_id", "exam_id", "attempt_number", "score"
        )
        keys = {
            Exam.RankPolicy.FIRST: lambda number, score: (number,),
            Exam.RankPolicy.LAST: lambda number, score: (-number,),
            Exam.RankPolicy.BEST: lambda number, score: (-score, number),
        }
        best: dict[tuple[int, int], tuple] = {}
        for pk, policy, user_id, exam_id, number, score in rows:
            key = (keys[policy](number, score), pk)
            if (user_id, exam_id) not in best or key < best[user_id, exam_id]:
                best[user_id, exam_id] = key
        expected = {pk for _, pk in best.values()}

        assert set(Attempt.objects.filter(counts_for_rank=True).values_list("pk", flat=True)) == (
            expected
        )

    def test_each_bulk_attempt_has_one_imported_event_with_its_result(self, demo):
        events = AttemptEvent.objects.filter(attempt__in=bulk_attempts())
        assert events.count() == bulk_attempts().count() == 200
        mismatched = events.exclude(
            kind=AttemptEvent.Kind.IMPORTED,
            state_before=None,
            score_before=None,
            actor=None,
            state_after=F("attempt__state"),
            score_after=F("attempt__score"),
            at=F("attempt__completed_at"),
        )
        assert not mismatched.exists()

    def test_pending_bulk_attempts_wait_for_an_essay_and_have_no_result(self, demo):
        pending = bulk_attempts().filter(state=Attempt.State.PENDING_EVALUATION)
        assert pending.exists()
        assert not pending.filter(passed__isnull=False).exists()
        assert not pending.filter(pending_count=0).exists()

    def test_the_answers_and_choices_reported_are_those_stored(self, demo):
        line = next(line for line in demo.splitlines() if "Bulk attempts: 200 written" in line)
        answers = UserAnswer.objects.filter(attempt__in=bulk_attempts())
        picks = Through.objects.filter(useranswer__attempt__in=bulk_attempts())
        assert f"{answers.count()} answers, {picks.count()} selected choices" in line

    def test_each_phase_prints_its_duration(self, demo):
        for phase in ("plan", "users", "learners", "departments", "demo attempts"):
            assert f"Phase {phase}: " in demo
        assert "Bulk attempts: rows generated and copied: " in demo
        assert "Bulk attempts: rank population and stored sums: " in demo

    def test_running_twice_adds_nothing(self, demo):
        before = row_counts()

        out = seed_demo(*ARGS)

        assert row_counts() == before
        assert "Demo attempts: 60 already there (kept)" in out
        assert "Bulk attempts: 200 already there (target 200)" in out

    def test_a_larger_target_tops_up(self, demo):
        seed_demo("--learners", "20", "--demo-attempts", "60", "--attempts", "230")

        assert bulk_attempts().count() == 230
        assert service_attempts().count() == 60

    def test_a_large_load_puts_back_every_index_and_foreign_key(self, demo, monkeypatch):
        """On PostgreSQL a load at least as large as the table drops the foreign keys and
        secondary indexes and builds them at the end (SQLite keeps them throughout)."""
        assert not bulk.large_load(30)
        monkeypatch.setattr(bulk, "large_load", lambda todo: True)
        before, schema = row_counts(), constraints()

        seed_demo("--learners", "20", "--demo-attempts", "60", "--attempts", "230")

        assert bulk_attempts().count() == 230
        assert row_counts()["attempts"] == before["attempts"] + 30
        assert constraints() == schema
        # The sums and rank flags were written in the load's transaction, before the indexes.
        assert_sums_match(*Exam.objects.all())
        for exam in Exam.objects.all():
            flags = dict(Attempt.objects.filter(exam=exam).values_list("pk", "counts_for_rank"))
            refresh_rank_population(exam=exam)
            assert dict(Attempt.objects.filter(exam=exam).values_list("pk", "counts_for_rank")) == (
                flags
            )
        foreign_keys = [
            name
            for table in schema.values()
            for name, facts in table.items()
            if facts["foreign_key"]
        ]
        assert len(foreign_keys) >= 8  # attempt: user, exam; answer: attempt, question, ...


def test_generating_the_next_chunk_ahead_writes_the_same_rows(demo):
    """The large PostgreSQL load generates each chunk in a thread while the previous one is
    written, its ids following from the previous chunk's rows; chunk by chunk, each chunk
    reads the largest ids again. Both write the same rows (several chunks of 7 here)."""
    sims = load_exams(Exam.objects.order_by("pk"))
    learners = User.objects.filter(username__startswith=LEARNER_PREFIX)
    last = {model: model.objects.aggregate(m=Max("pk"))["m"] for model in (Attempt, UserAnswer)}

    def written(*, ahead: bool):
        savepoint = transaction.savepoint()
        generator = bulk._generator(42, sims, learners, existing=bulk_attempts().count())
        batches = list(bulk._batches(generator, 30, 7, ahead=ahead))
        rows = (
            list(Attempt.objects.filter(pk__gt=last[Attempt]).order_by("pk").values_list()),
            list(UserAnswer.objects.filter(pk__gt=last[UserAnswer]).order_by("pk").values_list()),
            list(
                Through.objects.filter(useranswer_id__gt=last[UserAnswer])
                .order_by("useranswer_id", "answerchoice_id")
                .values_list("useranswer_id", "answerchoice_id")
            ),
            list(
                AttemptEvent.objects.filter(attempt_id__gt=last[Attempt])
                .order_by("attempt_id")
                .values_list("attempt_id", "kind", "state_after", "score_after", "at")
            ),
        )
        transaction.savepoint_rollback(savepoint)
        return [len(batch.attempts) for batch in batches], rows

    sizes, rows = written(ahead=False)
    assert sizes == [7, 7, 7, 7, 2]
    attempts, answers, choices, events = rows
    assert len(attempts) == len(events) == 30
    assert len(answers) > 30
    assert choices
    assert written(ahead=True) == (sizes, rows)
