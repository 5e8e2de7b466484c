"""``seed_demo``'s attempts played through the services, and what holds for every attempt.

The tests read one small seeded database (``conftest.seeded``: 20 learners, 60 attempts through
the services, 200 in bulk), built once for the module inside a transaction that is rolled back
at the end. ``TestEveryAttempt`` checks both writers, the services' and the bulk one, which share
the learner model of ``lms.demo.simulation``.
"""

import io
from datetime import timedelta
from statistics import mean

from django.core.management import call_command
from django.db.models import Count, F, Max, Min, Q, Sum

from assessments.models import Exam
from attempts.models import Attempt, AttemptEvent, UserAnswer
from lms.demo.plan import rng_for
from lms.demo.play import plan_chains
from lms.demo.simulation import WINDOW_END, WINDOW_START, learner_ability, load_exams
from lms.models import Enrollment
from tests.lms.demo.seeding import FINISHED, bulk_attempts, service_attempts


class TestDemoAttemptsThroughTheServices:
    def test_the_requested_number_of_attempts_is_made_in_every_state(self, demo):
        assert service_attempts().count() == 60
        states = set(service_attempts().values_list("state", flat=True))
        assert states == set(Attempt.State.values)
        assert "Demo attempts: 60 through the services" in demo

    def test_mostly_completed_and_a_share_pending_evaluation_on_the_midterm(self, demo):
        by_state = dict(service_attempts().values_list("state").annotate(n=Count("pk")))
        assert by_state[Attempt.State.COMPLETED] > 60 / 2
        pending = service_attempts().filter(state=Attempt.State.PENDING_EVALUATION)
        assert set(pending.values_list("exam__title", flat=True)) == {"Mathematics Midterm"}
        assert UserAnswer.objects.filter(attempt__in=pending, result="pending").exists()

    def test_running_attempts_are_on_the_untimed_exam_or_past_their_deadline(self, demo):
        running = service_attempts().filter(state=Attempt.State.RUNNING)
        untimed = running.filter(exam__duration__isnull=True)
        overdue = running.filter(exam__duration__isnull=False)
        assert untimed.exists()
        assert untimed.filter(deadline_at__isnull=True).count() == untimed.count()
        assert overdue.exists()
        assert not overdue.filter(deadline_at__gte=WINDOW_END).exists()
        assert f"{overdue.count()} running attempts on timed exams are past their deadline" in demo

    def test_finalize_overdue_completes_the_overdue_ones(self, demo, monkeypatch):
        overdue = service_attempts().filter(
            state=Attempt.State.RUNNING, exam__duration__isnull=False
        )
        expected = overdue.count()
        assert expected >= 1
        monkeypatch.setattr("attempts.services.timezone.now", lambda: WINDOW_END)
        out = io.StringIO()

        call_command("finalize_overdue", stdout=out)

        assert f"Finalized {expected} overdue attempt(s)." in out.getvalue()
        assert not overdue.exists()

    def test_only_actively_enrolled_learners_take_attempts(self, demo):
        for user_id, course_id in Attempt.objects.values_list("user_id", "exam__course_id"):
            enrollment = Enrollment.objects.get(user_id=user_id, course_id=course_id)
            assert enrollment.is_active_at(WINDOW_END)

    def test_essays_are_evaluated_by_the_course_instructor(self, demo):
        evaluated = UserAnswer.objects.filter(evaluated_marks__isnull=False)
        assert evaluated.exists()
        assert set(evaluated.values_list("evaluated_by__username", flat=True)) == {"instructor1"}
        assert not evaluated.filter(evaluated_marks__gt=F("exam_question__marks")).exists()
        assert not evaluated.filter(evaluated_at__lt=F("attempt__completed_at")).exists()

    def test_answers_are_skipped_flagged_guessed_and_partly_right(self, demo):
        answers = UserAnswer.objects.filter(attempt__in=service_attempts())
        assert answers.filter(result="unanswered").exists()
        assert answers.filter(is_flagged=True).exists()
        assert answers.filter(is_guessed=True).exists()
        jee = answers.filter(attempt__exam__title="JEE-style Multiple Correct Practice")
        assert jee.filter(result="partial", marks_awarded__gt=0).exists()

    def test_the_demo_login_has_attempts_at_every_exam(self, demo):
        exams = Attempt.objects.filter(user__username="learner").values("exam").distinct()
        assert exams.count() == Exam.objects.count()

    def test_the_plan_depends_only_on_the_seed(self, demo):
        exams = load_exams(Exam.objects.order_by("pk"))
        pools = {exam.exam.pk: [f"learner{n:03d}" for n in range(1, 21)] for exam in exams}

        def plan(seed):
            chains = plan_chains(rng_for(seed, "attempts"), 60, exams, pools, "learner")
            return [(c.username, c.exam.exam.pk, c.attempts) for c in chains]

        assert plan(42) == plan(42)
        assert plan(42) != plan(7)


