"""The shape of an assessment attempt, with Thought Industries' names and types.

``attempt_data`` turns a loaded attempt (``rows``) into a dict with exactly the documented
keys; the serializers declare those keys for the OpenAPI schema and render the dicts. No
field runs a query. Ids are uuids, as Thought Industries' are: an answer, which has no uuid
of its own, gets a stable one derived from its attempt's and its question's
(``answer_uuid``). Which seed key comes from where is ``seed_keys``.
"""

import uuid
from decimal import Decimal

from rest_framework import serializers

from assessments.models import Question
from attempts.api.thoughtindustries import labels
from attempts.models import Attempt, UserAnswer

CHOICE_KINDS = (Question.Type.SINGLE, Question.Type.MULTIPLE, Question.Type.TRUE_FALSE)
DATETIME = serializers.DateTimeField()


def answer_uuid(attempt: Attempt, answer: UserAnswer) -> uuid.UUID:
    """The same uuid for the same answer on every call: uuid5 in the attempt's namespace."""
    return uuid.uuid5(attempt.uuid, f"answer:{answer.exam_question_id}")


def _when(value):
    return None if value is None else DATETIME.to_representation(value)


def _number(value: Decimal | None):
    return None if value is None else float(value)


def _choice(choice) -> dict:
    return {"id": choice.pk, "value": choice.text_html, "correct": choice.is_correct}


def _response(answer: UserAnswer) -> str:
    """The learner's answer as text: the chosen options, the number or the text typed."""
    question = answer.question
    if question.type in CHOICE_KINDS:
        return "; ".join(choice.text_html for choice in answer.chosen)
    if question.type == Question.Type.NUMERIC:
        return "" if answer.numeric_response is None else f"{answer.numeric_response.normalize():f}"
    return answer.text_response


def _question(answer: UserAnswer, response: str) -> dict:
    question = answer.question
    kind = question.type
    selected = answer.chosen
    has_choices = kind in CHOICE_KINDS
    return {
        "questionId": str(question.uuid),
        "body": question.text_html,
        "openEndedResponse": answer.text_response if kind == Question.Type.ESSAY else "",
        "response": response,
        "selectedChoice": _choice(selected[0]) if selected else None,
        "type": labels.QUESTION_TYPE[kind],
        "questionType": labels.QUESTION_TYPE[kind],
        "mustSelectAllCorrectChoices": kind == Question.Type.MULTIPLE,
        "choices": [_choice(choice) for choice in question.choice_list],
        "gradedAsCorrect": answer.result == UserAnswer.Result.CORRECT,
        "hasChoices": has_choices,
        "selectedChoiceOrNoChoiceAvailable": bool(selected) or not has_choices,
        "isOpenEndedOrEssay": kind
        in (Question.Type.NUMERIC, Question.Type.SHORT_TEXT, Question.Type.ESSAY),
        "isBooleanChoice": kind == Question.Type.TRUE_FALSE,
        "isMultipleChoice": kind == Question.Type.SINGLE,
        "isSelectBoxes": kind == Question.Type.MULTIPLE,
        "isOpenEnded": kind in (Question.Type.NUMERIC, Question.Type.SHORT_TEXT),
        "isEssay": kind == Question.Type.ESSAY,
        "isBooleanChoiceOrMultipleChoice": kind in (Question.Type.TRUE_FALSE, Question.Type.SINGLE),
        # Kinds we do not have: never these.
        "isImageComparison": False,
        "isTable": False,
        "isLikert": False,
        "isFileSubmission": False,
    }


def _answer(attempt: Attempt, answer: UserAnswer, response: str) -> dict:
    return {
        "id": answer_uuid(attempt, answer),
        "question": answer.question.text_html,
        "answer": response,
        "correct": answer.result == UserAnswer.Result.CORRECT,
        # Marked by the rules alone, not by an instructor's hand.
        "hasDefaultGrade": answer.evaluated_marks is None,
    }


