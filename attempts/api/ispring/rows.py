"""The rows of ``GET /learners/modules/results``: one per enrolment and published exam of its
course (iSpring's learner × module), whatever the enrolment's status and whether or not the
learner has started, loaded a page at a time in a fixed number of queries:

1. the page: enrolments joined to their course's published exams, each row annotated with
   its representative attempt (``labels``) and its completion status, in keyset order
   (enrolment id, exam id), one row past the page to know whether more follow. The
   enrolments are read in primary-key order from the position on and each row's two
   subqueries (the attempt's id, its status) read the same single entry of the
   ``attempt_representative`` index, so a page costs the same wherever it starts;
2. the representative attempts of the page (skipped when none);
3. the page's views: started and resumed events of the page's learners at its exams.
"""

import uuid
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from assessments.models import Exam
from attempts.api.ispring import filters, labels
from attempts.models import Attempt, AttemptEvent
from lms import access
from lms.models import Department, Enrollment

# courseItemId: a stable id of the exam's place in its course, derived from the exam's uuid
# (iSpring's course item differs from the module it places).
COURSE_ITEM_NAMESPACE = uuid.UUID("6f7c1e52-3b8f-4f51-9a57-0c2f3c9f1a10")
VIEW_EVENTS = (AttemptEvent.Kind.STARTED, AttemptEvent.Kind.RESUMED)


