"""A page of attempts with everything the contract shows, in a fixed number of queries:
the page (attempt, learner, exam, course; the last event's time annotated), then one query
each for the questions of the page's exams (with their bank questions), those questions'
choices, the page's answers (only the columns shown), the choices the learners selected
(pairs of ids) and the courses' instructors. Each question and choice is loaded once however
many attempts show it; ``serializers`` then reads only what is set here.
"""

from collections import defaultdict

from django.db.models import OuterRef, Subquery

from assessments.models import AnswerChoice, ExamQuestion
from attempts.models import Attempt, AttemptEvent, UserAnswer
from lms.models import Course

# What ``serializers`` reads of an answer: nothing else is loaded.
ANSWER_FIELDS = (
    "id",
    "attempt_id",
    "exam_question_id",
    "text_response",
    "numeric_response",
    "result",
    "evaluated_marks",
)


def listing(queryset):
    """The page query: what each attempt row shows, joined or annotated."""
    last_event = AttemptEvent.objects.filter(attempt=OuterRef("pk")).order_by("-id")
    return queryset.select_related("user", "exam__course").annotate(
        last_event_at=Subquery(last_event.values("at")[:1])
    )


def attach(attempts: list[Attempt]) -> list[Attempt]:
    """Set on each attempt ``page_answers`` (in exam order; each with ``question`` and
    ``chosen``, its selected choices), on its exam ``question_uuids`` and on its course
    ``instructor_emails``; on each question ``choice_list``. Five queries whatever the number
    of attempts; none for an empty page."""
    if not attempts:
        return attempts
    attempt_ids = [a.pk for a in attempts]
    exam_ids = {a.exam_id for a in attempts}

    placements = {
        eq.pk: eq
        for eq in ExamQuestion.objects.filter(exam__in=exam_ids)
        .select_related("question")
        .order_by("exam_id", "order", "id")
    }
    questions = {eq.question_id: eq.question for eq in placements.values()}
    choices = defaultdict(list)
    for choice in AnswerChoice.objects.filter(question__in=questions).order_by(
        "question_id", "order", "id"
    ):
        choices[choice.question_id].append(choice)
    choice_by_id = {}
    for question_id, question in questions.items():
        question.choice_list = choices[question_id]
        choice_by_id.update((choice.pk, choice) for choice in question.choice_list)

    answers = list(UserAnswer.objects.filter(attempt__in=attempt_ids).only(*ANSWER_FIELDS))
    chosen = defaultdict(list)
    # By the answers' ids, not through a join on their attempts: at millions of rows the
    # planner hashed the whole choice table for the join (2.5 s at 645k attempts).
    for answer_id, choice_id in UserAnswer.selected_choices.through.objects.filter(
        useranswer_id__in=[answer.pk for answer in answers]
    ).values_list("useranswer_id", "answerchoice_id"):
        chosen[answer_id].append(choice_by_id[choice_id])
    by_attempt = defaultdict(list)
    for answer in answers:
        placement = placements[answer.exam_question_id]
        answer.question = placement.question
        answer.chosen = sorted(chosen[answer.pk], key=lambda c: (c.order, c.pk))
        by_attempt[answer.attempt_id].append((placement.order, placement.pk, answer))

    question_uuids = defaultdict(list)
    for eq in placements.values():
        question_uuids[eq.exam_id].append(eq.question.uuid)
    emails = defaultdict(list)
    for course_id, email in (
        Course.instructors.through.objects.filter(course__in={a.exam.course_id for a in attempts})
        .exclude(user__email="")
        .order_by("course_id", "user__email")
        .values_list("course_id", "user__email")
    ):
        emails[course_id].append(email)

    # Attempts of one exam each hold their own Exam and Course instance (select_related).
    for attempt in attempts:
        attempt.page_answers = [answer for *_, answer in sorted(by_attempt[attempt.pk])]
        attempt.exam.question_uuids = question_uuids[attempt.exam_id]
        attempt.exam.course.instructor_emails = emails[attempt.exam.course_id]
    return attempts
