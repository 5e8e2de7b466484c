"""Who may see and change what: the one rule, for every API, page, admin and export.

Each kind of object has a pair, in Kolibri's manner: a ``Q`` filter for lists and exports
(``<objects>_<verb>(user)``) and an object check for one row (``can_<verb>_<object>``). Two
verbs, never mixed up:

- **review**: what a reviewer may look at and act on (mark an essay, rescore, export). Admins
  review everything; an instructor reviews the courses they teach, their exams, the attempts
  at those exams and the learners of those courses. Learners review nothing.
- **view**: what a person may look at at all: what they review, plus their own attempts.

Roles:

- *admin*: a superuser, or a staff account granted ``attempts.view_all_attempts`` (directly
  or through a group). Admins see every row. The staff flag alone opens the Django admin's
  door, nothing more: what a staff account may do there is its Django permissions, and
  outside the admin it is whatever else it is (an instructor, a learner).
- *instructor*: a member of ``Course.instructors`` of at least one course.
- *department administrator*: an administrator of at least one ``Department``. They review
  the attempts and results of the members of the departments they manage and of every
  department below those, across courses (the attempts and users pairs); they neither edit
  nor review courses and exams as such (statistics, regrades are the instructors').
- *reviewer*: an admin, an instructor or a department administrator (``is_reviewer``).
- *learner*: anyone else signed in; anonymous users get nothing.

Callers pass the account a request acts for: a signed-in person, or later the account an API
client acts for. A new kind of caller (a department administrator) is one more clause here,
in each pair, and nowhere else. Querysets expose these as ``reviewable_by``/``visible_to``;
the filters are written on field paths so that ``lms`` needs no import of the feature apps.
"""

from typing import NamedTuple

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Value

from lms.models import Course, Department, Enrollment, User

# Matches nothing without a query: Django answers an empty ``IN`` with no rows at all.
NOTHING = Q(pk__in=[])
EVERYTHING = Q()


# The permission that makes a staff account an admin here (superusers have every permission).
VIEW_ALL = "attempts.view_all_attempts"


