"""Departments: the tree's subtree query, and the department administrator's clause of the
one access rule, checked on every surface (pages, admin, Testpress API, Thought Industries
API)."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from attempts.models import Attempt
from lms import access
from lms.models import ApiClient, Department, User
from tests.attempts.api.testpress.contract import LIST_URL, jwt_client, listed_ids
from tests.factories import AttemptFactory, CourseFactory, ExamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    """Acme › Sales › North, and Acme › Support. ``boss`` manages Sales (so North too).

    ``ann`` is in North, ``sam`` in Sales, ``rob`` in Acme itself and ``sue`` in Support:
    the boss reviews ann's and sam's attempts, in any course, and nobody else's."""
    acme = Department.objects.create(name="Acme", code="ACME")
    sales = Department.objects.create(name="Sales", parent=acme)
    north = Department.objects.create(name="North", parent=sales)
    support = Department.objects.create(name="Support", parent=acme)
    ann, sam, rob, sue = (UserFactory(username=n) for n in ("ann", "sam", "rob", "sue"))
    north.members.add(ann)
    sales.members.add(sam)
    acme.members.add(rob)
    support.members.add(sue)
    boss = UserFactory(username="boss")
    sales.administrators.add(boss)
    math, art = CourseFactory(title="Math"), CourseFactory(title="Art")
    math_exam, art_exam = ExamFactory(course=math), ExamFactory(course=art)
    return SimpleNamespace(
        acme=acme,
        sales=sales,
        north=north,
        support=support,
        boss=boss,
        ann=ann,
        sam=sam,
        rob=rob,
        sue=sue,
        math_exam=math_exam,
        art_exam=art_exam,
        ann_math=AttemptFactory(user=ann, exam=math_exam),
        sam_art=AttemptFactory(user=sam, exam=art_exam),
        rob_math=AttemptFactory(user=rob, exam=math_exam),
        sue_art=AttemptFactory(user=sue, exam=art_exam),
    )


class TestTree:
    def test_paths_and_full_paths(self, org):
        assert org.north.path == f"{org.acme.pk}/{org.sales.pk}/{org.north.pk}/"
        assert org.north.depth == 2
        assert org.north.full_path == "Acme › Sales › North"

    def test_a_department_and_everything_below_is_one_query(self, org, django_assert_num_queries):
        with django_assert_num_queries(1):  # departments whose path starts with Sales's
            found = list(Department.objects.filter(pk=org.sales.pk).with_descendants())
        assert found == [org.sales, org.north]

    def test_moving_a_branch_rewrites_the_paths_below(self, org):
        org.sales.parent = org.support
        org.sales.save()
        org.north.refresh_from_db()
        assert org.north.full_path == "Acme › Support › Sales › North"
        assert org.north.depth == 3

    def test_a_department_cannot_move_below_itself(self, org):
        org.acme.parent = org.north
        with pytest.raises(ValueError, match="cannot move below itself"):
            org.acme.save()


class TestAccess:
    def test_the_department_administrator_reviews_their_branch_across_courses(self, org):
        reviewable = Attempt.objects.reviewable_by(org.boss)
        assert sorted(reviewable.values_list("pk", flat=True)) == sorted(
            [org.ann_math.pk, org.sam_art.pk]
        )
        for attempt in (org.ann_math, org.sam_art, org.rob_math, org.sue_art):
            assert (
                access.can_review_attempt(org.boss, attempt)
                == reviewable.filter(pk=attempt.pk).exists()
            )

    def test_users_pair_agrees(self, org):
        people = set(User.objects.reviewable_by(org.boss).values_list("username", flat=True))
        assert people == {"ann", "sam"}
        for person in (org.ann, org.sam, org.rob, org.sue):
            assert access.can_review_user(org.boss, person) == (person.username in people)

    def test_a_department_administrator_is_a_reviewer_but_edits_no_course(self, org):
        assert access.is_reviewer(org.boss)
        assert not access.is_reviewer(org.ann)
        assert not access.can_review_exam(org.boss, org.math_exam)
        assert not access.can_review_course(org.boss, org.math_exam.course)

    def test_an_administrator_of_two_branches_sees_both(self, org):
        org.support.administrators.add(org.boss)
        reviewable = set(Attempt.objects.reviewable_by(org.boss).values_list("pk", flat=True))
        assert reviewable == {org.ann_math.pk, org.sam_art.pk, org.sue_art.pk}


