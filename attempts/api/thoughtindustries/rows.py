"""A page of attempts with everything the contract shows, in a fixed number of queries:
the page (attempt, learner, exam, course; the last event's time annotated), then one query
each for the page's answers (with their exam question and question), the choices the
learner selected, every choice of those questions, the courses' instructors and the exams'
questions. ``serializers`` then reads only what is loaded here.
"""

from collections import defaultdict

from django.db.models import OuterRef, Subquery

from assessments.models import AnswerChoice, ExamQuestion
from attempts.models import Attempt, AttemptEvent, UserAnswer
from lms.models import Course


def listing(queryset):
    """The page query: what each attempt row shows, joined or annotated."""
    last_event = AttemptEvent.objects.filter(attempt=OuterRef("pk")).order_by("-id")
    return queryset.select_related("user", "exam__course").annotate(
        last_event_at=Subquery(last_event.values("at")[:1])
    )


def attach(attempts: list[Attempt]) -> list[Attempt]:
    """Set on each attempt: ``page_answers`` (in exam order, choices loaded), on its exam
    ``question_uuids`` and on its course ``instructor_emails``. Five queries at most,
    whatever the number of attempts; none for an empty page."""
    if not attempts:
        return attempts
    answers = (
        UserAnswer.objects.filter(attempt__in=[a.pk for a in attempts])
        .select_related("exam_question__question")
        .prefetch_related("selected_choices")
        .order_by("attempt_id", "exam_question__order", "exam_question_id")
    )
    by_attempt = defaultdict(list)
    for answer in answers:
        by_attempt[answer.attempt_id].append(answer)
    question_ids = {a.exam_question.question_id for rows in by_attempt.values() for a in rows}
    choices = defaultdict(list)
    for choice in AnswerChoice.objects.filter(question__in=question_ids):
        choices[choice.question_id].append(choice)
    for rows in by_attempt.values():
        for answer in rows:
            question = answer.exam_question.question
            question.choice_list = choices[question.pk]

    # Attempts of one exam each hold their own Exam instance (select_related): the lists
    # are set on every one of them, below.
    exams = {a.exam_id for a in attempts}
    placed = defaultdict(list)
    for exam_id, question_uuid in (
        ExamQuestion.objects.filter(exam__in=exams)
        .order_by("exam_id", "order", "id")
        .values_list("exam_id", "question__uuid")
    ):
        placed[exam_id].append(question_uuid)
    courses = {a.exam.course_id for a in attempts}
    emails = defaultdict(list)
    for course_id, email in (
        Course.instructors.through.objects.filter(course__in=courses)
        .exclude(user__email="")
        .order_by("course_id", "user__email")
        .values_list("course_id", "user__email")
    ):
        emails[course_id].append(email)
    for attempt in attempts:
        attempt.page_answers = by_attempt[attempt.pk]
        attempt.exam.question_uuids = placed[attempt.exam_id]
        attempt.exam.course.instructor_emails = emails[attempt.exam.course_id]
    return attempts


__all__ = ["attach", "listing"]