def is_admin(user) -> bool:
    """Superusers, and staff granted ``VIEW_ALL``: every course, attempt, learner and export.

    Non-staff accounts are never asked for permissions, so the check costs instructors and
    learners no query (ModelBackend caches a staff account's permissions for the request)."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or (user.is_staff and user.has_perm(VIEW_ALL))


def admin_accounts() -> Q:
    """On ``User``: the superusers, admins whatever their groups (for tools that act as an
    admin, such as benchmarks)."""
    return Q(is_superuser=True, is_active=True)


def admin_account_fields(*, admin: bool) -> dict[str, bool]:
    """The flags that make an account an admin (or not), for code that creates accounts."""
    return {"is_staff": admin, "is_superuser": admin}


def teaches_a_course() -> Exists:
    """On ``User``: an annotation, True for instructors of at least one course."""
    return Exists(Course.objects.filter(instructors=OuterRef("pk")))


def manages_a_department() -> Exists:
    """On ``User``: an annotation, True for administrators of at least one department."""
    return Exists(Department.objects.filter(administrators=OuterRef("pk")))


def role(user, *, teaches: bool, manages: bool = False) -> str:
    """Admin, Instructor, Department administrator or Learner, for lists of users
    (``teaches``: ``teaches_a_course``; ``manages``: ``manages_a_department``). Who both
    teaches and manages a department is listed as an instructor."""
    if is_admin(user):
        return "Admin"
    if teaches:
        return "Instructor"
    return "Department administrator" if manages else "Learner"


def is_reviewer(user) -> bool:
    """An admin, an instructor of at least one course or the administrator of at least one
    department (one query, cached on the user)."""
    if not (user and user.is_authenticated):
        return False
    if not hasattr(user, "_is_reviewer"):
        user._is_reviewer = is_admin(user) or (
            User.objects.filter(pk=user.pk)
            .filter(
                Exists(Course.objects.filter(instructors=OuterRef("pk")))
                | Exists(Department.objects.filter(administrators=OuterRef("pk")))
            )
            .exists()
        )
    return user._is_reviewer


def departments_managed_by(user) -> QuerySet:
    """The departments ``user`` administers and every department below them, as a subquery
    (one indexed ``path LIKE`` per managed department, never evaluated on its own)."""
    return Department.objects.filter(administrators=user).with_descendants()


def managed_people(user) -> QuerySet:
    """Ids of the members of the departments ``user`` manages and below, as a subquery."""
    return Department.members.through.objects.filter(
        department__in=departments_managed_by(user)
    ).values("user_id")


def taught_courses(user) -> QuerySet:
    """Ids of the courses ``user`` teaches, as a subquery (never evaluated on its own)."""
    return Course.objects.filter(instructors=user).values("pk")


def _courses_under(user, prefix: str) -> Q:
    """Rows whose course (reached by ``prefix``) ``user`` reviews."""
    if not (user and user.is_authenticated):
        return NOTHING
    if is_admin(user):
        return EVERYTHING
    return Q(**{f"{prefix}__in": taught_courses(user)})


# ------------------------------------------------------------------------------ courses


def courses_reviewable_by(user) -> Q:
    """On ``Course``: admins all, instructors the courses they teach."""
    return _courses_under(user, "pk")


def _exams_attempted_by_managed_people(user) -> QuerySet:
    """Ids of the exams the people of ``user``'s departments (and below) have attempted, as
    a subquery."""
    return User.objects.filter(pk__in=managed_people(user), attempts__isnull=False).values(
        "attempts__exam"
    )


def courses_listed_for(user) -> Q:
    """On ``Course``: the courses on a reviewer's course list: those they review, and for a
    department administrator the courses where their people have attempts."""
    reviewable = courses_reviewable_by(user)
    if reviewable in (EVERYTHING, NOTHING):
        return reviewable
    attempted = User.objects.filter(pk__in=managed_people(user), attempts__isnull=False).values(
        "attempts__exam__course"
    )
    return reviewable | Q(pk__in=attempted)


def exams_listed_for(user) -> Q:
    """On ``Exam``: the exams on a reviewer's course list: those they review, and for a
    department administrator the exams their people have attempted (each showing only the
    attempts of ``attempts_reviewable_by``)."""
    reviewable = exams_reviewable_by(user)
    if reviewable in (EVERYTHING, NOTHING):
        return reviewable
    return reviewable | Q(pk__in=_exams_attempted_by_managed_people(user))


def can_review_course(user, course) -> bool:
    return is_admin(user) or (
        bool(user and user.is_authenticated)
        and Course.objects.filter(pk=course.pk, instructors=user).exists()
    )


# -------------------------------------------------------------------------------- exams


def exams_reviewable_by(user) -> Q:
    """On ``Exam``: the exams of the courses the user reviews."""
    return _courses_under(user, "course")


def reviews_exam(user):
    """On ``Exam``: an annotation, True for the exams ``user`` reviews (``exams_reviewable_by``:
    their summaries and statistics open)."""
    reviewable = exams_reviewable_by(user)
    if reviewable in (EVERYTHING, NOTHING):
        return Value(reviewable == EVERYTHING)
    return ExpressionWrapper(reviewable, output_field=BooleanField())


def enrollments_reviewable_by(user) -> Q:
    """On ``Enrollment``: admins all; instructors the enrolments in the courses they teach;
    department administrators the enrolments of the people of their branch, in any course."""
    courses = _courses_under(user, "course")
    if courses in (EVERYTHING, NOTHING):
        return courses
    return courses | Q(user__in=managed_people(user))


def active_enrollments(user, *, now) -> Q:
    """On ``Enrollment``: the user's enrolments that let them take exams at ``now`` (status
    active, begun and not expired: ``Enrollment.is_active_at``)."""
    return Q(user=user, status=Enrollment.Status.ACTIVE, enrolled_at__lte=now) & (
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def exams_visible_to(user, *, now) -> Q:
    """On ``Exam``: what the user reviews (any status), plus the published exams of the
    courses they are actively enrolled in at ``now`` (never a draft or an archived exam)."""
    if not (user and user.is_authenticated):
        return NOTHING
    reviewable = exams_reviewable_by(user)
    if reviewable == EVERYTHING:
        return EVERYTHING
    enrolled = Enrollment.objects.filter(active_enrollments(user, now=now)).values("course_id")
    return reviewable | Q(status="published", course__in=enrolled)


def exams_known_to(user, *, now) -> Q:
    """On ``Exam``: what the user sees, plus every exam of a course they are enrolled in
    whatever the enrolment's or the exam's status: the exams whose refusals (not active, not
    published) they are told about rather than answered "not found"."""
    if not (user and user.is_authenticated):
        return NOTHING
    visible = exams_visible_to(user, now=now)
    if visible == EVERYTHING:
        return EVERYTHING
    return visible | Q(course__in=Enrollment.objects.filter(user=user).values("course_id"))


def can_review_exam(user, exam) -> bool:
    return is_admin(user) or (
        bool(user and user.is_authenticated)
        and Course.objects.filter(pk=exam.course_id, instructors=user).exists()
    )


# ----------------------------------------------------------------------------- attempts


def attempts_reviewable_by(user, prefix: str = "") -> Q:
    """On ``Attempt`` (or a model reaching it by ``prefix``, e.g. ``"attempt__"``): the
    attempts at exams of the courses the user reviews, and the attempts of the people of
    the departments they manage (and below), at any exam. Learners get none here, not even
    their own (see ``attempts_visible_to``)."""
    courses = _courses_under(user, f"{prefix}exam__course")
    if courses in (EVERYTHING, NOTHING):
        return courses
    return courses | Q(**{f"{prefix}user__in": managed_people(user)})


def exams_with_attempts_reviewable_by(user, prefix: str = "") -> Q:
    """On ``Exam`` (or a model reaching it by ``prefix``, e.g. ``"exam__"``): the exams whose
    attempt list the user may open (showing only the attempts of ``attempts_reviewable_by``):
    the exams they review, and for a department administrator the exams of the courses
    their people are enrolled in or have attempted."""
    reviewable = _courses_under(user, f"{prefix}course")
    if reviewable in (EVERYTHING, NOTHING):
        return reviewable
    people = managed_people(user)
    enrolled = Enrollment.objects.filter(user__in=people).values("course_id")
    attempted = Course.objects.filter(exams__attempts__user__in=people).values("pk")
    return (
        reviewable
        | Q(**{f"{prefix}course__in": enrolled})
        | Q(**{f"{prefix}course__in": attempted})
    )


def export_jobs_visible_to(user) -> Q:
    """On ``ExportJob``: the jobs whose progress and file the user may see. Every job of an
    exam they review (they may see all its attempts: no job of it holds more), and their own
    jobs for as long as they may still open the exam's attempt list. A department
    administrator's job holds only their people's attempts; another's job of the same exam
    may hold more, so they see only their own."""
    if not (user and user.is_authenticated):
        return NOTHING
    reviewable = _courses_under(user, "exam__course")
    if reviewable == EVERYTHING:
        return EVERYTHING
    own = Q(requested_by=user) & exams_with_attempts_reviewable_by(user, "exam__")
    return reviewable | own


def attempts_visible_to(user, prefix: str = "") -> Q:
    """On ``Attempt``: what the user reviews, plus their own attempts."""
    if not (user and user.is_authenticated):
        return NOTHING
    reviewable = attempts_reviewable_by(user, prefix)
    if reviewable == EVERYTHING:
        return EVERYTHING
    return reviewable | Q(**{f"{prefix}user": user})


def can_review_attempt(user, attempt) -> bool:
    """One attempt: marking its essays, rescoring it, seeing its reviewer-only parts (its
    exam's reviewers, and the administrators of its learner's departments)."""
    if is_admin(user):
        return True
    if not (user and user.is_authenticated):
        return False
    # One query: the attempt's course taught by the user, or its learner in their branch.
    people = Department.members.through.objects.filter(
        department__in=departments_managed_by(user), user_id=attempt.user_id
    )
    return (
        Course.objects.filter(pk=attempt.exam.course_id)
        .filter(Q(instructors=user) | Exists(people))
        .exists()
    )


def can_view_attempt(user, attempt) -> bool:
    return bool(user and user.is_authenticated) and (
        attempt.user_id == user.pk or can_review_attempt(user, attempt)
    )


class Review(NamedTuple):
    """What a user sees of one attempt beyond the answers given: ``results`` (which answers
    were right, their marks, the counts by section) and ``key`` (the answer key, accepted
    answers, tolerances, explanations)."""

    results: bool
    key: bool


def review_of(user, attempt, *, now, reviewer: bool | None = None) -> Review:
    """Reviewers see everything; the learner who made the attempt what ``learner_review``
    releases. ``reviewer`` spares the check when the caller knows it (an annotation)."""
    if reviewer is None:
        reviewer = can_review_attempt(user, attempt)
    if reviewer:
        return Review(results=True, key=True)
    content = learner_review(user, attempt, now=now)
    released = type(attempt.exam).ReviewContent
    return Review(
        results=content in (released.CORRECTNESS, released.EVERYTHING),
        key=content == released.EVERYTHING,
    )


def can_see_results(user, attempt, *, now) -> bool:
    return review_of(user, attempt, now=now).results


def can_see_key(user, attempt, *, now) -> bool:
    return review_of(user, attempt, now=now).key


def learner_review(user, attempt, *, now) -> str | None:
    """What the learner who made ``attempt`` sees of it beyond their own answers: None for
    anyone else and while it runs; once finished, ``Exam.ReviewContent.SCORE`` until the
    exam's review policy releases more (``Exam.results_released``), then the exam's
    ``review_content``. One query for the learner's attempt count when the policy depends
    on it."""
    if not (user and user.is_authenticated) or attempt.user_id != user.pk:
        return None
    if not attempt.is_finished:
        return None
    exam = attempt.exam
    used = attempt.attempt_number
    if exam.review_policy == exam.ReviewPolicy.AFTER_LAST_ATTEMPT and exam.max_attempts:
        attempts = type(attempt).objects.filter(user_id=user.pk, exam_id=exam.pk)
        used = attempts.counting_against_limit().count()
    if not exam.results_released(now=now, attempts_used=used):
        return exam.ReviewContent.SCORE
    return exam.review_content


def learner_sees_results(user, attempt, *, now) -> bool:
    """The learner's own view (``review_of`` without the reviewer's part)."""
    return review_of(user, attempt, now=now, reviewer=False).results


# -------------------------------------------------------------------------------- users


def users_reviewable_by(user) -> Q:
    """On ``User``: admins all; instructors the learners enrolled in their courses, and the
    learners with attempts there (who stay visible after unenrolment, so an attempt's link
    to its learner never leads a reviewer to a 404); department administrators the people
    of the departments they manage and below."""
    if not (user and user.is_authenticated):
        return NOTHING
    if is_admin(user):
        return EVERYTHING
    taught = taught_courses(user)
    # Subqueries of ids, not joins: a learner with many attempts would repeat in a join.
    enrolled = Enrollment.objects.filter(course__in=taught).values("user_id")
    attempted = User.objects.filter(attempts__exam__course__in=taught).values("pk")
    return Q(pk__in=enrolled) | Q(pk__in=attempted) | Q(pk__in=managed_people(user))


def can_review_user(user, person) -> bool:
    return User.objects.filter(users_reviewable_by(user), pk=person.pk).exists()


def webhook_endpoints_managed_by(user, prefix: str = "") -> Q:
    """Webhook endpoints ``user`` may see and change: every one for an admin, their own for
    anyone else (``attempts.webhooks.models.Endpoint.objects.managed_by``)."""
    if is_admin(user):
        return Q()
    if not (user and user.is_authenticated):
        return Q(pk__in=[])
    return Q(**{f"{prefix}owner": user})
