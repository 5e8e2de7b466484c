"""Learners see the key and per-answer results of an attempt only when the exam's review
policy releases them, never while it runs (issue "Hardening", item 1: the answer-key leak).

Kit (tests/attempts/conftest.py): single (key: choice 0), numeric 9.81 ± 0.05, short text
"Paris", ...; the kit exam allows unlimited attempts.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from assessments.models import Exam
from lms import access
from tests.attempts.web.conftest import SUBMITTED, detail_url
from tests.play import NOW, submit

Policy = Exam.ReviewPolicy
# What only the key or the marking reveals on the page.
KEY_MARKS = ("Correct answer", "9.81 ± 0.05", "Paris", "<dt>Key</dt>", "<dt>Marks</dt>")


def set_policy(kit, policy, **fields):
    """The page reads the real clock: the exam stays open for a year unless ``fields`` say
    when it closed."""
    fields.setdefault("closes_at", timezone.now() + timedelta(days=365))
    Exam.objects.filter(pk=kit.exam.pk).update(review_policy=policy, **fields)
    kit.exam.refresh_from_db()


def page_of(client, user, attempt):
    client.force_login(user)
    response = client.get(detail_url(attempt))
    assert response.status_code == 200
    return response.content.decode()


def answered(kit):
    """A running attempt with the single choice question answered right."""
    attempt = kit.start()
    kit.answer(attempt, "single", choices=[0])
    return attempt


class TestWhileRunning:
    @pytest.mark.parametrize("policy", [Policy.AFTER_SUBMIT, Policy.AFTER_LAST_ATTEMPT])
    def test_a_running_attempt_shows_no_key_no_result_and_no_score_so_far(
        self, client, kit, policy
    ):
        set_policy(kit, policy)
        html = page_of(client, kit.learner, answered(kit))

        for revealing in KEY_MARKS:
            assert revealing not in html, revealing
        assert "so far" not in html
        assert 'id="sections-heading"' not in html  # counts of right and wrong per section
        assert 'id="results-held"' in html

    def test_a_fresh_attempt_before_any_answer_shows_no_key(self, client, kit):
        set_policy(kit, Policy.AFTER_SUBMIT)
        html = page_of(client, kit.learner, kit.start())
        assert "Correct answer" not in html

    def test_the_instructor_sees_everything_while_it_runs(self, client, kit):
        html = page_of(client, kit.instructor, answered(kit))
        for revealing in KEY_MARKS:
            assert revealing in html, revealing


class TestAfterSubmit:
    def test_after_submit_releases_the_key_at_once(self, client, kit):
        set_policy(kit, Policy.AFTER_SUBMIT)
        attempt = submit(answered(kit), now=SUBMITTED)
        html = page_of(client, kit.learner, attempt)
        assert "Correct answer" in html
        assert "<dt>Marks</dt>" in html

    def test_after_the_last_attempt_holds_the_key_while_attempts_remain(self, client, kit):
        set_policy(kit, Policy.AFTER_LAST_ATTEMPT, max_attempts=2)
        attempt = submit(answered(kit), now=SUBMITTED)

        html = page_of(client, kit.learner, attempt)

        assert "Correct answer" not in html
        assert "9.81 ± 0.05" not in html
        assert "Once no attempt is left, or the exam closed".lower() in html
        # The total is no per-answer result: it stays.
        assert "4.00 / 24.00" in html

    def test_after_the_last_attempt_releases_the_key_once_none_is_left(self, client, kit):
        set_policy(kit, Policy.AFTER_LAST_ATTEMPT, max_attempts=2)
        first = submit(answered(kit), now=SUBMITTED)
        submit(kit.start(now=SUBMITTED + timedelta(minutes=1)), now=SUBMITTED + timedelta(hours=1))

        assert "Correct answer" in page_of(client, kit.learner, first)

    def test_unlimited_attempts_release_the_key_when_the_exam_closes(self, client, kit):
        set_policy(kit, Policy.AFTER_LAST_ATTEMPT, max_attempts=None)
        attempt = submit(answered(kit), now=SUBMITTED)
        assert "Correct answer" not in page_of(client, kit.learner, attempt)

        set_policy(kit, Policy.AFTER_LAST_ATTEMPT, closes_at=NOW + timedelta(hours=2))
        assert "Correct answer" in page_of(client, kit.learner, attempt)

    def test_never_keeps_the_key_from_learners(self, client, kit):
        set_policy(kit, Policy.NEVER, closes_at=NOW + timedelta(hours=2))
        attempt = submit(answered(kit), now=SUBMITTED)
        html = page_of(client, kit.learner, attempt)
        assert "Correct answer" not in html
        assert "This exam does not show its key" in html


Content = Exam.ReviewContent


class TestWhatIsReleased:
    """``Exam.review_content``: once the policy releases the review, the score only, the
    results without the key, or everything including explanations."""

    def released(self, kit, content):
        set_policy(kit, Policy.AFTER_SUBMIT)
        Exam.objects.filter(pk=kit.exam.pk).update(review_content=content)
        single = kit.eq["single"].question
        type(single).objects.filter(pk=single.pk).update(
            explanation_html="<p>Because <b>choice 0</b> is the capital.</p>"
        )
        return submit(answered(kit), now=SUBMITTED)

    def test_score_only_shows_the_total_and_nothing_per_answer(self, client, kit):
        html = page_of(client, kit.learner, self.released(kit, Content.SCORE))

        for revealing in (*KEY_MARKS, "<h4>Explanation</h4>"):
            assert revealing not in html, revealing
        assert 'id="sections-heading"' not in html
        assert "4.00 / 24.00" in html
        assert "This exam does not show its key" in html

    def test_correctness_shows_results_and_marks_but_no_key(self, client, kit):
        html = page_of(client, kit.learner, self.released(kit, Content.CORRECTNESS))

        assert "<dt>Marks</dt>" in html
        assert 'id="sections-heading"' in html
        for revealing in ("Correct answer", "9.81 ± 0.05", "Paris", "<dt>Key</dt>"):
            assert revealing not in html, revealing
        assert "<h4>Explanation</h4>" not in html
        assert 'id="key-held"' in html

    def test_everything_shows_the_key_and_sanitised_explanations(self, client, kit):
        html = page_of(client, kit.learner, self.released(kit, Content.EVERYTHING))

        for revealing in KEY_MARKS:
            assert revealing in html, revealing
        assert "<h4>Explanation</h4><p>Because <b>choice 0</b> is the capital.</p>" in html

    @pytest.mark.parametrize("content", list(Content))
    def test_the_instructor_sees_everything_whatever_is_released(self, client, kit, content):
        html = page_of(client, kit.instructor, self.released(kit, content))
        for revealing in (*KEY_MARKS, "<h4>Explanation</h4>"):
            assert revealing in html, revealing

    @pytest.mark.parametrize(
        ("content", "results", "key"),
        [
            (Content.SCORE, False, False),
            (Content.CORRECTNESS, True, False),
            (Content.EVERYTHING, True, True),
        ],
    )
    def test_the_rule(self, kit, content, results, key):
        attempt = self.released(kit, content)
        attempt.exam.refresh_from_db()
        assert access.review_of(kit.learner, attempt, now=SUBMITTED) == (results, key)
        assert access.learner_review(kit.learner, attempt, now=SUBMITTED) == content

    def test_held_back_by_the_policy_only_the_score_is_released(self, kit):
        attempt = self.released(kit, Content.EVERYTHING)
        set_policy(kit, Policy.NEVER)
        attempt.exam.refresh_from_db()
        assert access.learner_review(kit.learner, attempt, now=SUBMITTED) == Content.SCORE
        assert access.review_of(kit.learner, attempt, now=SUBMITTED) == (False, False)


class TestTheRule:
    """``Exam.results_released`` and ``lms.access.can_see_results`` on their own."""

    @pytest.mark.parametrize(
        ("policy", "max_attempts", "used", "closed", "released"),
        [
            (Policy.AFTER_SUBMIT, None, 1, False, True),
            (Policy.AFTER_LAST_ATTEMPT, 3, 2, False, False),
            (Policy.AFTER_LAST_ATTEMPT, 3, 3, False, True),
            (Policy.AFTER_LAST_ATTEMPT, None, 9, False, False),
            (Policy.AFTER_LAST_ATTEMPT, None, 1, True, True),
            (Policy.AFTER_CLOSE, 1, 1, False, False),
            (Policy.AFTER_CLOSE, 1, 1, True, True),
            (Policy.NEVER, 1, 1, True, False),
        ],
    )
    def test_results_released(self, policy, max_attempts, used, closed, released):
        exam = Exam(
            review_policy=policy,
            max_attempts=max_attempts,
            closes_at=NOW - timedelta(seconds=1) if closed else NOW + timedelta(days=1),
        )
        assert exam.results_released(now=NOW, attempts_used=used) is released

    def test_another_learner_never_sees_the_results(self, kit, django_user_model):
        set_policy(kit, Policy.AFTER_SUBMIT)
        attempt = submit(answered(kit), now=SUBMITTED)
        other = django_user_model.objects.create(username="mallory")
        assert access.can_see_results(kit.learner, attempt, now=SUBMITTED)
        assert not access.can_see_results(other, attempt, now=SUBMITTED)
