"""Query budgets of the lifecycle services: fixed, whatever the exam's size, each query named.

SQLite and PostgreSQL issue the same statements (the savepoints are Django's atomic blocks).
"""

from datetime import timedelta

from assessments.models import ExamQuestion
from attempts import services
from tests.play import NOW


def test_start(kit, django_assert_num_queries):
    # savepoint, the learner's running or opened attempt, lock the learner's attempts at the
    # exam (the tallies' "before": none), the enrollment, the highest attempt number, the
    # exam's question count and marks, the learner's accommodation on this timed exam (none),
    # savepoint, insert the attempt, release, insert its event, the learner's attempts again
    # (the tallies' "after"), upsert the ExamTally cell (one more running), release.
    with django_assert_num_queries(14):
        services.attempt_start(user=kit.learner, exam=kit.exam, now=NOW)


def test_resume(kit, django_assert_num_queries):
    kit.start()
    # savepoint, the running attempt, update last_started_at, insert the event, release.
    with django_assert_num_queries(5):
        services.attempt_start(user=kit.learner, exam=kit.exam, now=NOW + timedelta(minutes=1))


def test_save_a_new_answer(kit, django_assert_num_queries):
    attempt = kit.start()
    eq = kit.eq["single"]
    eq.question  # noqa: B018 (loaded by the caller, as the views do)
    # savepoint, lock the attempt row, the question's choices (check and key; kept on
    # ``eq``), the existing answer (none), insert the answer, insert its choice, update the
    # running totals, insert the event, release.
    with django_assert_num_queries(9):
        services.attempt_save_answer(
            attempt=attempt, exam_question=eq, choice_ids=[kit.choices["single"][0].pk], now=NOW
        )


def test_replace_an_answer(kit, django_assert_num_queries):
    attempt = kit.start()
    eq = kit.eq["single"]
    choices = kit.choices["single"]
    kit.answer(attempt, "single", choices=[0])
    # savepoint, lock the attempt row, the existing answer, update it, its selected
    # choices, delete the dropped one, add the new one, update the running totals, insert
    # the event, release. The choices were read by the first save and kept on ``eq``, the
    # object passed again.
    with django_assert_num_queries(10):
        services.attempt_save_answer(
            attempt=attempt, exam_question=eq, choice_ids=[choices[1].pk], now=NOW
        )


def test_replace_an_answer_through_a_fresh_placement(kit, django_assert_num_queries):
    attempt = kit.start()
    choices = kit.choices["single"]
    kit.answer(attempt, "single", choices=[0])
    eq = ExamQuestion.objects.select_related("question").get(pk=kit.eq["single"].pk)
    # As a request would: savepoint, lock the attempt row, the question's choices (this
    # object has not read them yet), the existing answer, update it, its selected choices,
    # delete the dropped one, add the new one, update the running totals, insert the
    # event, release.
    with django_assert_num_queries(11):
        answer = services.attempt_save_answer(
            attempt=attempt, exam_question=eq, choice_ids=[choices[1].pk], now=NOW
        )
    assert list(answer.selected_choices.values_list("pk", flat=True)) == [choices[1].pk]


def test_submit(kit, django_assert_num_queries):
    attempt = kit.start()
    # savepoint, the conditional state update, the exam questions with their questions, their
    # keys, lock the attempt rows (already ours after the update: the statement is there for
    # a rescore), the stored answers, their selected choices, the attempt's stored result,
    # insert the unanswered rows, update the result, insert the event, the rank population,
    # the attempt as stored, release. The stored sums add 6: after the conditional update,
    # lock the learner's attempts at the exam (the tallies' "before": the submitted one
    # counts as the running attempt it was, so no answer is read), then at the end the
    # learner's attempts again, their answers GROUP BY the QuestionTally key, their chosen
    # choices GROUP BY the ChoiceTally key (none), and one upsert of the ExamTally cells (one
    # running less, one completed more in both populations) and one of the QuestionTally
    # cells (no ChoiceTally upsert: no choice was picked).
    with django_assert_num_queries(20):
        services.attempt_submit(attempt=attempt, now=NOW + timedelta(minutes=5))