def course_item_id(exam_uuid: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(COURSE_ITEM_NAMESPACE, str(exam_uuid))


def _attempts_at_row():
    """The attempts of the row's learner at the row's exam, the representative first: the
    completed one the rank policy chose, else the latest. A scalar subquery on it reads one
    entry of the ``attempt_representative`` index, (user, exam, counts_for_rank,
    attempt_number) read backwards."""
    return Attempt.objects.filter(user=OuterRef("user_id"), exam=OuterRef("module_pk")).order_by(
        "-counts_for_rank", "-attempt_number"
    )


# The completion status of an attempt (``labels``), computed inside the subquery that finds
# the representative attempt: one probe of the index a row (an outer CASE over the
# attempt's state and passed, each its own subquery, repeated them up to eight times).
ATTEMPT_STATUS = Case(
    When(state=Attempt.State.RUNNING, then=Value(labels.IN_PROGRESS)),
    When(state=Attempt.State.PENDING_EVALUATION, then=Value(labels.PENDING)),
    When(state=Attempt.State.COMPLETED, passed=True, then=Value(labels.PASSED)),
    When(state=Attempt.State.COMPLETED, passed=False, then=Value(labels.FAILED)),
    When(state=Attempt.State.COMPLETED, then=Value(labels.COMPLETE)),
    default=Value(labels.NOT_STARTED),
    output_field=CharField(),
)


def rows_for(user, query: filters.Query):
    """The rows ``user`` may read that match ``query``, in keyset order (a queryset)."""
    attempts = _attempts_at_row()
    rows = (
        Enrollment.objects.filter(access.enrollments_reviewable_by(user))
        .annotate(
            module_pk=F("course__exams__id"),
            module_status=F("course__exams__status"),
            module_uuid=F("course__exams__uuid"),
            module_title=F("course__exams__title"),
            user_uuid=F("user__uuid"),
            course_uuid=F("course__uuid"),
            attempt_pk=Subquery(attempts.values("pk")[:1]),
            completion_status=Coalesce(
                Subquery(attempts.annotate(label=ATTEMPT_STATUS).values("label")[:1]),
                Value(labels.NOT_STARTED),
                output_field=CharField(),
            ),
        )
        .filter(module_status=Exam.Status.PUBLISHED, user__is_active__in=query.user_active)
    )
    if query.user_ids:
        rows = rows.filter(user__uuid__in=query.user_ids)
    if query.course_ids:
        rows = rows.filter(course__uuid__in=query.course_ids)
    if query.module_ids:
        rows = rows.filter(module_uuid__in=query.module_ids)
    if query.course_item_ids:
        wanted = set(query.course_item_ids)
        published = Exam.objects.filter(status=Exam.Status.PUBLISHED).values_list("pk", "uuid")
        rows = rows.filter(
            module_pk__in=[pk for pk, exam_uuid in published if course_item_id(exam_uuid) in wanted]
        )
    if query.enrollment_ids:
        rows = rows.filter(pk__in=query.enrollment_ids)
    if query.department_ids:
        branch = Department.objects.filter(uuid__in=query.department_ids).with_descendants()
        members = Department.members.through.objects.filter(department__in=branch)
        rows = rows.filter(user__in=members.values("user_id"))
    if "access" in query.ranges:
        rows = rows.filter(**filters.in_range(query.ranges["access"], "enrolled_at"))
    if "due" in query.ranges:
        rows = rows.filter(**filters.in_range(query.ranges["due"], "due_at"))
    if "completion" in query.ranges:
        rows = rows.alias(
            attempt_completed_at=Subquery(attempts.values("completed_at")[:1])
        ).filter(
            completion_status__in=labels.COMPLETED,
            **filters.in_range(query.ranges["completion"], "attempt_completed_at"),
        )
    if query.completion_statuses:
        rows = rows.filter(completion_status__in=query.completion_statuses)
    return rows.order_by("pk", "module_pk")


def after(rows, position: tuple[int, int] | None):
    if position is None:
        return rows
    enrollment, module = position
    # ``pk >= enrollment`` repeats what the disjunction implies, so that the database starts
    # its index scan of enrolments at the position instead of filtering every row before it.
    return rows.filter(
        Q(pk__gte=enrollment), Q(pk__gt=enrollment) | Q(pk=enrollment, module_pk__gt=module)
    )


COLUMNS = (
    "pk",
    "module_pk",
    "module_uuid",
    "module_title",
    "user_id",
    "user_uuid",
    "course_uuid",
    "status",
    "enrolled_at",
    "due_at",
    "expires_at",
    "attempt_pk",
    "completion_status",
)


def load_page(rows, size: int) -> tuple[list[dict], bool]:
    """The page's rows as dicts with their attempts and views; whether more rows follow."""
    page = list(rows.values(*COLUMNS)[: size + 1])
    more = len(page) > size
    page = page[:size]
    attempt_ids = [row["attempt_pk"] for row in page if row["attempt_pk"] is not None]
    attempts = (
        Attempt.objects.filter(pk__in=attempt_ids)
        .only("started_at", "completed_at", "last_answer_at", "total_questions", "unanswered_count")
        .order_by()  # read into a dict: the model's order would only add a sort
        if attempt_ids
        else []
    )
    by_pk = {attempt.pk: attempt for attempt in attempts}
    views = {}
    if attempt_ids:
        users = {row["user_id"] for row in page if row["attempt_pk"] is not None}
        exams = {row["module_pk"] for row in page if row["attempt_pk"] is not None}
        counted = (
            AttemptEvent.objects.filter(
                attempt__user__in=users, attempt__exam__in=exams, kind__in=VIEW_EVENTS
            )
            .values("attempt__user", "attempt__exam")
            .annotate(n=Count("pk"))
        )
        views = {(c["attempt__user"], c["attempt__exam"]): c["n"] for c in counted}
    for row in page:
        row["attempt"] = by_pk.get(row["attempt_pk"])
        row["views"] = views.get((row["user_id"], row["module_pk"]), 0)
    return page, more


def time_spent(attempt: Attempt | None) -> int:
    """Seconds from the start of the attempt to its completion (or, while it runs, to its
    last saved answer); 0 without an attempt."""
    if attempt is None:
        return 0
    end = attempt.completed_at or attempt.last_answer_at or attempt.started_at
    return max(0, int((end - attempt.started_at).total_seconds()))


def progress(attempt: Attempt | None, status: str) -> Decimal | None:
    """Percent: 100 once submitted (pending, complete, passed, failed); while it runs the
    share of the exam's questions answered, half-up to 2 places; none when not started."""
    if attempt is None or status == labels.NOT_STARTED:
        return None
    if status != labels.IN_PROGRESS:
        return Decimal(100)
    if not attempt.total_questions:
        return Decimal(0)
    answered = attempt.total_questions - attempt.unanswered_count
    share = Decimal(answered * 100) / Decimal(attempt.total_questions)
    return share.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def is_overdue(row: dict, now: datetime) -> bool:
    """The enrolment's due date has passed and the module is not completed."""
    return (
        row["due_at"] is not None
        and row["due_at"] < now
        and row["completion_status"] not in labels.COMPLETED
    )


def result(row: dict, now: datetime) -> dict:
    """One ``<result>`` in the seed's order; elements without a value are left out."""
    attempt, status = row["attempt"], row["completion_status"]
    data = {
        "userId": str(row["user_uuid"]),
        "courseId": str(row["course_uuid"]),
        "moduleTitle": row["module_title"],
        "moduleId": str(row["module_uuid"]),
        "courseItemId": str(course_item_id(row["module_uuid"])),
        "enrollmentId": str(row["pk"]),
        "accessDate": row["enrolled_at"].isoformat(),
    }
    if row["due_at"] is not None:
        data["dueDate"] = row["due_at"].isoformat()
    if row["expires_at"] is not None:
        data["expirationDate"] = row["expires_at"].isoformat()
    if status in labels.COMPLETED and attempt is not None and attempt.completed_at:
        data["completionDate"] = attempt.completed_at.isoformat()
    data["timeSpent"] = time_spent(attempt)
    data["completionStatus"] = status
    value = progress(attempt, status)
    if value is not None:
        data["progress"] = format(value.normalize(), "f")
    data["isOverdue"] = int(is_overdue(row, now))
    data["viewsCount"] = row["views"]
    return data
