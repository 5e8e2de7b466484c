"""``GET /learners/modules/results``: every field, the omitted-when-empty rule, XML and JSON,
the status mapping, each filter, paging, scoping per role and every error."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from lxml import etree

from attempts.api.ispring import pagination, rows
from attempts.models import Attempt, AttemptEvent
from lms.models import Department, Enrollment, User
from tests.attempts.api.ispring.conftest import token_for, xml_rows
from tests.factories import (
    AttemptFactory,
    CourseFactory,
    EnrollmentFactory,
    ExamFactory,
    StaffFactory,
    UserFactory,
)
from tests.play import NOW

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def root_token():
    return token_for(StaffFactory(username="root"))


def statuses(response):
    return [row["completionStatus"] for row in xml_rows(response)]


class TestShape:
    def test_a_running_attempt_with_every_value_checked_by_hand(self, fetch, root_token, kit):
        enrolment = Enrollment.objects.get(user=kit.learner)
        due, expires = NOW - timedelta(days=1), NOW + timedelta(days=9)
        Enrollment.objects.filter(pk=enrolment.pk).update(due_at=due, expires_at=expires)
        attempt = kit.start()
        kit.answer(attempt, "single", choices=[0], now=NOW + timedelta(seconds=95))
        response = fetch(root_token)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/xml")
        assert response.content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
        [row] = xml_rows(response)
        assert row == {
            "userId": str(kit.learner.uuid),
            "courseId": str(kit.course.uuid),
            "moduleTitle": kit.exam.title,
            "moduleId": str(kit.exam.uuid),
            "courseItemId": str(uuid.uuid5(rows.COURSE_ITEM_NAMESPACE, str(kit.exam.uuid))),
            "enrollmentId": str(enrolment.pk),
            "accessDate": (NOW - timedelta(days=2)).isoformat(),
            "dueDate": due.isoformat(),
            "expirationDate": expires.isoformat(),
            "timeSpent": "95",  # from the start to the last saved answer
            "completionStatus": "in_progress",
            "progress": "16.67",  # 1 of 6 questions answered
            "isOverdue": "1",  # due yesterday, not completed
            "viewsCount": "1",  # one start
        }
        assert row["courseItemId"] != row["moduleId"]

    def test_not_started_rows_leave_out_what_has_no_value(self, fetch, root_token, kit):
        [row] = xml_rows(fetch(root_token))
        assert row["completionStatus"] == "not_started"
        for absent in ("dueDate", "expirationDate", "completionDate", "progress"):
            assert absent not in row
        assert (row["timeSpent"], row["isOverdue"], row["viewsCount"]) == ("0", "0", "0")

    def test_json_has_the_same_keys(self, fetch, root_token, kit):
        xml = xml_rows(fetch(root_token))
        response = fetch(root_token, accept="application/json")
        assert response["Content-Type"] == "application/json"
        body = response.json()
        assert list(body) == ["results"]
        assert [list(row) for row in body["results"]] == [list(row) for row in xml]

    @pytest.mark.parametrize(
        ("query", "accept", "content_type"),
        [
            ({"format": "json"}, "application/xml", "application/json"),
            ({"format": "xml"}, "application/json", "application/xml; charset=utf-8"),
            ({"format": "yaml"}, "application/json", "application/json"),
            ({}, "text/csv", "application/xml; charset=utf-8"),
        ],
    )
    def test_format_wins_over_accept_and_nothing_acceptable_is_xml(
        self, fetch, root_token, kit, query, accept, content_type
    ):
        response = fetch(root_token, query, accept=accept)
        assert (response.status_code, response["Content-Type"]) == (200, content_type)

    def test_a_nul_character_is_a_400_with_the_reason(self, fetch, root_token):
        response = fetch(root_token, {"userIds[]": "a\x00b"})
        assert response.status_code == 400
        assert "NUL" in response.json()["detail"]

    def test_every_value_is_escaped_and_control_characters_dropped(self, fetch, root_token):
        course = CourseFactory()
        ExamFactory(course=course, title='A <b> & \x01\x0b"quoted"')
        EnrollmentFactory(user=UserFactory(), course=course)
        response = fetch(root_token)
        root = etree.fromstring(response.content)  # well-formed
        assert root.findtext("results/result/moduleTitle") == 'A <b> & "quoted"'

    def test_draft_and_archived_exams_give_no_rows(self, fetch, root_token, kit):
        ExamFactory(course=kit.course, status="draft")
        ExamFactory(course=kit.course, status="archived")
        assert len(xml_rows(fetch(root_token))) == 1


@pytest.fixture
def mapped():
    """One learner per status in one course (an exam with a pass mark), and a second exam
    without one for ``complete``."""
    course = CourseFactory(title="Mapped")
    exam = ExamFactory(course=course)
    open_exam = ExamFactory(course=course, pass_percentage=None)
    people = {}
    done = timezone.now() - timedelta(hours=1)
    for name, state, passed in [
        ("none", None, None),
        ("opened", Attempt.State.NOT_STARTED, None),
        ("running", Attempt.State.RUNNING, None),
        ("pending", Attempt.State.PENDING_EVALUATION, None),
        ("passed", Attempt.State.COMPLETED, True),
        ("failed", Attempt.State.COMPLETED, False),
    ]:
        person = UserFactory(username=name)
        EnrollmentFactory(user=person, course=course)
        people[name] = person
        if state is not None:
            finished = state == Attempt.State.COMPLETED
            AttemptFactory(
                user=person,
                exam=exam,
                state=state,
                passed=passed,
                counts_for_rank=finished,
                started_at=done - timedelta(minutes=10),
                completed_at=done if finished else None,
            )
    AttemptFactory(
        user=people["none"],
        exam=open_exam,
        state=Attempt.State.COMPLETED,
        counts_for_rank=True,
        started_at=done - timedelta(minutes=10),
        completed_at=done,
    )
    return exam, open_exam, people


class TestStatuses:
    def test_the_mapping(self, fetch, root_token, mapped):
        exam, open_exam, people = mapped
        found = {
            (row["userId"], row["moduleId"]): row["completionStatus"]
            for row in xml_rows(fetch(root_token))
        }
        expected = {
            "none": "not_started",
            "opened": "not_started",
            "running": "in_progress",
            "pending": "pending",
            "passed": "passed",
            "failed": "failed",
        }
        for name, status in expected.items():
            assert found[(str(people[name].uuid), str(exam.uuid))] == status
        assert found[(str(people["none"].uuid), str(open_exam.uuid))] == "complete"

    def test_the_ranked_attempt_represents_the_learner_over_a_later_running_one(
        self, fetch, root_token, mapped
    ):
        exam, _open_exam, people = mapped
        AttemptFactory(user=people["failed"], exam=exam, attempt_number=2, state=0)
        rows_ = fetch(root_token, {"userIds[]": str(people["failed"].uuid)})
        assert statuses(rows_)[0] == "failed"

    def test_completion_date_only_when_completed(self, fetch, root_token, mapped):
        for row in xml_rows(fetch(root_token)):
            assert ("completionDate" in row) == (
                row["completionStatus"] in ("complete", "passed", "failed")
            )

    @pytest.mark.parametrize(
        "query",
        [
            {"completionStatuses[]": ["passed", "failed"]},
            {"completionStatuses": ["passed", "failed"]},
            {"completionStatus": ["passed", "failed"]},
        ],
    )
    def test_completion_status_filter_under_each_name(self, fetch, root_token, mapped, query):
        assert sorted(statuses(fetch(root_token, query))) == ["failed", "passed"]

    def test_accepted_is_valid_and_matches_nothing(self, fetch, root_token, mapped):
        response = fetch(root_token, {"completionStatuses[]": "accepted"})
        assert response.status_code == 200
        assert xml_rows(response) == []


class TestFilters:
    def test_ids(self, fetch, root_token, mapped, kit):
        exam, open_exam, people = mapped
        by_user = xml_rows(fetch(root_token, {"userIds": str(kit.learner.uuid)}))
        assert [r["userId"] for r in by_user] == [str(kit.learner.uuid)]
        by_course = xml_rows(fetch(root_token, {"courseIds[]": str(kit.course.uuid)}))
        assert {r["courseId"] for r in by_course} == {str(kit.course.uuid)}
        by_module = xml_rows(fetch(root_token, {"moduleIds[]": [str(open_exam.uuid)]}))
        assert len(by_module) == 6
        assert {r["moduleId"] for r in by_module} == {str(open_exam.uuid)}
        item = str(rows.course_item_id(open_exam.uuid))
        assert xml_rows(fetch(root_token, {"courseItemIds[]": item})) == by_module
        enrolment = Enrollment.objects.get(user=kit.learner)
        by_enrolment = xml_rows(fetch(root_token, {"enrollmentIds[]": str(enrolment.pk)}))
        assert [r["enrollmentId"] for r in by_enrolment] == [str(enrolment.pk)]

    def test_departments_with_their_sub_departments(self, fetch, root_token, mapped):
        _exam, _open_exam, people = mapped
        top = Department.objects.create(name="Top")
        below = Department.objects.create(name="Below", parent=top)
        top.members.add(people["passed"])
        below.members.add(people["failed"])
        got = xml_rows(fetch(root_token, {"departmentIds[]": str(top.uuid)}))
        assert {r["userId"] for r in got} == {
            str(people["passed"].uuid),
            str(people["failed"].uuid),
        }
        got = xml_rows(fetch(root_token, {"departmentIds[]": str(below.uuid)}))
        assert {r["userId"] for r in got} == {str(people["failed"].uuid)}

    def test_dates_each_bound_alone(self, fetch, root_token, kit):
        other = kit.enrol("bob")
        Enrollment.objects.filter(user=other).update(
            enrolled_at=NOW + timedelta(days=5), due_at=NOW + timedelta(days=10)
        )
        after = {"accessDate[startDate]": (NOW + timedelta(days=1)).isoformat()}
        assert [r["userId"] for r in xml_rows(fetch(root_token, after))] == [str(other.uuid)]
        before = {"accessDate[endDate]": NOW.isoformat()}
        assert [r["userId"] for r in xml_rows(fetch(root_token, before))] == [str(kit.learner.uuid)]
        due = {"dueDate[startDate]": NOW.isoformat()}
        assert [r["userId"] for r in xml_rows(fetch(root_token, due))] == [str(other.uuid)]

    def test_completion_date(self, fetch, root_token, mapped):
        now = timezone.now()
        window = {
            "completionDate[startDate]": (now - timedelta(hours=2)).isoformat(),
            "completionDate[endDate]": now.isoformat(),
        }
        assert sorted(statuses(fetch(root_token, window))) == ["complete", "failed", "passed"]
        later = {"completionDate[startDate]": now.isoformat()}
        assert statuses(fetch(root_token, later)) == []

    def test_user_statuses_default_to_active(self, fetch, root_token, kit):
        blocked = kit.enrol("blocked", is_active=False)
        default = {r["userId"] for r in xml_rows(fetch(root_token))}
        assert default == {str(kit.learner.uuid)}
        only_blocked = xml_rows(fetch(root_token, {"userStatuses[]": "3"}))
        assert {r["userId"] for r in only_blocked} == {str(blocked.uuid)}
        both = xml_rows(fetch(root_token, {"userStatuses[]": ["1", "3"]}))
        assert len(both) == 2


class TestPaging:
    def test_a_walk_returns_each_row_once(self, fetch, root_token, kit):
        for n in range(6):
            kit.enrol(f"l{n}")
        ExamFactory(course=kit.course)  # 7 learners × 2 exams = 14 rows
        seen, query = [], {"pageSize": 4}
        while True:
            response = fetch(root_token, query)
            root = etree.fromstring(response.content)
            seen += [(r["enrollmentId"], r["moduleId"]) for r in xml_rows(response)]
            token = root.findtext("nextPageToken")
            if token is None:
                break
            assert root[-1].tag == "nextPageToken"
            query = {"pageSize": 4, "pageToken": token}
        assert len(seen) == 14 == len(set(seen))

    def test_every_page_size_walks_the_full_listing_in_order(self, fetch, root_token, kit):
        """Two courses with 2 and 3 published exams (a draft between them), learners in
        both, a blocked one: whatever the page size, pages cut inside an enrolment's
        modules or not, the walk is the one-page listing, each (learner, module) row once."""
        other = CourseFactory()
        ExamFactory(course=kit.course)
        ExamFactory(course=other, status="draft")
        for _ in range(3):
            ExamFactory(course=other)
        for n in range(3):
            person = kit.enrol(f"w{n}")
            EnrollmentFactory(user=person, course=other)
        blocked = kit.enrol("blocked")
        User.objects.filter(pk=blocked.pk).update(is_active=False)
        query = {"userStatuses[]": ["1", "3"]}
        whole = [
            (r["enrollmentId"], r["moduleId"])
            for r in fetch(root_token, {**query, "pageSize": 1000}, accept=JSON).json()["results"]
        ]
        # kit learner, 3 w's and blocked × 2 kit exams; 3 w's × 3 published exams of other
        assert len(whole) == 5 * 2 + 3 * 3 == len(set(whole))
        for size in range(1, len(whole) + 1):
            seen, page = [], {**query, "pageSize": size}
            while True:
                body = fetch(root_token, page, accept=JSON).json()
                assert len(body["results"]) <= size
                seen += [(r["enrollmentId"], r["moduleId"]) for r in body["results"]]
                if "nextPageToken" not in body:
                    break
                page = {**query, "pageSize": size, "pageToken": body["nextPageToken"]}
            assert seen == whole, size

    def test_a_tampered_token_or_one_of_other_filters_is_a_400(self, fetch, root_token, kit):
        kit.enrol("bob")
        token = etree.fromstring(fetch(root_token, {"pageSize": 1}).content).findtext(
            "nextPageToken"
        )
        tampered = fetch(root_token, {"pageSize": 1, "pageToken": token[:-2] + "xx"})
        assert tampered.status_code == 400
        other = fetch(root_token, {"pageToken": token, "userStatuses[]": "3"})
        assert other.status_code == 400
        assert etree.fromstring(other.content).find("errors/error").get("parameter") == (
            "pageToken"
        )
        assert pagination.BAD_TOKEN.encode() in tampered.content


class TestErrors:
    @pytest.mark.parametrize(
        ("query", "parameter"),
        [
            ({"userIds[]": "nope"}, "userIds[]"),
            ({"courseIds": "nope"}, "courseIds"),
            ({"enrollmentIds[]": "x"}, "enrollmentIds[]"),
            ({"accessDate[startDate]": "yesterday"}, "accessDate[startDate]"),
            ({"completionStatuses[]": "done"}, "completionStatuses[]"),
            ({"completionStatus": "done"}, "completionStatus"),
            ({"userStatuses[]": "2"}, "userStatuses[]"),
            ({"pageSize": "0"}, "pageSize"),
            ({"pageSize": "5001"}, "pageSize"),
            ({"pageToken": ""}, "pageToken"),
        ],
    )
    def test_a_bad_parameter_is_a_400_naming_it(self, fetch, root_token, query, parameter):
        response = fetch(root_token, query)
        assert response.status_code == 400
        assert etree.fromstring(response.content).find("errors/error").get("parameter") == (
            parameter
        )
        as_json = fetch(root_token, query, accept="application/json")
        assert list(as_json.json()) == [parameter]


class TestRoles:
    def test_a_learner_is_403_with_the_reason(self, fetch, kit):
        response = fetch(token_for(kit.learner))
        assert response.status_code == 403
        assert etree.fromstring(response.content).findtext("detail")

    def test_an_instructor_reads_their_courses_learners(self, fetch, kit, mapped):
        got = xml_rows(fetch(token_for(kit.instructor)))
        assert {r["courseId"] for r in got} == {str(kit.course.uuid)}

    def test_a_department_administrator_reads_their_branch_in_every_course(
        self, fetch, kit, mapped
    ):
        _exam, _open_exam, people = mapped
        top = Department.objects.create(name="Top")
        below = Department.objects.create(name="Below", parent=top)
        side = Department.objects.create(name="Side")
        below.members.add(people["passed"], kit.learner)
        side.members.add(people["failed"])
        boss = UserFactory(username="boss")
        top.administrators.add(boss)
        got = xml_rows(fetch(token_for(boss)))
        assert {r["userId"] for r in got} == {str(people["passed"].uuid), str(kit.learner.uuid)}
        assert {r["courseId"] for r in got} == {str(kit.course.uuid), str(mapped[0].course.uuid)}


class TestQueries:
    @staticmethod
    def running_learners(kit, n):
        """``n - 1`` more learners of the kit course, each with a running attempt at the kit
        exam and its ``started`` event, written set-based (four INSERTs whatever ``n``)."""
        people = User.objects.bulk_create(
            User(username=f"bulk{i}", email=f"bulk{i}@example.com") for i in range(n - 1)
        )
        Enrollment.objects.bulk_create(Enrollment(user=p, course=kit.course) for p in people)
        attempts = Attempt.objects.bulk_create(
            Attempt(user_id=person, exam=kit.exam, state=Attempt.State.RUNNING)
            for person in Enrollment.objects.values_list("user", flat=True)
        )
        AttemptEvent.objects.bulk_create(
            AttemptEvent(
                attempt=a,
                kind=AttemptEvent.Kind.STARTED,
                state_before=None,
                state_after=Attempt.State.RUNNING,
                score_after=Decimal("0"),
                at=a.started_at,
            )
            for a in attempts
        )

    @pytest.mark.parametrize("learners", [1, 1000])
    def test_a_page_costs_the_same_at_1_and_at_1000_rows(
        self, fetch, kit, learners, django_assert_num_queries
    ):
        self.running_learners(kit, learners)
        token = token_for(StaffFactory())
        # 1 the token's client and account; 2 the rows; 3 their attempts; 4 their views.
        with django_assert_num_queries(4):
            response = fetch(token, {"pageSize": 1000})
        got = xml_rows(response)
        assert len(got) == learners
        assert {(r["progress"], r["viewsCount"]) for r in got} == {("0", "1")}
        assert etree.fromstring(response.content).find("nextPageToken") is None
