"""The module results against an independent computation on small, varied data: for every
(enrolment, published exam) the representative attempt (the ranked one, else the latest
number), its completion status, time spent, progress and completion date, and the views (the
started and resumed events of every attempt of the learner at the exam), recomputed in Python
from the plain rows; the whole listing, a walk of small pages and the filters that read the
representative attempt agree with it. Query budgets of a page by token and of a filtered
page."""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone

from assessments.models import Exam
from attempts.models import Attempt, AttemptEvent
from lms.models import Enrollment
from tests.attempts.api.ispring.conftest import token_for
from tests.factories import CourseFactory, EnrollmentFactory, ExamFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
JSON = "application/json"
QUESTIONS = 6
KINDS = ["started", "resumed", "answer_saved", "submitted"]


def build(seed: int):
    """Two courses (one with a draft exam, one whose exam has no pass mark), nine learners
    (one blocked), each with 0 to 3 attempts per exam in every state, some of them ranked,
    and a random history of events; some enrolments overdue. Written set-based."""
    rng = random.Random(seed)
    now = timezone.now()
    first, second = CourseFactory(), CourseFactory()
    exams = [
        ExamFactory(course=first),
        ExamFactory(course=first),
        ExamFactory(course=second, pass_percentage=None),
    ]
    ExamFactory(course=first, status=Exam.Status.DRAFT)
    learners = [UserFactory(is_active=n != 4) for n in range(9)]
    for n, learner in enumerate(learners):
        due = rng.choice([None, now - timedelta(days=3), now + timedelta(days=3)])
        EnrollmentFactory(user=learner, course=first, due_at=due)
        if n % 2:
            EnrollmentFactory(user=learner, course=second, due_at=due)
    attempts = []
    for learner in learners:
        for exam in exams:
            count = rng.randint(0, 3)
            completed = []
            for number in range(1, count + 1):
                last = number == count
                states = [Attempt.State.COMPLETED, Attempt.State.PENDING_EVALUATION]
                states += [Attempt.State.RUNNING, Attempt.State.NOT_STARTED] if last else []
                state = rng.choice(states)
                started = now - timedelta(days=10 - number, minutes=rng.randint(0, 600))
                unanswered = rng.randint(0, QUESTIONS)
                finished = state in (Attempt.State.COMPLETED, Attempt.State.PENDING_EVALUATION)
                attempt = Attempt(
                    user=learner,
                    exam=exam,
                    attempt_number=number,
                    state=state,
                    started_at=started,
                    last_answer_at=(
                        started + timedelta(seconds=rng.randint(1, 900))
                        if state != Attempt.State.NOT_STARTED and rng.random() < 0.7
                        else None
                    ),
                    completed_at=(
                        started + timedelta(seconds=rng.randint(60, 3000)) if finished else None
                    ),
                    total_questions=QUESTIONS,
                    correct_count=QUESTIONS - unanswered,
                    unanswered_count=unanswered,
                    passed=(
                        rng.choice([True, False])
                        if state == Attempt.State.COMPLETED and exam.pass_percentage is not None
                        else None
                    ),
                )
                attempts.append(attempt)
                if state == Attempt.State.COMPLETED:
                    completed.append(attempt)
            if completed and rng.random() < 0.7:
                rng.choice(completed).counts_for_rank = True
    attempts = Attempt.objects.bulk_create(attempts)
    AttemptEvent.objects.bulk_create(
        AttemptEvent(
            attempt=attempt,
            kind=rng.choice(KINDS),
            state_before=None,
            state_after=attempt.state,
            score_after=Decimal(0),
            at=attempt.started_at,
        )
        for attempt in attempts
        for _ in range(rng.randint(0, 4))
    )
    return now


def expected_rows(now) -> list[dict]:
    """Every row recomputed from the plain rows, in (enrolment, exam) order."""
    published = sorted(Exam.objects.filter(status=Exam.Status.PUBLISHED), key=lambda e: e.pk)
    attempts = list(Attempt.objects.all())
    views = {}
    for user_id, exam_id in AttemptEvent.objects.filter(
        kind__in=["started", "resumed"]
    ).values_list("attempt__user_id", "attempt__exam_id"):
        views[(user_id, exam_id)] = views.get((user_id, exam_id), 0) + 1
    rows = []
    enrolments = Enrollment.objects.filter(user__is_active=True).select_related("user", "course")
    for enrolment in sorted(enrolments, key=lambda e: e.pk):
        for exam in (e for e in published if e.course_id == enrolment.course_id):
            mine = [a for a in attempts if (a.user_id, a.exam_id) == (enrolment.user_id, exam.pk)]
            ranked = [a for a in mine if a.counts_for_rank]
            latest = max(mine, key=lambda a: a.attempt_number) if mine else None
            attempt = ranked[0] if ranked else latest
            status = "not_started"
            if attempt is not None and attempt.state == Attempt.State.RUNNING:
                status = "in_progress"
            elif attempt is not None and attempt.state == Attempt.State.PENDING_EVALUATION:
                status = "pending"
            elif attempt is not None and attempt.state == Attempt.State.COMPLETED:
                status = {True: "passed", False: "failed", None: "complete"}[attempt.passed]
            row = {
                "userId": str(enrolment.user.uuid),
                "moduleId": str(exam.uuid),
                "enrollmentId": str(enrolment.pk),
                "completionStatus": status,
                "viewsCount": views.get((enrolment.user_id, exam.pk), 0),
                "timeSpent": 0,
                "isOverdue": int(
                    enrolment.due_at is not None
                    and enrolment.due_at < now
                    and status not in ("complete", "passed", "failed")
                ),
            }
            if attempt is not None:
                end = attempt.completed_at or attempt.last_answer_at or attempt.started_at
                row["timeSpent"] = int((end - attempt.started_at).total_seconds())
            if status == "in_progress":
                answered = QUESTIONS - attempt.unanswered_count
                row["progress"] = f"{round(answered * 100 / QUESTIONS, 2):g}"
            elif status != "not_started":
                row["progress"] = "100"
            if status in ("complete", "passed", "failed"):
                row["completionDate"] = attempt.completed_at.isoformat()
            rows.append(row)
    return rows