class TestSurfaces:
    def test_exam_attempt_list_page_shows_only_their_people(self, org, client):
        client.force_login(org.boss)
        response = client.get(reverse("exam-attempts", args=[org.math_exam.pk]))
        assert response.status_code == 200
        shown = [row.record.pk for row in response.context["table"].page.object_list]
        assert shown == [org.ann_math.pk]

    def test_exam_attempt_list_export_has_only_their_people(self, org, client):
        """The CSV (written by the database on PostgreSQL) has the page's rows, no more."""
        client.force_login(org.boss)
        response = client.get(reverse("exam-attempts", args=[org.math_exam.pk]) + "?export=csv")
        assert response.status_code == 200
        lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
        assert [line.split(",")[0] for line in lines[1:]] == [str(org.ann_math.pk)]

    def test_attempt_detail_page(self, org, client):
        client.force_login(org.boss)
        assert client.get(reverse("attempt-detail", args=[org.ann_math.pk])).status_code == 200
        assert client.get(reverse("attempt-detail", args=[org.rob_math.pk])).status_code == 404

    def test_exam_pages_beyond_the_attempt_list_stay_closed(self, org, client):
        client.force_login(org.boss)
        assert client.get(reverse("exam-statistics", args=[org.math_exam.pk])).status_code == 404

    def test_django_admin_lists_only_their_people(self, org, client):
        org.boss.is_staff = True
        org.boss.save()
        org.boss.user_permissions.add(Permission.objects.get(codename="view_attempt"))
        client.force_login(org.boss)
        response = client.get(reverse("admin:attempts_attempt_changelist"))
        assert response.status_code == 200
        listed = sorted(a.pk for a in response.context["cl"].result_list)
        assert listed == sorted([org.ann_math.pk, org.sam_art.pk])

    def test_the_courses_page_lists_where_their_people_have_attempts(
        self, org, client, django_assert_num_queries
    ):
        """Math and Art (ann's and sam's attempts), each exam counting only their people's
        attempts; History, where only sue (Support) has an attempt, is not listed; no
        Summary link (exam statistics stay closed to them)."""
        AttemptFactory(user=org.sue, exam=ExamFactory(course=CourseFactory(title="History")))
        ExamFactory(course=org.math_exam.course, title="Unattempted")
        client.force_login(org.boss)
        # session, user, is-reviewer check, courses, their exams, the grouped attempt counts
        with django_assert_num_queries(6):
            response = client.get(reverse("courses"))
        listed = {
            course.title: {o.exam.pk: sum(o.by_state.values()) for o in overviews}
            for course, overviews in response.context["courses"]
        }
        assert listed == {"Art": {org.art_exam.pk: 1}, "Math": {org.math_exam.pk: 1}}
        html = response.content.decode()
        assert reverse("exam-attempts", args=[org.math_exam.pk]) in html
        assert reverse("exam-summary", args=[org.math_exam.pk]) not in html

    def test_a_department_administrator_who_teaches_sees_their_course_whole(self, org, client):
        math = org.math_exam.course
        math.instructors.add(org.boss)
        client.force_login(org.boss)
        response = client.get(reverse("courses"))
        counts = {
            o.exam.pk: sum(o.by_state.values())
            for _course, overviews in response.context["courses"]
            for o in overviews
        }
        assert counts == {org.math_exam.pk: 2, org.art_exam.pk: 1}  # ann + rob; sam
        assert reverse("exam-summary", args=[org.math_exam.pk]) in response.content.decode()

    def test_testpress_api(self, org):
        response = jwt_client(org.boss).get(LIST_URL)
        assert sorted(listed_ids(response)) == sorted([org.ann_math.pk, org.sam_art.pk])

    def test_thought_industries_api(self, org, client):
        Attempt.objects.update(state=Attempt.State.RUNNING)  # the contract lists opened ones
        api_client, secret = ApiClient.issue(user=org.boss, name="hr")
        response = client.get(
            "/incoming/v2/assessmentAttempts",
            headers={"Authorization": f"Bearer {api_client.api_key(secret)}"},
        )
        rows = response.json()["data"]["AssessmentAttempts"]["assessmentAttempts"]
        assert sorted(row["id"] for row in rows) == sorted(
            [str(org.ann_math.uuid), str(org.sam_art.uuid)]
        )


def test_the_admin_lists_the_tree_with_full_paths(org, admin_client):
    response = admin_client.get(reverse("admin:lms_department_changelist"))
    html = response.content.decode()
    assert "Acme › Sales › North" in html
    assert "Acme › Support" in html


def test_the_admin_user_list_names_department_administrators(org, admin_client):
    teacher = UserFactory(username="teacher")
    CourseFactory(instructors=[teacher])
    response = admin_client.get(reverse("admin:lms_user_changelist"))
    roles = {
        u.username: response.context["cl"].model_admin.role(u)
        for u in response.context["cl"].result_list
    }
    assert roles["boss"] == "Department administrator"
    assert (roles["ann"], roles["teacher"]) == ("Learner", "Instructor")
    assert "Department administrator" in response.content.decode()