class TestEveryAttempt:
    def test_stored_counts_add_up_and_the_score_is_the_sum_of_the_answer_marks(self, demo):
        finished = Attempt.objects.filter(state__in=FINISHED).annotate(
            marks=Sum("answers__marks_awarded"),
            answered=Count("answers"),
            **{
                f"n_{outcome}": Count("answers", filter=Q(answers__result=outcome))
                for outcome in ("correct", "incorrect", "partial", "unanswered", "pending")
            },
        )
        assert finished.count() > 200
        for a in finished:
            assert a.score == a.marks
            assert a.total_questions == a.answered
            assert (
                a.correct_count,
                a.incorrect_count,
                a.partial_count,
                a.unanswered_count,
                a.pending_count,
            ) == (a.n_correct, a.n_incorrect, a.n_partial, a.n_unanswered, a.n_pending)

    def test_attempts_respect_max_attempts_and_are_numbered_in_time_order(self, demo):
        pairs = Attempt.objects.values("user_id", "exam_id", "exam__max_attempts").annotate(
            n=Count("pk"), top=Max("attempt_number"), low=Min("attempt_number")
        )
        assert any(pair["n"] > 1 for pair in pairs)  # retakes
        for pair in pairs:
            assert (pair["low"], pair["top"]) == (1, pair["n"])
            assert pair["exam__max_attempts"] is None or pair["n"] <= pair["exam__max_attempts"]
        previous = {}
        for attempt in Attempt.objects.order_by("user_id", "exam_id", "attempt_number"):
            key = attempt.user_id, attempt.exam_id
            if key in previous:
                assert attempt.started_at > previous[key]
            previous[key] = attempt.completed_at or attempt.started_at

    def test_times_lie_in_the_window_and_add_up_to_the_time_spent(self, demo):
        assert not Attempt.objects.exclude(
            started_at__gte=WINDOW_START, started_at__lte=WINDOW_END
        ).exists()
        finished = Attempt.objects.filter(state__in=FINISHED).annotate(
            spent=Sum("answers__time_spent_seconds")
        )
        for attempt in finished.select_related("exam"):
            taken = attempt.completed_at - attempt.started_at
            assert taken == timedelta(seconds=attempt.spent)
            assert attempt.completed_at <= WINDOW_END
            if attempt.exam.duration:
                assert taken <= attempt.exam.duration
        times = UserAnswer.objects.aggregate(
            first=Min("created_at"), last=Max("updated_at"), evaluated=Max("evaluated_at")
        )
        assert WINDOW_START <= times["first"] <= times["last"] <= WINDOW_END
        assert times["evaluated"] <= WINDOW_END
        assert not UserAnswer.objects.filter(
            Q(time_spent_seconds__lt=20) | Q(time_spent_seconds__gt=240),
            attempt__state__in=FINISHED,
        ).exists()

    def test_counts_for_rank_is_set_on_one_completed_attempt_per_learner_and_exam(self, demo):
        completed = Attempt.objects.filter(state=Attempt.State.COMPLETED)
        pairs = set(completed.values_list("user_id", "exam_id"))
        ranked = list(
            Attempt.objects.filter(counts_for_rank=True).values_list("user_id", "exam_id", "state")
        )
        assert {state for _, _, state in ranked} == {Attempt.State.COMPLETED}
        assert sorted((u, e) for u, e, _ in ranked) == sorted(pairs)  # exactly one per pair

    def test_better_learners_score_higher_on_average(self, demo):
        usernames = sorted(
            set(bulk_attempts().values_list("user__username", flat=True)),
            key=lambda name: learner_ability(42, name),
        )
        quarter = len(usernames) // 4
        completed = bulk_attempts().filter(state=Attempt.State.COMPLETED)

        def mean_percentage(names):
            return mean(
                completed.filter(user__username__in=names).values_list("percentage", flat=True)
            )

        assert mean_percentage(usernames[-quarter:]) > mean_percentage(usernames[:quarter]) + 10


class TestEveryAttemptHasItsHistory:
    """The demo plays through the services, so each attempt's events tell its whole story."""

    def test_the_last_event_of_every_attempt_says_its_stored_state_and_score(self, demo):
        attempts = Attempt.objects.filter(pk__in=service_attempts()).order_by("pk")
        last = {}
        for event in AttemptEvent.objects.filter(attempt__in=attempts).order_by("id"):
            last[event.attempt_id] = (event.state_after, event.score_after)
        stored = {a.pk: (a.state, a.score) for a in attempts}
        assert last == stored

    def test_every_attempt_begins_opened_or_started_from_nothing(self, demo):
        first_kinds = {}
        for event in AttemptEvent.objects.filter(attempt__in=service_attempts()).order_by("id"):
            first_kinds.setdefault(event.attempt_id, (event.kind, event.state_before))
        assert set(first_kinds.values()) == {
            (AttemptEvent.Kind.STARTED, None),
            (AttemptEvent.Kind.OPENED, None),
        }

    def test_each_event_starts_where_the_previous_one_ended(self, demo):
        previous = {}
        for event in AttemptEvent.objects.filter(attempt__in=service_attempts()).order_by("id"):
            if event.attempt_id in previous:
                assert (event.state_before, event.score_before) == previous[event.attempt_id]
            previous[event.attempt_id] = (event.state_after, event.score_after)
