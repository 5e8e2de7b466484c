"""Views of the submissions contract (``/api/v1/``).

Everyone signed in calls it; what each caller sees is ``lms.access``'s rule: learners the
published assessments of the courses they are actively enrolled in and their own
submissions, instructors everything of the courses they teach, admins everything. An id
the caller may not see is a 404, as is a malformed one. Writes go through the services
(``assessments.services``, ``attempts.services``); refusals become problem details
(``errors``) with this contract's statuses.

The view classes carry no docstring on purpose: DRF would show it in OPTIONS answers;
``extend_schema`` documents them.
"""

from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from assessments.models import AnswerChoice, Exam, Question, Section
from assessments.services import exam_question_create, exam_update
from attempts import services
from attempts.api.schema import contract_tag
from attempts.api.submissions import idempotency
from attempts.api.submissions import public_ids as ids
from attempts.api.submissions.authentication import AUTHENTICATION_CLASSES
from attempts.api.submissions.errors import ERROR_STATUSES
from attempts.api.submissions.errors import exception_handler as problem_handler
from attempts.api.submissions.filters import AssessmentFilter
from attempts.api.submissions.pagination import SubmissionsPagination
from attempts.api.submissions.schema import problems
from attempts.api.submissions.serializers import (
    AssessmentDetailSerializer,
    AssessmentSerializer,
    AssessmentWriteSerializer,
    QuestionSerializer,
    QuestionWriteSerializer,
    StartedAttemptSerializer,
    SubmissionSerializer,
    SubmissionWriteSerializer,
    question_data,
    started_data,
    submission_data,
)
from attempts.marking import exam_marking, stored_results
from attempts.models import Attempt
from lms import access
from lms.models import Course, Subject

TAG = contract_tag(
    "Assessments and submissions API",
    "Learner assessments and submissions (`/api/v1/`): list and create assessments, add "
    "questions, submit a learner's answers and get the score back at once. Authenticate "
    "with `POST /api/v2.5/auth-token/` and send `Authorization: Bearer <token>`, or use a "
    "browser session (with its CSRF token for writes). Ids are prefixed and opaque "
    "(`asmnt_`, `crs_`, `qstn_`, `sub_`, `usr_`, `sec_`, `chc_`, `subj_`). Every error is "
    "RFC 9457 problem details (`application/problem+json`) with `type`, `title`, `status`, "
    "`detail` and, for a 400, `errors` keyed by field. POSTs take an `Idempotency-Key`.\n\n"
    "Where the seed is vague we chose: `score` is a percentage with 2 decimals, clamped at "
    "0 when negative marking takes the marks below zero (`raw_percentage` keeps the "
    "negative value, `marks` and `max_marks` the raw sums); `passed` is null while an essay "
    "awaits marking (`status: pending_evaluation`); `passing_score` is a whole percent "
    "(half up) and `time_limit` whole minutes (a started minute counts); an active "
    "enrolment has status `active` and is not past its expiry; paging is `page` and "
    "`per_page` (1 to 100, default 20) with the list in `data` and the counts in "
    "`pagination`.",
)

ASSESSMENT_ID = OpenApiParameter(
    "assessment_id",
    str,
    OpenApiParameter.PATH,
    pattern=ids.pattern(ids.ASSESSMENT),
    description="`asmnt_<alphanumeric>`; a malformed or unknown id is a 404.",
)
SUBMISSION_ID = OpenApiParameter(
    "submission_id",
    str,
    OpenApiParameter.PATH,
    pattern=ids.pattern(ids.SUBMISSION),
    description="`sub_<alphanumeric>`; a malformed or unknown id is a 404.",
)


# What every view of the contract shares. (A comment, not a docstring: see the module's.)
class SubmissionsView:
    authentication_classes = AUTHENTICATION_CLASSES
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    error_statuses = ERROR_STATUSES

    def get_exception_handler(self):
        return problem_handler

    def visible_exam(self, *, known: bool = False) -> Exam:
        """The assessment of the path among those the caller sees (``known``: or whose
        refusals they are told, for a submission), else a 404."""
        exam_uuid = ids.to_uuid(ids.ASSESSMENT, self.kwargs["assessment_id"])
        if exam_uuid is None:
            raise NotFound("No assessment with this id.")
        user, now = self.request.user, timezone.now()
        exams = (
            Exam.objects.known_to(user, now=now)
            if known
            else Exam.objects.visible_to(user, now=now)
        )
        return get_object_or_404(exams.select_related("course"), uuid=exam_uuid)

    def reviewed_exam(self) -> Exam:
        """The assessment of the path, which the caller must review (403 otherwise)."""
        exam = self.visible_exam()
        if not access.can_review_exam(self.request.user, exam):
            raise PermissionDenied("Only admins and the course's instructors change it.")
        return exam