def _user(user) -> dict:
    return {
        "id": user.uuid,
        "email": user.email,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "name": user.name,
        "firstInitial": user.first_name[:1],
        "lastInitial": user.last_name[:1],
        "telephone": user.phone,
        "lastActiveAt": _when(user.last_login),
        "createdAt": _when(user.date_joined),
        "disabled": not user.is_active,
    }


def _course(course) -> dict:
    return {
        "id": course.uuid,
        "createdAt": _when(course.created_at),
        "slug": course.slug,
        "status": course.status,
        "title": course.title,
        "instructorEmails": course.instructor_emails,
    }


def _topic(exam) -> dict:
    return {
        "id": exam.uuid,
        "title": exam.title,
        "type": labels.ASSESSMENT_TYPE,
        "quizQuestions": exam.question_uuids,
    }


def attempt_data(attempt: Attempt, *, now) -> dict:
    exam, course = attempt.exam, attempt.exam.course
    taken = attempt.time_taken(now)
    responses = [(answer, _response(answer)) for answer in attempt.page_answers]
    changes = [attempt.started_at, attempt.last_answer_at, attempt.completed_at]
    return {
        "id": attempt.uuid,
        "assessment": {
            "id": exam.uuid,
            "type": labels.ASSESSMENT_TYPE,
            "title": exam.title,
            "minPassingPercent": _number(exam.pass_percentage),
        },
        "answers": [_answer(attempt, answer, response) for answer, response in responses],
        "course": _course(course),
        "courseId": course.uuid,
        "user": _user(attempt.user),
        "createdAt": _when(attempt.started_at),
        # The last event (an answer, submit, mark, rescore, forgive); the latest of the
        # stored times when the attempt has no event (written before events existed).
        "updatedAt": _when(
            attempt.last_event_at or max(when for when in changes if when is not None)
        ),
        "timeElapsedInSeconds": int(taken.total_seconds()) if taken is not None else 0,
        "status": labels.STATUS[attempt.state],
        "grade": _number(attempt.percentage),
        "originalGrade": _number(attempt.original_percentage),
        "passed": attempt.passed,
        "questions": [_question(answer, response) for answer, response in responses],
        "topicType": labels.ASSESSMENT_TYPE,
        "forgiven": attempt.forgiven_at is not None,
        "topic": _topic(exam),
        "topicId": exam.uuid,
    }


# --------------------------------------------------------------- the documented shapes


class TiChoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Our id of the option.")
    value = serializers.CharField(help_text="The option's text (sanitised HTML).")
    correct = serializers.BooleanField(help_text="Part of the key.")


class TiAnswerSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Stable per attempt and question (uuid5).")
    question = serializers.CharField(help_text="The question's text (sanitised HTML).")
    answer = serializers.CharField(
        help_text="The chosen options' texts joined by '; ', the number, or the text typed."
    )
    correct = serializers.BooleanField()
    hasDefaultGrade = serializers.BooleanField(  # noqa: N815
        help_text="False once an instructor marked the answer by hand (essays)."
    )