def shown(results: list[dict], expected: list[dict]) -> list[dict]:
    """The API's rows cut to the keys the computation gives."""
    keys = {key for row in expected for key in row}
    return [{k: v for k, v in row.items() if k in keys} for row in results]


@pytest.fixture
def built():
    now = build(seed=17)
    return now, expected_rows(now)


def walk(fetch, token, query, size):
    seen, page = [], {**query, "pageSize": size}
    while True:
        body = fetch(token, page, accept=JSON).json()
        seen += body["results"]
        if "nextPageToken" not in body:
            return seen
        page = {**query, "pageSize": size, "pageToken": body["nextPageToken"]}


class TestAgainstARecomputation:
    def test_the_data_covers_every_case(self, built):
        _now, expected = built
        statuses = {row["completionStatus"] for row in expected}
        assert statuses == {"not_started", "in_progress", "pending", "passed", "failed", "complete"}
        assert {row["viewsCount"] > 1 for row in expected} == {True, False}
        assert {row["isOverdue"] for row in expected} == {0, 1}
        # a ranked attempt that is not the latest one stands for its learner somewhere
        ranked_earlier = Attempt.objects.filter(
            counts_for_rank=True,
            user__attempts__exam=F("exam"),
            user__attempts__attempt_number__gt=F("attempt_number"),
        )
        assert ranked_earlier.exists()

    def test_the_whole_listing(self, fetch, built):
        _now, expected = built
        token = token_for(StaffFactory())
        results = fetch(token, {"pageSize": 1000}, accept=JSON).json()["results"]
        assert shown(results, expected) == expected

    @pytest.mark.parametrize("size", [1, 2, 3, 7])
    def test_a_walk_of_small_pages(self, fetch, built, size):
        _now, expected = built
        token = token_for(StaffFactory())
        assert shown(walk(fetch, token, {}, size), expected) == expected

    @pytest.mark.parametrize(
        "wanted", [["failed"], ["pending", "in_progress"], ["not_started"], ["complete"]]
    )
    def test_status_filters_walked(self, fetch, built, wanted):
        _now, expected = built
        token = token_for(StaffFactory())
        got = walk(fetch, token, {"completionStatuses[]": wanted}, 2)
        assert shown(got, expected) == [r for r in expected if r["completionStatus"] in wanted]

    def test_completion_date_range_walked(self, fetch, built):
        now, expected = built
        # the second attempts complete 8 days and up to 10 hours before now
        start, end = now - timedelta(days=8, hours=11), now - timedelta(days=8)
        token = token_for(StaffFactory())
        query = {
            "completionDate[startDate]": start.isoformat(),
            "completionDate[endDate]": end.isoformat(),
        }
        got = walk(fetch, token, query, 2)
        within = [
            r
            for r in expected
            if "completionDate" in r and start.isoformat() <= r["completionDate"] <= end.isoformat()
        ]
        assert 0 < len(within) < len([r for r in expected if "completionDate" in r])
        assert shown(got, expected) == within


class TestQueryBudget:
    def test_a_page_by_token_and_a_filtered_one_cost_what_the_first_does(
        self, fetch, built, django_assert_num_queries
    ):
        token = token_for(StaffFactory())
        first = fetch(token, {"pageSize": 5}, accept=JSON).json()
        # 1 the token's client and account; 2 the rows from the token's position, each with
        # its representative attempt's id and status (one subquery); 3 their attempts;
        # 4 their views.
        with django_assert_num_queries(4):
            page = fetch(token, {"pageSize": 5, "pageToken": first["nextPageToken"]}, accept=JSON)
        assert len(page.json()["results"]) == 5
        query = {"pageSize": 1000, "completionStatuses[]": ["passed", "failed"]}
        query["completionDate[startDate]"] = (timezone.now() - timedelta(days=30)).isoformat()
        # 1 the token's client and account; 2 the rows whose representative attempt is
        # completed within the range; 3 their attempts; 4 their views.
        with django_assert_num_queries(4):
            filtered = fetch(token, query, accept=JSON)
        assert {r["completionStatus"] for r in filtered.json()["results"]} == {"passed", "failed"}
