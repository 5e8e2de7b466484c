"""List, get, create and change assessments: who sees what, field names, each rule a 400."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from assessments.models import Exam
from lms.models import Enrollment
from tests import play
from tests.attempts.api.submissions.conftest import (
    LIST,
    asmnt,
    chc,
    client_for,
    crs,
    enrol,
    qstn,
)
from tests.factories import CourseFactory, ExamFactory, UserFactory

FIELDS = {
    "id",
    "course_id",
    "title",
    "passing_score",
    "time_limit",
    "question_count",
    "max_attempts",
    "status",
    "opens_at",
    "closes_at",
    "created_at",
    "updated_at",
}
KEY_FIELDS = {"explanation", "numeric_answer", "numeric_tolerance", "accepted_answers"}


def ids_of(response):
    return [row["id"] for row in response.json()["data"]]


class TestList:
    @pytest.fixture
    def catalogue(self, open_kit):
        """The kit's exam (published), a draft in the same course, and a published exam of
        another course the learner is not enrolled in."""
        draft = ExamFactory(course=open_kit.course, status=Exam.Status.DRAFT, title="Draft")
        elsewhere = ExamFactory(title="Elsewhere")
        return open_kit, draft, elsewhere

    def test_a_learner_sees_the_published_assessments_of_their_courses(self, catalogue):
        kit, _, _ = catalogue
        response = client_for(kit.learner).get(LIST)
        assert response.status_code == 200
        assert ids_of(response) == [asmnt(kit.exam)]
        (row,) = response.json()["data"]
        assert set(row) == FIELDS
        assert row["course_id"] == crs(kit.course)
        assert (row["passing_score"], row["time_limit"], row["question_count"]) == (50, 60, 6)
        assert row["max_attempts"] is None
        assert response.json()["pagination"] == {
            "page": 1,
            "per_page": 20,
            "total": 1,
            "total_pages": 1,
        }

    def test_an_inactive_enrolment_shows_nothing(self, catalogue):
        kit, _, _ = catalogue
        Enrollment.objects.filter(user=kit.learner).update(status=Enrollment.Status.EXPIRED)
        assert ids_of(client_for(kit.learner).get(LIST)) == []

    def test_an_instructor_sees_every_assessment_of_their_courses(self, catalogue):
        kit, draft, _ = catalogue
        assert set(ids_of(client_for(kit.instructor).get(LIST))) == {asmnt(kit.exam), asmnt(draft)}

    def test_an_admin_sees_all(self, catalogue, admin):
        assert len(ids_of(client_for(admin).get(LIST))) == 3

    def test_course_id_keeps_one_course(self, catalogue, admin):
        kit, _, elsewhere = catalogue
        response = client_for(admin).get(LIST, {"course_id": crs(elsewhere.course)})
        assert ids_of(response) == [asmnt(elsewhere)]

    def test_a_malformed_course_id_is_a_400_naming_it(self, catalogue, admin):
        response = client_for(admin).get(LIST, {"course_id": "course-1"})
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["course_id"]

    def test_pages_of_per_page(self, catalogue, admin):
        first = client_for(admin).get(LIST, {"per_page": 2}).json()
        second = client_for(admin).get(LIST, {"per_page": 2, "page": 2}).json()
        assert first["pagination"] == {"page": 1, "per_page": 2, "total": 3, "total_pages": 2}
        assert len(first["data"]) == 2
        assert len(second["data"]) == 1
        assert {r["id"] for r in first["data"]}.isdisjoint(r["id"] for r in second["data"])

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ({"per_page": 101}, "per_page"),
            ({"per_page": 0}, "per_page"),
            ({"page": 0}, "page"),
            ({"page": "x"}, "page"),
        ],
    )
    def test_paging_out_of_bounds_is_a_400(self, catalogue, admin, query, field):
        response = client_for(admin).get(LIST, query)
        assert response.status_code == 400
        assert list(response.json()["errors"]) == [field]

    def test_a_page_past_the_end_is_a_404(self, catalogue, admin):
        assert client_for(admin).get(LIST, {"page": 9}).status_code == 404

    def test_anonymous_is_a_401(self, db):
        response = client_for(None).get(LIST)
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"


class TestDetail:
    def test_a_learner_gets_the_questions_without_the_key(self, open_kit):
        kit = open_kit
        response = client_for(kit.learner).get(f"{LIST}/{asmnt(kit.exam)}")
        assert response.status_code == 200
        data = response.json()
        assert set(data) == FIELDS | {"sections", "questions"}
        assert len(data["sections"]) == 2
        assert [q["id"] for q in data["questions"]] == [qstn(eq) for eq in kit.eq.values()]
        assert [q["position"] for q in data["questions"]] == [1, 2, 3, 4, 5, 6]
        for question in data["questions"]:
            assert not KEY_FIELDS & set(question)
            for choice in question["choices"]:
                assert set(choice) == {"id", "text"}
        single = data["questions"][0]
        assert [c["id"] for c in single["choices"]] == [chc(c) for c in kit.choices["single"]]
        assert (single["type"], single["marks"], single["negative_marks"]) == ("single", 4, 1)
        assert data["questions"][1]["partial_marks"] == 1

    def test_an_instructor_gets_the_key(self, open_kit):
        kit = open_kit
        data = client_for(kit.instructor).get(f"{LIST}/{asmnt(kit.exam)}").json()
        single, _, _, numeric, short, _ = data["questions"]
        assert [c["is_correct"] for c in single["choices"]] == [True, False, False, False]
        assert (numeric["numeric_answer"], numeric["numeric_tolerance"]) == (9.81, 0.05)
        assert short["accepted_answers"] == ["Paris"]
        assert set(single) >= KEY_FIELDS

    def test_a_draft_is_a_404_for_learners(self, open_kit):
        Exam.objects.filter(pk=open_kit.exam.pk).update(status=Exam.Status.DRAFT)
        response = client_for(open_kit.learner).get(f"{LIST}/{asmnt(open_kit.exam)}")
        assert response.status_code == 404

    @pytest.mark.parametrize("bad", ["asmnt_", "asmnt_0", "asmnt_-1", "crs_1", "asmnt_" + "z" * 23])
    def test_a_malformed_id_is_a_404(self, open_kit, bad):
        assert client_for(open_kit.instructor).get(f"{LIST}/{bad}").status_code == 404

    def test_another_course_is_a_404(self, open_kit, stranger):
        assert client_for(stranger).get(f"{LIST}/{asmnt(open_kit.exam)}").status_code == 404


class TestCreate:
    def body(self, course, **fields):
        return {"course_id": crs(course), "title": "Unit 3 quiz", "passing_score": 70, **fields}

    def test_an_instructor_creates_a_draft_in_their_course(self, open_kit):
        kit = open_kit
        response = client_for(kit.instructor).post(
            LIST, self.body(kit.course, time_limit=30), format="json"
        )
        assert response.status_code == 201, response.content
        data = response.json()
        exam = Exam.objects.get(uuid__in=[e.uuid for e in Exam.objects.filter(title="Unit 3 quiz")])
        assert data["id"] == asmnt(exam)
        assert (data["title"], data["passing_score"], data["time_limit"]) == ("Unit 3 quiz", 70, 30)
        assert (data["status"], data["max_attempts"], data["question_count"]) == ("draft", None, 0)
        assert exam.pass_percentage == Decimal("70")
        assert exam.duration == timedelta(minutes=30)
        assert exam.course == kit.course

    def test_the_extensions_max_attempts_and_status(self, open_kit, admin):
        body = self.body(open_kit.course, max_attempts=2, status="published", time_limit=None)
        data = client_for(admin).post(LIST, body, format="json").json()
        assert (data["max_attempts"], data["status"], data["time_limit"]) == (2, "published", None)

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"title": "ab"}, "title"),
            ({"title": "x" * 201}, "title"),
            ({"passing_score": 0}, "passing_score"),
            ({"passing_score": 101}, "passing_score"),
            ({"passing_score": 70.5}, "passing_score"),
            ({"time_limit": 0}, "time_limit"),
            ({"max_attempts": 0}, "max_attempts"),
            ({"status": "archived"}, "status"),
            ({"course_id": "crs_"}, "course_id"),
            ({"course_id": "crs_1"}, "course_id"),  # well-formed, no such course
        ],
    )
    def test_each_rule_broken_is_a_400_naming_the_field(self, open_kit, fields, field):
        response = client_for(open_kit.instructor).post(
            LIST, self.body(open_kit.course, **fields), format="json"
        )
        assert response.status_code == 400, response.content
        assert list(response.json()["errors"]) == [field]
        assert not Exam.objects.exclude(pk=open_kit.exam.pk).exists()

    def test_missing_fields_are_named(self, open_kit):
        response = client_for(open_kit.instructor).post(LIST, {}, format="json")
        assert set(response.json()["errors"]) == {"course_id", "title", "passing_score"}

    def test_a_learner_gets_a_403(self, open_kit):
        response = client_for(open_kit.learner).post(
            LIST, self.body(open_kit.course), format="json"
        )
        assert response.status_code == 403
        assert response.json()["type"] == "/api/v1/problems/forbidden"

    def test_an_instructor_of_another_course_gets_a_403(self, open_kit):
        other = UserFactory(username="elsewhere")
        CourseFactory(instructors=[other])
        response = client_for(other).post(LIST, self.body(open_kit.course), format="json")
        assert response.status_code == 403


class TestChange:
    def url(self, exam):
        return f"{LIST}/{asmnt(exam)}"

    def test_publishing_a_draft_shows_it_to_learners(self, open_kit):
        kit = open_kit
        Exam.objects.filter(pk=kit.exam.pk).update(status=Exam.Status.DRAFT)
        assert client_for(kit.learner).get(self.url(kit.exam)).status_code == 404
        response = client_for(kit.instructor).patch(
            self.url(kit.exam), {"status": "published"}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["status"] == "published"
        assert response.json()["question_count"] == 6
        assert client_for(kit.learner).get(self.url(kit.exam)).status_code == 200

    def test_fields_change_and_updated_at_moves(self, open_kit):
        kit = open_kit
        before = Exam.objects.get(pk=kit.exam.pk).updated_at
        body = {"title": "Renamed", "passing_score": 60, "time_limit": None, "max_attempts": 3}
        data = client_for(kit.instructor).patch(self.url(kit.exam), body, format="json").json()
        assert (data["title"], data["passing_score"], data["time_limit"]) == ("Renamed", 60, None)
        assert data["max_attempts"] == 3
        exam = Exam.objects.get(pk=kit.exam.pk)
        assert exam.updated_at > before
        assert exam.marking_changed_at is None  # no finished attempt to make stale

    def test_a_new_pass_mark_flags_finished_attempts_for_a_rescore(self, open_kit):
        kit = open_kit
        now = timezone.now()
        play.play(
            kit.exam,
            kit.learner,
            now=now - timedelta(minutes=9),
            submit_at=now - timedelta(minutes=8),
        )
        client_for(kit.instructor).patch(self.url(kit.exam), {"passing_score": 60}, format="json")
        assert Exam.objects.get(pk=kit.exam.pk).marking_changed_at is not None

    def test_the_course_stays(self, open_kit):
        other = CourseFactory()
        response = client_for(open_kit.instructor).patch(
            self.url(open_kit.exam), {"course_id": crs(other)}, format="json"
        )
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["course_id"]

    def test_a_learner_gets_a_403_and_an_outsider_a_404(self, open_kit, stranger):
        learner = enrol(open_kit, "grace")
        url = self.url(open_kit.exam)
        assert client_for(learner).patch(url, {"title": "Mine"}, format="json").status_code == 403
        assert client_for(stranger).patch(url, {"title": "Mine"}, format="json").status_code == 404
        assert Exam.objects.get(pk=open_kit.exam.pk).title != "Mine"
