"""The one access rule (``lms.access``): each filter agrees with its object check, for an
admin, an instructor, a learner and an anonymous visitor."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.utils import timezone

from assessments.models import Exam
from attempts.models import Attempt, UserAnswer
from lms import access
from lms.models import Course, User
from tests.factories import (
    AttemptFactory,
    CourseFactory,
    EnrollmentFactory,
    ExamFactory,
    StaffFactory,
    UserAnswerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Two courses, each with an instructor, an exam and a learner's attempt.

    ``teacher`` teaches ``ours``; ``ada`` is enrolled in ``ours`` and has an attempt there;
    ``bob`` has an attempt in ``theirs`` only; ``eve`` was unenrolled from ``ours`` but keeps
    an attempt there.
    """
    teacher, stranger = UserFactory(username="teacher"), UserFactory(username="stranger")
    ours = CourseFactory(title="Ours", instructors=[teacher])
    theirs = CourseFactory(title="Theirs", instructors=[stranger])
    ada, bob, eve = (UserFactory(username=name) for name in ("ada", "bob", "eve"))
    EnrollmentFactory(user=ada, course=ours)
    our_exam, their_exam = ExamFactory(course=ours), ExamFactory(course=theirs)
    return SimpleNamespace(
        admin=StaffFactory(username="boss"),
        teacher=teacher,
        ada=ada,
        bob=bob,
        eve=eve,
        ours=ours,
        theirs=theirs,
        our_exam=our_exam,
        their_exam=their_exam,
        ada_attempt=AttemptFactory(user=ada, exam=our_exam),
        bob_attempt=AttemptFactory(user=bob, exam=their_exam),
        eve_attempt=AttemptFactory(user=eve, exam=our_exam),
    )


def names(queryset, attribute="pk"):
    return sorted(getattr(row, attribute) for row in queryset)


class TestRoles:
    def test_who_is_a_reviewer(self, world):
        assert access.is_reviewer(world.admin)
        assert access.is_reviewer(world.teacher)
        assert not access.is_reviewer(world.ada)
        assert not access.is_reviewer(AnonymousUser())

    def test_the_staff_flag_alone_makes_no_admin(self, world, client):
        """Hardening, item 6: a staff account with no permission sees nothing outside the
        admin, and may not mark essays in a course it does not teach."""
        staff = UserFactory(username="clerk", is_staff=True)
        assert not access.is_admin(staff)
        assert not Attempt.objects.reviewable_by(staff).exists()
        assert not User.objects.reviewable_by(staff).exclude(pk=staff.pk).exists()
        client.force_login(staff)
        assert client.get("/courses/").status_code == 403

    def test_staff_granted_view_all_directly_or_by_group_is_an_admin(self, world):
        permission = Permission.objects.get(codename="view_all_attempts")
        direct = UserFactory(username="direct", is_staff=True)
        direct.user_permissions.add(permission)
        grouped = UserFactory(username="grouped", is_staff=True)
        group = Group.objects.create(name="Auditors")
        group.permissions.add(permission)
        grouped.groups.add(group)
        assert access.is_admin(direct)
        assert access.is_admin(grouped)
        assert Attempt.objects.reviewable_by(grouped).count() == 3

    def test_the_permission_without_the_staff_flag_makes_no_admin(self, world):
        learner = UserFactory(username="sly")
        learner.user_permissions.add(Permission.objects.get(codename="view_all_attempts"))
        assert not access.is_admin(learner)

    def test_an_inactive_staff_account_is_no_admin(self, world):
        world.admin.is_active = False
        assert not access.is_admin(world.admin)

    def test_roles_for_lists_of_users(self, world):
        users = User.objects.annotate(teaches=access.teaches_a_course())
        roles = {user.username: access.role(user, teaches=user.teaches) for user in users}
        assert (roles["boss"], roles["teacher"], roles["ada"]) == ("Admin", "Instructor", "Learner")

    def test_admin_accounts(self, world):
        assert names(User.objects.filter(access.admin_accounts()), "username") == ["boss"]


class TestCoursesAndExams:
    def test_an_admin_reviews_every_course_and_exam(self, world):
        assert Course.objects.reviewable_by(world.admin).count() == 2
        assert Exam.objects.reviewable_by(world.admin).count() == 2

    def test_an_instructor_reviews_the_courses_they_teach(self, world):
        assert list(Course.objects.reviewable_by(world.teacher)) == [world.ours]
        assert list(Exam.objects.reviewable_by(world.teacher)) == [world.our_exam]
        assert access.can_review_course(world.teacher, world.ours)
        assert not access.can_review_course(world.teacher, world.theirs)
        assert access.can_review_exam(world.teacher, world.our_exam)
        assert not access.can_review_exam(world.teacher, world.their_exam)

    @pytest.mark.parametrize("who", ["ada", "anonymous"])
    def test_learners_and_visitors_review_none(self, world, who):
        user = AnonymousUser() if who == "anonymous" else world.ada
        assert not Course.objects.reviewable_by(user).exists()
        assert not Exam.objects.reviewable_by(user).exists()
        assert not access.can_review_exam(user, world.our_exam)


