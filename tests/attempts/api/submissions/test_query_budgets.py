"""A whole submission takes the same number of queries at 5 and at 100 questions: answers,
choices and events are written in bulk (``attempts.services.attempt_submit_answers``)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from assessments.models import Question
from attempts import services
from attempts.api.submissions import public_ids as ids
from attempts.models import Attempt, UserAnswer
from tests import play
from tests.factories import (
    AnswerChoiceFactory,
    CourseFactory,
    EnrollmentFactory,
    ExamFactory,
    ExamQuestionFactory,
    QuestionFactory,
    SectionFactory,
    UserFactory,
)

KINDS = [
    Question.Type.SINGLE,
    Question.Type.MULTIPLE,
    Question.Type.NUMERIC,
    Question.Type.SHORT_TEXT,
    Question.Type.ESSAY,
]


def exam_of(n: int):
    """An open exam of ``n`` questions cycling through the kinds, every one answered."""
    course = CourseFactory()
    exam = ExamFactory(course=course, duration=timedelta(minutes=30))
    section = SectionFactory(exam=exam)
    learner = UserFactory()
    EnrollmentFactory(user=learner, course=course, enrolled_at=timezone.now() - timedelta(days=1))
    answers = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        question = QuestionFactory(
            type=kind,
            numeric_answer=Decimal("2") if kind == Question.Type.NUMERIC else None,
            accepted_answers=["yes"] if kind == Question.Type.SHORT_TEXT else [],
        )
        choices = (
            [AnswerChoiceFactory(question=question, is_correct=j == 0) for j in range(3)]
            if kind in (Question.Type.SINGLE, Question.Type.MULTIPLE)
            else []
        )
        ExamQuestionFactory(exam=exam, section=section, question=question, order=i)
        answers.append(
            services.GivenAnswer(
                question=question.uuid,
                choice_ids=(choices[0].pk,) if choices else (),
                text="yes" if kind in (Question.Type.SHORT_TEXT, Question.Type.ESSAY) else "",
                number=Decimal("2") if kind == Question.Type.NUMERIC else None,
            )
        )
    return exam, learner, answers


@pytest.mark.parametrize("n", [5, 100])
def test_a_new_submission_takes_a_fixed_number_of_queries(db, django_assert_num_queries, n):
    exam, learner, answers = exam_of(n)
    # SAVEPOINT (the service's transaction inside the test's); the learner's enrolment,
    # locked (it serialises their submissions); the learner's attempts at the exam; the
    # exam's questions; their choices; SAVEPOINT, INSERT the finished attempt with its
    # result, RELEASE (a concurrent start from the pages is a 409, not a 500); INSERT every
    # answer; INSERT their chosen choices; INSERT the event; UPDATE the rank population;
    # RELEASE SAVEPOINT. The stored sums (attempts.tallies) add 3: lock the learner's
    # attempts at the exam first (none), read them again at the end, upsert the ExamTally
    # cell (the attempt awaits its essays' marks: no answer is counted yet).
    with django_assert_num_queries(16):
        submission = services.attempt_submit_answers(user=learner, exam=exam, answers=answers)
    attempt = submission.attempt
    assert UserAnswer.objects.filter(attempt=attempt).count() == n
    assert attempt.pending_count == n // 5


@pytest.mark.parametrize("n", [5, 100])
def test_submitting_a_running_attempt_takes_a_fixed_number_of_queries(
    db, django_assert_num_queries, n
):
    exam, learner, answers = exam_of(n)
    running = play.start(exam, learner, now=timezone.now())
    play.answer(running, exam.exam_questions.first(), choices=[], text="", now=timezone.now())
    # SAVEPOINT; enrolment (locked); the learner's attempts; questions; choices; DELETE the
    # replaced answers' choices; DELETE the replaced answers; INSERT the given answers;
    # INSERT their choices; UPDATE running -> completed; then score_attempts: lock the
    # attempt, its answers, their choices, the attempt's result fields, UPDATE the result,
    # INSERT the event; UPDATE the rank population; read back the attempt and its
    # results; RELEASE SAVEPOINT. The stored sums add 3: lock the learner's attempts first
    # (the running one), read them again at the end, upsert the ExamTally cells (one running
    # less, one pending more; pending attempts count no answer).
    with django_assert_num_queries(23):
        submission = services.attempt_submit_answers(user=learner, exam=exam, answers=answers)
    assert submission.attempt.pk == running.pk
    assert Attempt.objects.get(pk=running.pk).state == Attempt.State.PENDING_EVALUATION


@pytest.mark.parametrize("n", [5, 100])
def test_posting_a_submission_takes_a_fixed_number_of_queries(db, django_assert_num_queries, n):
    exam, learner, answers = exam_of(n)
    body = {
        "answers": [
            {
                "question_id": ids.of_uuid(ids.QUESTION, answer.question),
                "choice_ids": [ids.of_pk(ids.CHOICE, pk) for pk in answer.choice_ids],
                "text": answer.text,
                "number": None if answer.number is None else str(answer.number),
            }
            for answer in answers
        ]
    }
    client = APIClient()
    client.force_authenticate(learner)
    url = f"/api/v1/assessments/{ids.of_uuid(ids.ASSESSMENT, exam.uuid)}/submissions"
    # The assessment among those the learner knows (one query, with its course); then the
    # service's 13 (SAVEPOINT: the test's transaction holds the request's; enrolment,
    # locked; the learner's attempts; questions; choices; SAVEPOINT, INSERT attempt,
    # RELEASE; INSERT answers; INSERT chosen choices; INSERT event; UPDATE rank population;
    # RELEASE); then whether the learner reviews the course (can_see_results: not an
    # instructor). The review policy (after the last attempt, unlimited attempts) needs no
    # count of attempts. The stored sums add 3 (the learner's attempts locked first and read
    # again at the end, one ExamTally upsert).
    with django_assert_num_queries(18):
        response = client.post(url, body, format="json")
    assert response.status_code == 201, response.content
    assert len(response.json()["results"]) == n
