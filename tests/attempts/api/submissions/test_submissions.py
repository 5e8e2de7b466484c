"""POST and GET of submissions: scoring, clamping, pending essays, refusals, visibility.

Kit: 6 questions × 4 marks (max 24), negative 1, pass mark 50 %: single (key 0), multiple
(key 0, 1, 2; partial 1 per option), true/false (key 0), numeric (9.81 ± 0.05), short
text ("Paris"), essay.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from assessments.models import Exam
from attempts import services
from attempts.models import Attempt, AttemptEvent, UserAnswer
from lms.models import Enrollment
from tests import play
from tests.attempts.api.submissions.conftest import (
    asmnt,
    chc,
    client_for,
    enrol,
    qstn,
    sheet,
    sub,
    submissions_url,
    usr,
)
from tests.factories import CourseFactory, ExamFactory, UserFactory

D = Decimal
PROBLEM = "application/problem+json"


def post(user, exam, body, **headers):
    return client_for(user).post(submissions_url(exam), body, format="json", **headers)


class TestScoring:
    def test_answers_are_scored_at_once_and_stored(self, open_kit):
        """single right +4, multiple {0, 1} partial 2 × 1 = +2, true/false wrong −1, numeric
        9.8 within 0.05 of 9.81 +4, short "  paris " +4, essay left out 0: 13 of 24 marks,
        13 / 24 = 54.1666… % → 54.17, passed at 50."""
        kit = open_kit
        assert Attempt.objects.filter(user=kit.learner).count() == 0
        body = sheet(
            kit, single=[0], multiple=[0, 1], true_false=[1], numeric=9.8, short="  paris "
        )
        response = post(kit.learner, kit.exam, body)
        assert response.status_code == 201, response.content
        data = response.json()
        attempt = Attempt.objects.get(user=kit.learner)
        assert data["id"] == sub(attempt)
        assert data["assessment_id"] == asmnt(kit.exam)
        assert data["user_id"] == usr(kit.learner)
        assert data["attempt_number"] == 1
        assert data["status"] == "completed"
        assert data["marks"] == 13
        assert data["max_marks"] == 24
        assert data["score"] == 54.17
        assert data["raw_percentage"] == 54.17
        assert data["passing_score"] == 50
        assert data["passed"] is True
        assert (data["results_released"], data["answer_key_released"]) == (True, False)
        assert timezone.now() - timedelta(minutes=1) < attempt.completed_at <= timezone.now()
        results = {r["question_id"]: r for r in data["results"]}
        expected = {
            "single": ("correct", 4),
            "multiple": ("partial", 2),
            "true_false": ("incorrect", -1),
            "numeric": ("correct", 4),
            "short": ("correct", 4),
            "essay": ("unanswered", 0),
        }
        assert [r["question_id"] for r in data["results"]] == [qstn(kit.eq[n]) for n in expected]
        for name, (result, marks) in expected.items():
            row = results[qstn(kit.eq[name])]
            assert (row["result"], row["marks_awarded"], row["max_marks"]) == (result, marks, 4)
            assert row["correct_answer"] is None
            assert row["explanation"] is None
        # Stored as the pages and the other APIs read it.
        assert attempt.state == Attempt.State.COMPLETED
        assert (attempt.score, attempt.max_score, attempt.percentage) == (D(13), D(24), D("54.17"))
        assert (attempt.correct_count, attempt.partial_count, attempt.incorrect_count) == (3, 1, 1)
        assert attempt.unanswered_count == 1
        assert attempt.passed is True
        assert attempt.counts_for_rank is True
        assert UserAnswer.objects.filter(attempt=attempt).count() == 6
        chosen = UserAnswer.objects.get(attempt=attempt, exam_question=kit.eq["multiple"])
        assert {c.pk for c in chosen.selected_choices.all()} == {
            kit.choices["multiple"][0].pk,
            kit.choices["multiple"][1].pk,
        }
        (event,) = AttemptEvent.objects.filter(attempt=attempt)
        assert (event.kind, event.state_before, event.state_after) == ("submitted", None, 1)

    def test_negative_marks_below_zero_are_clamped_to_a_score_of_zero(self, open_kit):
        """Five wrong answers at −1 each, the essay left out: −5 of 24 marks, −20.83 %;
        the score says 0, the raw percentage keeps −20.83."""
        kit = open_kit
        body = sheet(kit, single=[1], multiple=[3], true_false=[1], numeric=1, short="Rome")
        data = post(kit.learner, kit.exam, body).json()
        assert data["marks"] == -5
        assert data["raw_percentage"] == -20.83
        assert data["score"] == 0
        assert data["passed"] is False

    def test_an_answered_essay_leaves_the_submission_pending(self, open_kit):
        kit = open_kit
        data = post(kit.learner, kit.exam, sheet(kit, single=[0], essay="Because.")).json()
        assert data["status"] == "pending_evaluation"
        assert data["passed"] is None
        essay = next(r for r in data["results"] if r["question_id"] == qstn(kit.eq["essay"]))
        assert essay["result"] == "pending"
        attempt = Attempt.objects.get(user=kit.learner)
        assert attempt.state == Attempt.State.PENDING_EVALUATION
        assert attempt.counts_for_rank is False

    def test_the_key_shows_when_the_review_policy_releases_it(self, open_kit):
        kit = open_kit
        Exam.objects.filter(pk=kit.exam.pk).update(
            review_policy=Exam.ReviewPolicy.AFTER_SUBMIT,
            review_content=Exam.ReviewContent.EVERYTHING,
        )
        kit.eq["single"].question.explanation_html = "<p>Because <script>x()</script>.</p>"
        kit.eq["single"].question.save()
        data = post(kit.learner, kit.exam, sheet(kit, single=[1])).json()
        assert data["answer_key_released"] is True
        rows = {r["question_id"]: r for r in data["results"]}
        single = rows[qstn(kit.eq["single"])]
        assert single["correct_answer"]["choice_ids"] == [chc(kit.choices["single"][0])]
        assert single["explanation"] == "<p>Because .</p>"
        numeric = rows[qstn(kit.eq["numeric"])]["correct_answer"]
        assert (numeric["number"], numeric["tolerance"]) == (9.81, 0.05)
        short = rows[qstn(kit.eq["short"])]["correct_answer"]
        assert short["accepted_answers"] == ["Paris"]

    @pytest.mark.parametrize(
        ("policy", "content"),
        [
            (Exam.ReviewPolicy.AFTER_SUBMIT, Exam.ReviewContent.SCORE),
            (Exam.ReviewPolicy.NEVER, Exam.ReviewContent.EVERYTHING),
            (Exam.ReviewPolicy.AFTER_CLOSE, Exam.ReviewContent.EVERYTHING),
        ],
    )
    def test_results_are_withheld_until_the_review_releases_them(self, open_kit, policy, content):
        kit = open_kit
        Exam.objects.filter(pk=kit.exam.pk).update(review_policy=policy, review_content=content)
        response = post(kit.learner, kit.exam, sheet(kit, single=[0], true_false=[1]))
        data = response.json()
        assert (data["results_released"], data["answer_key_released"]) == (False, False)
        assert {(r["result"], r["marks_awarded"]) for r in data["results"]} == {("withheld", None)}
        assert all(r["correct_answer"] is None for r in data["results"])
        assert (data["marks"], data["score"]) == (3, 12.5)  # the score is never withheld
        detail = client_for(kit.learner).get(f"{submissions_url(kit.exam)}/{data['id']}").json()
        assert detail["results"] == data["results"]
        teacher = client_for(kit.instructor).get(f"{submissions_url(kit.exam)}/{data['id']}")
        assert (teacher.json()["results_released"], teacher.json()["answer_key_released"]) == (
            True,
            True,
        )

    def test_an_empty_sheet_is_a_submission_with_every_question_unanswered(self, open_kit):
        data = post(open_kit.learner, open_kit.exam, {"answers": []}).json()
        assert {r["result"] for r in data["results"]} == {"unanswered"}
        assert (data["marks"], data["score"], data["passed"]) == (0, 0, False)

    def test_without_an_idempotency_key_a_double_post_is_two_submissions(self, open_kit):
        kit = open_kit
        first = post(kit.learner, kit.exam, sheet(kit, single=[0])).json()
        second = post(kit.learner, kit.exam, sheet(kit, single=[0])).json()
        assert first["id"] != second["id"]
        assert (first["attempt_number"], second["attempt_number"]) == (1, 2)


class TestRunningAttempt:
    def test_a_submission_completes_the_running_attempt_with_its_saved_answers(self, open_kit):
        """Saved from the pages: single right (+4), numeric wrong (−1). The sheet answers
        numeric again, right (+4), and short text (+4): 12 of 24."""
        kit = open_kit
        now = timezone.now()
        running = play.start(kit.exam, kit.learner, now=now - timedelta(minutes=5))
        kit.answer(running, "single", choices=[0], now=now - timedelta(minutes=4))
        play.answer(running, kit.eq["numeric"], number=D("3"), now=now - timedelta(minutes=3))
        response = post(kit.learner, kit.exam, sheet(kit, numeric="9.81", short="Paris"))
        assert response.status_code == 201, response.content
        data = response.json()
        assert data["id"] == sub(running)
        assert data["marks"] == 12
        running.refresh_from_db()
        assert running.state == Attempt.State.COMPLETED
        assert running.score == D(12)
        assert Attempt.objects.filter(user=kit.learner).count() == 1
        numeric = UserAnswer.objects.get(attempt=running, exam_question=kit.eq["numeric"])
        assert numeric.numeric_response == D("9.81")

    def test_past_the_deadline_and_its_grace_the_submission_is_refused(self, open_kit):
        kit = open_kit  # 60 minutes
        running = play.start(kit.exam, kit.learner, now=timezone.now() - timedelta(minutes=61))
        response = post(kit.learner, kit.exam, sheet(kit, single=[0]))
        assert response.status_code == 403
        assert response.json()["type"] == "/api/v1/problems/time-limit-passed"
        running.refresh_from_db()
        assert running.state == Attempt.State.RUNNING  # the overdue finalizer's to complete


class TestRefusals:
    def _refused(self, response, kind):
        assert response.status_code == 403, response.content
        assert response["Content-Type"] == PROBLEM
        body = response.json()
        assert body["type"] == f"/api/v1/problems/{kind}"
        assert body["status"] == 403
        assert body["detail"]
        return body

    def test_a_learner_without_an_active_enrolment_is_told_why(self, open_kit):
        Enrollment.objects.filter(user=open_kit.learner).update(status=Enrollment.Status.SUSPENDED)
        response = post(open_kit.learner, open_kit.exam, {"answers": []})
        body = self._refused(response, "not-enrolled")
        assert "not actively enrolled" in body["detail"]
        assert not Attempt.objects.exists()

    def test_an_expired_enrolment_is_refused(self, open_kit):
        now = timezone.now()
        Enrollment.objects.filter(user=open_kit.learner).update(
            enrolled_at=now - timedelta(days=9), expires_at=now - timedelta(days=1)
        )
        self._refused(post(open_kit.learner, open_kit.exam, {"answers": []}), "not-enrolled")

    def test_an_enrolment_that_begins_tomorrow_is_refused(self, open_kit):
        Enrollment.objects.filter(user=open_kit.learner).update(
            enrolled_at=timezone.now() + timedelta(days=1)
        )
        self._refused(post(open_kit.learner, open_kit.exam, {"answers": []}), "not-enrolled")

    def test_an_instructor_is_not_enrolled(self, open_kit):
        response = post(open_kit.instructor, open_kit.exam, {"answers": []})
        self._refused(response, "not-enrolled")

    def test_an_unpublished_assessment_is_refused_to_its_enrolled_learner(self, open_kit):
        Exam.objects.filter(pk=open_kit.exam.pk).update(status=Exam.Status.DRAFT)
        body = self._refused(
            post(open_kit.learner, open_kit.exam, {"answers": []}), "assessment-not-open"
        )
        assert "not published" in body["detail"]

    @pytest.mark.parametrize(
        ("opens", "closes"), [(timedelta(hours=1), None), (None, -timedelta(minutes=1))]
    )
    def test_outside_its_window_the_assessment_is_refused(self, open_kit, opens, closes):
        now = timezone.now()
        Exam.objects.filter(pk=open_kit.exam.pk).update(
            opens_at=opens and now + opens, closes_at=closes and now + closes
        )
        self._refused(post(open_kit.learner, open_kit.exam, {"answers": []}), "assessment-not-open")

    def test_the_retake_limit_is_a_403_naming_the_limit_and_the_attempts_used(self, open_kit):
        kit = open_kit
        Exam.objects.filter(pk=kit.exam.pk).update(max_attempts=2)
        for _ in range(2):
            assert post(kit.learner, kit.exam, sheet(kit, single=[0])).status_code == 201
        body = self._refused(
            post(kit.learner, kit.exam, sheet(kit, single=[0])), "attempt-limit-reached"
        )
        assert (body["max_attempts"], body["attempts_used"]) == (2, 2)
        assert "2 attempts" in body["detail"]
        assert Attempt.objects.filter(user=kit.learner).count() == 2

    def test_a_forgiven_attempt_gives_the_learner_one_more(self, open_kit):
        kit = open_kit
        Exam.objects.filter(pk=kit.exam.pk).update(max_attempts=1)
        assert post(kit.learner, kit.exam, sheet(kit, single=[0])).status_code == 201
        assert post(kit.learner, kit.exam, sheet(kit, single=[0])).status_code == 403
        services.attempt_forgive(
            attempt=Attempt.objects.get(user=kit.learner), actor=kit.instructor
        )

        second = post(kit.learner, kit.exam, sheet(kit, single=[0]))

        assert second.status_code == 201
        assert second.json()["attempt_number"] == 2  # numbers count every attempt
        body = self._refused(
            post(kit.learner, kit.exam, sheet(kit, single=[0])), "attempt-limit-reached"
        )
        assert (body["max_attempts"], body["attempts_used"]) == (1, 1)

    def test_the_first_completion_is_kept_as_the_original_grade(self, open_kit):
        """single right: 4 of 24 marks = 16.67 %, stored as the original percentage too."""
        kit = open_kit
        post(kit.learner, kit.exam, sheet(kit, single=[0]))
        attempt = Attempt.objects.get(user=kit.learner)
        assert (attempt.percentage, attempt.original_percentage) == (D("16.67"), D("16.67"))

    def test_someone_outside_the_course_gets_a_404(self, open_kit, stranger):
        response = post(stranger, open_kit.exam, {"answers": []})
        assert response.status_code == 404
        assert response.json()["type"] == "/api/v1/problems/not-found"

    def test_anonymous_is_a_401_with_a_bearer_challenge(self, open_kit):
        response = post(None, open_kit.exam, {"answers": []})
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["status"] == 401


class TestInvalidAnswers:
    @pytest.mark.parametrize(
        ("answer", "field"),
        [
            ({"question_id": "qstn_zz"}, "answers[0].question_id"),  # no such question
            ({"question_id": "asmnt_1"}, "answers[0].question_id"),  # malformed
            ({"choice_ids": ["chc_"]}, "answers[0].choice_ids"),  # malformed choice
            ({"text": "A"}, "answers[0].text"),  # text for a choice question
            ({"number": 3}, "answers[0].number"),  # number for a choice question
            ({"number": "three"}, "answers[0].number"),
        ],
    )
    def test_a_bad_answer_is_a_400_naming_it(self, open_kit, answer, field):
        kit = open_kit
        body = {"answers": [{"question_id": qstn(kit.eq["single"]), **answer}]}
        response = post(kit.learner, kit.exam, body)
        assert response.status_code == 400, response.content
        problem = response.json()
        assert problem["type"] == "/api/v1/problems/validation-error"
        assert list(problem["errors"]) == [field]
        assert not Attempt.objects.exists()

    def test_a_choice_of_another_question_is_refused(self, open_kit):
        kit = open_kit
        body = {
            "answers": [
                {
                    "question_id": qstn(kit.eq["single"]),
                    "choice_ids": [chc(kit.choices["multiple"][0])],
                }
            ]
        }
        problem = post(kit.learner, kit.exam, body).json()
        assert problem["errors"] == {
            "answers[0].choice_ids": ["A choice does not belong to this question."]
        }

    def test_two_choices_for_a_single_choice_question_are_refused(self, open_kit):
        problem = post(open_kit.learner, open_kit.exam, sheet(open_kit, single=[0, 1])).json()
        assert problem["errors"] == {"answers[0].choice_ids": ["Choose one option only."]}

    def test_a_question_answered_twice_is_refused(self, open_kit):
        kit = open_kit
        body = {"answers": sheet(kit, single=[0])["answers"] * 2}
        problem = post(kit.learner, kit.exam, body).json()
        assert list(problem["errors"]) == ["answers[1].question_id"]

    @pytest.mark.parametrize("body", [{}, {"answers": "all"}, [], {"answers": [None]}])
    def test_a_malformed_sheet_is_a_400(self, open_kit, body):
        response = post(open_kit.learner, open_kit.exam, body)
        assert response.status_code == 400
        assert response.json()["errors"]

    def test_a_body_that_is_no_json_is_a_400(self, open_kit):
        response = client_for(open_kit.learner).post(
            submissions_url(open_kit.exam), "{", content_type="application/json"
        )
        assert response.status_code == 400
        assert response.json()["type"] == "/api/v1/problems/malformed-request"


class TestGetSubmission:
    @pytest.fixture
    def submitted(self, open_kit):
        response = post(open_kit.learner, open_kit.exam, sheet(open_kit, single=[0]))
        return response.json()

    def url(self, kit, submission_id):
        return f"{submissions_url(kit.exam)}/{submission_id}"

    def test_the_learner_gets_the_same_object_back(self, open_kit, submitted):
        response = client_for(open_kit.learner).get(self.url(open_kit, submitted["id"]))
        assert response.status_code == 200
        assert response.json() == submitted

    def test_instructors_and_admins_see_it_with_the_key(self, open_kit, submitted, admin):
        for reviewer in (open_kit.instructor, admin):
            data = client_for(reviewer).get(self.url(open_kit, submitted["id"])).json()
            assert data["id"] == submitted["id"]
            assert data["answer_key_released"] is True
            assert data["results"][0]["correct_answer"]["choice_ids"] == [
                chc(open_kit.choices["single"][0])
            ]

    def test_anyone_else_gets_a_404(self, open_kit, submitted, stranger):
        other_learner = enrol(open_kit, "grace")
        other_instructor = UserFactory(username="elsewhere")
        CourseFactory(instructors=[other_instructor])
        for user in (other_learner, other_instructor, stranger):
            response = client_for(user).get(self.url(open_kit, submitted["id"]))
            assert response.status_code == 404, user

    @pytest.mark.parametrize(
        "bad", ["sub_", "sub_0", "sub_!", "asmnt_1", "x" * 300, "sub_" + "z" * 22]
    )
    def test_a_malformed_id_is_a_404(self, open_kit, submitted, bad):
        response = client_for(open_kit.learner).get(self.url(open_kit, bad))
        assert response.status_code == 404

    def test_the_id_under_another_assessment_is_a_404(self, open_kit, submitted):
        other = ExamFactory(course=open_kit.course)
        url = f"{submissions_url(other)}/{submitted['id']}"
        assert client_for(open_kit.learner).get(url).status_code == 404

    def test_a_running_attempt_is_no_submission(self, open_kit):
        running = play.start(open_kit.exam, open_kit.learner, now=timezone.now())
        response = client_for(open_kit.learner).get(self.url(open_kit, sub(running)))
        assert response.status_code == 404


class TestStart:
    def url(self, kit):
        return f"{submissions_url(kit.exam).removesuffix('/submissions')}/start"

    def test_starting_sets_the_clock_and_the_submission_completes_that_attempt(self, open_kit):
        kit = open_kit
        started = client_for(kit.learner).post(self.url(kit))
        assert started.status_code == 201, started.content
        data = started.json()
        attempt = Attempt.objects.get(user=kit.learner)
        assert attempt.state == Attempt.State.RUNNING
        assert data["id"] == sub(attempt)
        assert data["attempt_number"] == 1
        assert data["deadline_at"] is not None  # 60 minutes after the start
        assert attempt.deadline_at - attempt.started_at == timedelta(minutes=60)
        again = client_for(kit.learner).post(self.url(kit))
        assert again.status_code == 200
        assert again.json()["id"] == data["id"]
        submitted = post(kit.learner, kit.exam, sheet(kit, single=[0])).json()
        assert submitted["id"] == data["id"]
        assert submitted["marks"] == 4

    def test_the_limit_refuses_a_start_too(self, open_kit):
        kit = open_kit
        Exam.objects.filter(pk=kit.exam.pk).update(max_attempts=1)
        post(kit.learner, kit.exam, {"answers": []})
        response = client_for(kit.learner).post(self.url(kit))
        assert response.status_code == 403
        assert response.json()["type"] == "/api/v1/problems/attempt-limit-reached"

    def test_an_instructor_is_refused_and_a_stranger_gets_a_404(self, open_kit, stranger):
        assert client_for(open_kit.instructor).post(self.url(open_kit)).status_code == 403
        assert client_for(stranger).post(self.url(open_kit)).status_code == 404