class TestAttempts:
    def test_an_admin_reviews_and_views_every_attempt(self, world):
        assert Attempt.objects.reviewable_by(world.admin).count() == 3
        assert Attempt.objects.visible_to(world.admin).count() == 3

    def test_an_instructor_reviews_the_attempts_at_their_exams(self, world):
        ours = [world.ada_attempt.pk, world.eve_attempt.pk]
        assert names(Attempt.objects.reviewable_by(world.teacher)) == sorted(ours)
        assert access.can_review_attempt(world.teacher, world.ada_attempt)
        assert not access.can_review_attempt(world.teacher, world.bob_attempt)

    def test_a_learner_views_only_their_own_attempts_and_reviews_none(self, world):
        assert list(Attempt.objects.visible_to(world.ada)) == [world.ada_attempt]
        assert not Attempt.objects.reviewable_by(world.ada).exists()
        assert access.can_view_attempt(world.ada, world.ada_attempt)
        assert not access.can_view_attempt(world.ada, world.bob_attempt)
        assert not access.can_review_attempt(world.ada, world.ada_attempt)

    def test_a_visitor_sees_no_attempt(self, world):
        assert not Attempt.objects.visible_to(AnonymousUser()).exists()
        assert not access.can_view_attempt(AnonymousUser(), world.ada_attempt)

    def test_the_prefix_reaches_attempts_from_another_model(self, world):
        mine = UserAnswerFactory(attempt=world.ada_attempt)
        UserAnswerFactory(attempt=world.bob_attempt)
        rule = access.attempts_reviewable_by(world.teacher, prefix="attempt__")
        assert list(UserAnswer.objects.filter(rule)) == [mine]


class TestUsers:
    def test_an_instructor_reviews_enrolled_learners_and_those_with_attempts(self, world):
        reviewable = names(User.objects.reviewable_by(world.teacher), "username")
        # ada is enrolled; eve has an attempt though no longer enrolled; bob is elsewhere.
        assert reviewable == ["ada", "eve"]
        assert access.can_review_user(world.teacher, world.eve)
        assert not access.can_review_user(world.teacher, world.bob)

    def test_a_learner_with_many_attempts_is_listed_once(self, world):
        AttemptFactory(user=world.ada, exam=world.our_exam, attempt_number=2)
        assert names(User.objects.reviewable_by(world.teacher), "username") == ["ada", "eve"]

    def test_learners_review_no_one(self, world):
        assert not User.objects.reviewable_by(world.ada).exists()
        assert not User.objects.reviewable_by(AnonymousUser()).exists()

    def test_an_admin_reviews_everyone(self, world):
        assert User.objects.reviewable_by(world.admin).count() == User.objects.count()


def test_nothing_matches_without_a_query(world, django_assert_num_queries):
    with django_assert_num_queries(0):  # an empty IN is answered by Django itself
        assert list(Attempt.objects.filter(access.NOTHING)) == []


class TestExamsVisibleAndKnown:
    """Learners see the published exams of the courses they are actively enrolled in; they
    are told the refusals of any exam of a course they are enrolled in at all."""

    def test_visible_exams_by_role(self, world):
        now = timezone.now()
        draft = ExamFactory(course=world.ours, status=Exam.Status.DRAFT)

        def visible(user):
            return set(Exam.objects.filter(access.exams_visible_to(user, now=now)))

        assert visible(world.admin) == {world.our_exam, world.their_exam, draft}
        assert visible(world.teacher) == {world.our_exam, draft}
        assert visible(world.ada) == {world.our_exam}
        assert visible(world.bob) == set()
        assert visible(AnonymousUser()) == set()

    def test_an_enrolment_not_yet_begun_hides_the_exams(self, world):
        now = timezone.now()
        world.ada.enrollments.update(enrolled_at=now + timedelta(days=1))
        assert not Exam.objects.filter(access.exams_visible_to(world.ada, now=now)).exists()
        enrollment = world.ada.enrollments.get()
        assert not enrollment.is_active_at(now)
        assert enrollment.is_active_at(now + timedelta(days=2))

    def test_an_expired_enrolment_hides_the_exams_but_keeps_them_known(self, world):
        now = timezone.now()
        world.ada.enrollments.update(
            enrolled_at=now - timedelta(days=9), expires_at=now - timedelta(days=1)
        )
        assert not Exam.objects.filter(access.exams_visible_to(world.ada, now=now)).exists()
        known = set(Exam.objects.filter(access.exams_known_to(world.ada, now=now)))
        assert known == {world.our_exam}
        assert Exam.objects.filter(access.exams_known_to(world.bob, now=now)).count() == 0