class TiQuestionSerializer(serializers.Serializer):
    questionId = serializers.CharField(help_text="The bank question's uuid.")  # noqa: N815
    body = serializers.CharField()
    openEndedResponse = serializers.CharField(help_text="Essays: the text.")  # noqa: N815
    response = serializers.CharField()
    selectedChoice = TiChoiceSerializer(allow_null=True, help_text="The first option chosen.")  # noqa: N815
    type = serializers.ChoiceField(choices=sorted(set(labels.QUESTION_TYPE.values())))
    questionType = serializers.CharField(help_text="As type.")  # noqa: N815
    mustSelectAllCorrectChoices = serializers.BooleanField()  # noqa: N815
    choices = TiChoiceSerializer(many=True)
    gradedAsCorrect = serializers.BooleanField()  # noqa: N815
    hasChoices = serializers.BooleanField()  # noqa: N815
    selectedChoiceOrNoChoiceAvailable = serializers.BooleanField()  # noqa: N815
    isOpenEndedOrEssay = serializers.BooleanField()  # noqa: N815
    isBooleanChoice = serializers.BooleanField()  # noqa: N815
    isMultipleChoice = serializers.BooleanField()  # noqa: N815
    isSelectBoxes = serializers.BooleanField()  # noqa: N815
    isOpenEnded = serializers.BooleanField()  # noqa: N815
    isEssay = serializers.BooleanField()  # noqa: N815
    isBooleanChoiceOrMultipleChoice = serializers.BooleanField()  # noqa: N815
    isImageComparison = serializers.BooleanField()  # noqa: N815
    isTable = serializers.BooleanField()  # noqa: N815
    isLikert = serializers.BooleanField()  # noqa: N815
    isFileSubmission = serializers.BooleanField()  # noqa: N815


class TiAssessmentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    type = serializers.CharField()
    title = serializers.CharField()
    minPassingPercent = serializers.FloatField(allow_null=True)  # noqa: N815


class TiCourseSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    createdAt = serializers.DateTimeField()  # noqa: N815
    slug = serializers.CharField()
    status = serializers.CharField()
    title = serializers.CharField()
    instructorEmails = serializers.ListField(child=serializers.CharField())  # noqa: N815


class TiUserSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.CharField()
    firstName = serializers.CharField()  # noqa: N815
    lastName = serializers.CharField()  # noqa: N815
    name = serializers.CharField()
    firstInitial = serializers.CharField()  # noqa: N815
    lastInitial = serializers.CharField()  # noqa: N815
    telephone = serializers.CharField()
    lastActiveAt = serializers.DateTimeField(allow_null=True)  # noqa: N815
    createdAt = serializers.DateTimeField()  # noqa: N815
    disabled = serializers.BooleanField()


class TiTopicSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    type = serializers.CharField()
    quizQuestions = serializers.ListField(child=serializers.UUIDField())  # noqa: N815


class TiAssessmentAttemptSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    assessment = TiAssessmentSerializer()
    answers = TiAnswerSerializer(many=True)
    course = TiCourseSerializer()
    courseId = serializers.UUIDField()  # noqa: N815
    user = TiUserSerializer()
    createdAt = serializers.DateTimeField()  # noqa: N815
    updatedAt = serializers.DateTimeField()  # noqa: N815
    timeElapsedInSeconds = serializers.IntegerField()  # noqa: N815
    status = serializers.ChoiceField(choices=list(labels.STATUS.values()))
    grade = serializers.FloatField(help_text="Percentage, 2 decimals.")
    originalGrade = serializers.FloatField(  # noqa: N815
        allow_null=True, help_text="The percentage at the first submit; null while running."
    )
    passed = serializers.BooleanField(allow_null=True)
    questions = TiQuestionSerializer(many=True)
    topicType = serializers.CharField()  # noqa: N815
    forgiven = serializers.BooleanField()
    topic = TiTopicSerializer()
    topicId = serializers.UUIDField()  # noqa: N815


class TiPageInfoSerializer(serializers.Serializer):
    perPage = serializers.IntegerField()  # noqa: N815
    cursor = serializers.CharField(allow_null=True)
    total = serializers.IntegerField()
    hasMore = serializers.BooleanField()  # noqa: N815


class TiAttemptsPageSerializer(serializers.Serializer):
    pageInfo = TiPageInfoSerializer()  # noqa: N815
    assessmentAttempts = TiAssessmentAttemptSerializer(many=True)  # noqa: N815


class TiAttemptsBodySerializer(serializers.Serializer):
    AssessmentAttempts = TiAttemptsPageSerializer()  # noqa: N815


class TiEnvelopeSerializer(serializers.Serializer):
    data = TiAttemptsBodySerializer()