# The model's field names in the contract's words, for the model's own validation errors.
CONTRACT_FIELDS = {"pass_percentage": "passing_score", "duration": "time_limit"}


@contextmanager
def model_errors():
    """A model's ``ValidationError`` (its constraints) as a 400 naming the contract's field."""
    try:
        yield
    except DjangoValidationError as error:
        raise serializers.ValidationError(
            {
                CONTRACT_FIELDS.get(field, field): messages
                for field, messages in error.message_dict.items()
            }
        ) from error


def _assessment_listing(user):
    return (
        Exam.objects.visible_to(user, now=timezone.now())
        .select_related("course")
        .annotate(question_count=Count("exam_questions"))
        .order_by("-created_at", "-id")
    )


def _assessment_detail(exam: Exam, *, reviewer: bool) -> dict:
    """The assessment with its sections and questions (3 queries: sections, placements,
    choices)."""
    marking = exam_marking(exam.pk)
    exam.question_count = len(marking.placements)
    data = AssessmentSerializer(exam).data
    sections = Section.objects.filter(exam=exam).order_by("order", "id").values("pk", "title")
    data["sections"] = [
        {"id": ids.of_pk(ids.SECTION, row["pk"]), "title": row["title"]} for row in sections
    ]
    # Plain dicts (DRF's encoder writes Decimals as numbers): a serializer would add the key
    # fields left out for learners back as nulls.
    data["questions"] = [
        question_data(placement, position, marking, reviewer=reviewer)
        for position, placement in enumerate(marking.placements, start=1)
    ]
    return data


@extend_schema_view(
    get=extend_schema(
        tags=[TAG],
        summary="List assessments",
        description=(
            "A page of the assessments the caller sees, newest first: learners the "
            "published assessments of the courses they are actively enrolled in, "
            "instructors every assessment of their courses (drafts too), admins all. "
            "`course_id` keeps one course's."
        ),
        responses={200: AssessmentSerializer(many=True), **problems(400, 401, 404)},
    ),
    post=extend_schema(
        tags=[TAG],
        summary="Create an assessment",
        description=(
            "Admins, and instructors in the courses they teach. `status` is `draft` unless "
            "given; questions are added with `POST .../questions`. A learner gets 403; a "
            "course the caller does not teach is a 403, a malformed or unknown one a 400."
        ),
        parameters=[idempotency.PARAMETER],
        request=AssessmentWriteSerializer,
        examples=[
            OpenApiExample(
                "New assessment",
                request_only=True,
                value={
                    "course_id": "crs_5r3DqFTpXyZ1a2b3c4d5e6",
                    "title": "Unit 3 quiz",
                    "passing_score": 70,
                    "time_limit": 30,
                },
            )
        ],
        responses={201: AssessmentSerializer, **problems(400, 401, 403, 415, 422)},
    ),
)
class AssessmentList(
    SubmissionsView, idempotency.IdempotentCreateMixin, generics.ListCreateAPIView
):
    serializer_class = AssessmentSerializer
    filterset_class = AssessmentFilter
    pagination_class = SubmissionsPagination

    def get_queryset(self):
        return _assessment_listing(self.request.user)

    def create(self, request, *args, **kwargs):
        user = request.user
        if not access.is_reviewer(user):
            raise PermissionDenied("Only admins and instructors create assessments.")
        given = AssessmentWriteSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        course = Course.objects.filter(uuid=given.validated_data["course_id"]).first()
        if course is None:
            raise serializers.ValidationError({"course_id": ["No course with this id."]})
        if not access.can_review_course(user, course):
            raise PermissionDenied("Only admins and the course's instructors add assessments.")
        exam = Exam(course=course, **{"status": Exam.Status.DRAFT, **given.exam_fields()})
        with model_errors():
            exam.full_clean()
        exam.save()
        exam.question_count = 0
        return Response(AssessmentSerializer(exam).data, status=201)


