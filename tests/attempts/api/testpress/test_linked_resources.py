"""``GET /api/v2.5/admin/exams/<id>/`` and ``/api/v2.5/admin/users/<id>/``: the resources
that an attempt's ``exam_url`` and ``user_url`` link to, for the callers who see the attempt.
"""

from lms.models import Enrollment
from tests.attempts.api.testpress.contract import (
    LIST_URL,
    exam_url,
    jwt_client,
    user_url,
)
from tests.attempts.api.testpress.scenarios import thirteen_of_24


class TestLinkedResources:
    """The exam and user endpoints that ``exam_url`` and ``user_url`` point at."""

    def test_links_of_the_list_resolve_for_staff(self, kit, staff):
        thirteen_of_24(kit)
        client = jwt_client(staff)
        row = client.get(LIST_URL).json()["results"][0]

        exam = client.get(row["exam_url"])
        user = client.get(row["user_url"])

        assert (exam.status_code, exam.json()["id"]) == (200, kit.exam.pk)
        assert exam.json()["title"] == kit.exam.title
        assert exam.json()["duration"] == "1:00:00"
        assert (user.status_code, user.json()["id"]) == (200, kit.learner.pk)
        assert user.json()["username"] == "ada"

    def test_links_of_the_list_resolve_for_the_instructor(self, kit):
        thirteen_of_24(kit)
        client = jwt_client(kit.instructor)
        row = client.get(LIST_URL).json()["results"][0]
        assert client.get(row["exam_url"]).status_code == 200
        assert client.get(row["user_url"]).status_code == 200

    def test_instructor_gets_404_for_exam_and_user_of_another_course(
        self, kit, other_course_attempt
    ):
        client = jwt_client(kit.instructor)
        assert client.get(exam_url(other_course_attempt.exam_id)).status_code == 404
        assert client.get(user_url(other_course_attempt.user_id)).status_code == 404

    def test_staff_reads_any_exam_and_user(self, staff, other_course_attempt):
        client = jwt_client(staff)
        assert client.get(exam_url(other_course_attempt.exam_id)).status_code == 200
        assert client.get(user_url(other_course_attempt.user_id)).status_code == 200

    def test_learner_is_403_on_exam_and_user(self, kit):
        client = jwt_client(kit.learner)
        assert client.get(exam_url(kit.exam.pk)).status_code == 403
        assert client.get(user_url(kit.learner.pk)).status_code == 403

    def test_user_url_of_an_attempt_the_instructor_sees_resolves_after_unenrolment(self, kit):
        # Given an attempt of the kit learner, who is then removed from the course (the
        # admin can delete an Enrollment; the attempt stays and the instructor still sees it),
        attempt = thirteen_of_24(kit)
        Enrollment.objects.filter(user=kit.learner, course=kit.course).delete()
        client = jwt_client(kit.instructor)
        row = client.get(LIST_URL).json()["results"][0]
        assert row["id"] == attempt.pk
        # then the link the API handed out must work for the same caller.
        assert client.get(row["user_url"]).status_code == 200

    def test_exam_fields_and_formats(self, kit, staff):
        # The kit exam: pass mark 50 %, 60 minutes; decimals are strings with 2 decimals.
        body = jwt_client(staff).get(exam_url(kit.exam.pk)).json()
        assert list(body) == [
            "id",
            "uuid",
            "title",
            "description",
            "course_id",
            "status",
            "duration",
            "pass_percentage",
            "max_attempts",
            "opens_at",
            "closes_at",
            "rank_policy",
        ]
        assert (body["pass_percentage"], body["duration"]) == ("50.00", "1:00:00")
        assert (body["opens_at"], body["closes_at"]) == (
            "2026-09-30T09:00:00Z",  # NOW - 1 day
            "2026-10-31T09:00:00Z",  # NOW + 30 days
        )

    def test_user_fields(self, kit, staff):
        body = jwt_client(staff).get(user_url(kit.learner.pk)).json()
        assert list(body) == ["id", "uuid", "username", "email", "name", "phone"]
        assert (body["username"], body["email"], body["name"]) == ("ada", "ada@example.com", "Ada")