@extend_schema_view(
    get=extend_schema(
        tags=[TAG],
        summary="Get an assessment",
        description=(
            "The assessment with its sections and every question in order. Learners never "
            "get the answer key: no `is_correct` on choices, no `explanation`, "
            "`numeric_answer`, `numeric_tolerance` or `accepted_answers`; admins and the "
            "course's instructors get everything."
        ),
        parameters=[ASSESSMENT_ID],
        responses={200: AssessmentDetailSerializer, **problems(401, 404)},
    ),
    patch=extend_schema(
        tags=[TAG],
        summary="Change an assessment",
        description=(
            "Admins and the course's instructors change `title`, `passing_score`, "
            "`time_limit`, `max_attempts` and `status` (publish with "
            '`{"status": "published"}`); the course stays. A new `passing_score` flags '
            "the finished attempts for a rescore. Learners get 403 on what they see."
        ),
        parameters=[ASSESSMENT_ID],
        request=AssessmentWriteSerializer(partial=True),
        responses={200: AssessmentSerializer, **problems(400, 401, 403, 404, 415)},
    ),
)
class AssessmentDetail(SubmissionsView, generics.GenericAPIView):
    http_method_names = ["get", "patch", "head", "options"]

    def get(self, request, *args, **kwargs):
        exam = self.visible_exam()
        reviewer = access.can_review_exam(request.user, exam)
        return Response(_assessment_detail(exam, reviewer=reviewer))

    def patch(self, request, *args, **kwargs):
        exam = self.reviewed_exam()
        given = AssessmentWriteSerializer(exam, data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        with model_errors():
            exam = exam_update(exam=exam, changes=given.exam_fields(), now=timezone.now())
        exam.question_count = exam.exam_questions.count()
        return Response(AssessmentSerializer(exam).data)


@extend_schema_view(
    get=extend_schema(
        tags=[TAG],
        summary="List an assessment's questions",
        description="A page of its questions in order, as `GET /assessments/{id}` shows them.",
        parameters=[ASSESSMENT_ID],
        responses={200: QuestionSerializer(many=True), **problems(400, 401, 404)},
    ),
    post=extend_schema(
        tags=[TAG],
        summary="Add a question",
        description=(
            "Admins and the course's instructors add a new bank question, placed last. Its "
            "HTML (text, explanation, choices) is sanitised. When the assessment already has "
            "finished attempts it is flagged for a rescore (their results miss the question)."
        ),
        parameters=[ASSESSMENT_ID, idempotency.PARAMETER],
        request=QuestionWriteSerializer,
        examples=[
            OpenApiExample(
                "Single choice",
                request_only=True,
                value={
                    "type": "single",
                    "text": "<p>2 + 2 = ?</p>",
                    "choices": [{"text": "4", "is_correct": True}, {"text": "5"}],
                    "marks": 4,
                    "negative_marks": 1,
                },
            )
        ],
        responses={201: QuestionSerializer, **problems(400, 401, 403, 404, 415, 422)},
    ),
)
class AssessmentQuestions(
    SubmissionsView, idempotency.IdempotentCreateMixin, generics.ListCreateAPIView
):
    serializer_class = QuestionSerializer
    pagination_class = SubmissionsPagination
    queryset = Question.objects.none()  # for the schema: the view lists an exam's placements

    def list(self, request, *args, **kwargs):
        exam = self.visible_exam()
        reviewer = access.can_review_exam(request.user, exam)
        marking = exam_marking(exam.pk)
        rows = list(enumerate(marking.placements, start=1))
        page = self.paginate_queryset(rows)
        data = [question_data(p, n, marking, reviewer=reviewer) for n, p in page]
        return self.get_paginated_response(data)

    def create(self, request, *args, **kwargs):
        exam = self.reviewed_exam()
        given = QuestionWriteSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        subject_id = data["subject_id"]
        if subject_id is not None and not Subject.objects.filter(pk=subject_id).exists():
            raise serializers.ValidationError({"subject_id": ["No subject with this id."]})
        question = Question(
            type=data["type"],
            text_html=data["text"],
            explanation_html=data["explanation"],
            subject_id=subject_id,
            difficulty=data["difficulty"],
            numeric_answer=data.get("numeric_answer"),
            numeric_tolerance=data["numeric_tolerance"],
            accepted_answers=[a.strip() for a in data["accepted_answers"] if a.strip()],
        )
        placed = exam_question_create(
            exam=exam,
            question=question,
            choices=[
                AnswerChoice(text_html=c["text"], is_correct=c["is_correct"])
                for c in data["choices"]
            ],
            section_title=data.get("section"),
            marks=data["marks"],
            negative_marks=data["negative_marks"],
            partial_marks=data["partial_marks"],
            is_bonus=data["is_bonus"],
            now=timezone.now(),
        )
        marking = exam_marking(exam.pk)
        placement = next(p for p in marking.placements if p.pk == placed.pk)
        position = marking.placements.index(placement) + 1
        body = question_data(placement, position, marking, reviewer=True)
        return Response(body, status=201)


@extend_schema(
    tags=[TAG],
    summary="Submit an assessment",
    description=(
        "A learner's answers, one object per question (`question_id` and, by type: "
        "`choice_ids` for single, multiple and true_false; `text` for short_text and essay; "
        "`number` for numeric), scored at once. Only a learner actively enrolled in the "
        "course (status active, not expired) may submit, while the assessment is published "
        "and open; otherwise 403 with a `type` that says why (a learner enrolled in the "
        "course is told so even for a draft they cannot see; anyone else gets 404). When the learner has used "
        "`max_attempts`, 403 `attempt-limit-reached` naming `max_attempts` and "
        "`attempts_used`.\n\n"
        "Time limit: a learner with a running attempt (started from the pages) completes "
        "it: these answers replace what it saved for the same questions, and the time "
        "limit applies with 30 seconds' grace (past it, 403 `time-limit-passed`). With "
        "none running, the submission is an attempt started and finished now.\n\n"
        "Without `Idempotency-Key` every POST is a new submission."
    ),
    parameters=[ASSESSMENT_ID, idempotency.PARAMETER],
    request=SubmissionWriteSerializer,
    examples=[
        OpenApiExample(
            "Answers",
            request_only=True,
            value={
                "answers": [
                    {"question_id": "qstn_2bX9kLm3Qw8rT5yU1iO0pA", "choice_ids": ["chc_1B"]},
                    {"question_id": "qstn_7hJ3kL9mN2bV5cX8zQ1wE4", "number": 9.81},
                    {"question_id": "qstn_4fG6hJ8kL1zX3cV5bN7mQ9", "text": "Paris"},
                ]
            },
        )
    ],
    responses={201: SubmissionSerializer, **problems(400, 401, 403, 404, 409, 415, 422)},
)
class SubmissionCreate(SubmissionsView, idempotency.IdempotentCreateMixin, generics.CreateAPIView):
    serializer_class = SubmissionWriteSerializer

    def create(self, request, *args, **kwargs):
        exam = self.visible_exam(known=True)
        given = SubmissionWriteSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        answers = [
            services.GivenAnswer(
                question=answer["question_id"],
                choice_ids=tuple(answer["choice_ids"]),
                text=answer["text"],
                number=answer["number"],
            )
            for answer in given.validated_data["answers"]
        ]
        now = timezone.now()
        submission = services.attempt_submit_answers(
            user=request.user, exam=exam, answers=answers, now=now
        )
        attempt = submission.attempt
        attempt.exam, attempt.user = exam, request.user
        review = access.review_of(request.user, attempt, now=now)
        return Response(submission_data(submission, review=review), status=201)


@extend_schema(
    tags=[TAG],
    summary="Get a submission",
    description=(
        "The result of one submission, as the POST returned it (with the answer key as the "
        "review policy allows now). Learners see their own, instructors their courses', "
        "admins all; any other id is a 404."
    ),
    parameters=[ASSESSMENT_ID, SUBMISSION_ID],
    responses={200: SubmissionSerializer, **problems(401, 404)},
)
class SubmissionDetail(SubmissionsView, generics.GenericAPIView):
    def get(self, request, *args, **kwargs):
        exam_uuid = ids.to_uuid(ids.ASSESSMENT, kwargs["assessment_id"])
        attempt_uuid = ids.to_uuid(ids.SUBMISSION, kwargs["submission_id"])
        if exam_uuid is None or attempt_uuid is None:
            raise NotFound("No submission with this id.")
        attempt = get_object_or_404(
            Attempt.objects.visible_to(request.user).finished().select_related("exam", "user"),
            uuid=attempt_uuid,
            exam__uuid=exam_uuid,
        )
        submission = services.Submission(
            attempt=attempt,
            marking=exam_marking(attempt.exam_id),
            results=stored_results(attempt.pk),
        )
        review = access.review_of(request.user, attempt, now=timezone.now())
        return Response(submission_data(submission, review=review))


@extend_schema(
    tags=[TAG],
    summary="Start an attempt",
    description=(
        "Optional: starts the learner's clock for a timed assessment (or resumes the "
        "running attempt: 200 instead of 201). The next submission completes this attempt "
        "while `deadline_at` (plus 30 seconds' grace) has not passed. Refused as a "
        "submission is (403 with the reason). No body."
    ),
    parameters=[ASSESSMENT_ID],
    request=None,
    responses={
        201: StartedAttemptSerializer,
        200: StartedAttemptSerializer,
        **problems(401, 403, 404, 409),
    },
)
class AttemptStart(SubmissionsView, generics.GenericAPIView):
    serializer_class = StartedAttemptSerializer

    def post(self, request, *args, **kwargs):
        exam = self.visible_exam(known=True)
        running = (
            Attempt.objects.filter(user=request.user, exam=exam, state=Attempt.State.RUNNING)
            .values_list("pk", flat=True)
            .first()
        )
        # A running attempt past its deadline is submitted by the service, and a new one
        # started: that one is a 201.
        attempt = services.attempt_start(user=request.user, exam=exam, now=timezone.now())
        return Response(started_data(attempt, exam), status=200 if attempt.pk == running else 201)
