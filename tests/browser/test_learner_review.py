"""What a learner sees of a submitted attempt, as the exam's review content says (issue 16,
item 7): the results without the key, then, once the instructor releases everything, the key
and the explanation. The submissions API obeys the same rule (tests/attempts/api/submissions).

Kit (tests/attempts/conftest.py): ada answers the single choice question right (choice 0) and
the true/false one wrong: 4 - 1 = 3 of 24 marks.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from assessments.models import Exam, Question
from tests import play


@pytest.fixture
def submitted(transactional_db, live_server, kit):
    now = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    Exam.objects.filter(pk=kit.exam.pk).update(
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
        review_policy=Exam.ReviewPolicy.AFTER_SUBMIT,
        review_content=Exam.ReviewContent.CORRECTNESS,
    )
    Question.objects.filter(pk=kit.eq["single"].question_id).update(
        explanation_html="<p>Choice 0 is the <strong>capital</strong>.</p>"
    )
    kit.exam.refresh_from_db()
    attempt = kit.start(now=now)
    kit.answer(attempt, "single", choices=[0], now=now)
    kit.answer(attempt, "true_false", choices=[1], now=now)
    return kit, play.submit(attempt, now=now + timedelta(minutes=10))


def test_results_first_then_the_key_and_explanations(page: Page, live_server, submitted):
    kit, attempt = submitted
    url = f"{live_server.url}{reverse('attempt-detail', args=[attempt.pk])}"
    page.goto(url)
    page.get_by_label("Username").fill(kit.learner.username)
    page.get_by_label("Password").fill("pass")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(url)

    first = page.locator(f"#q{kit.eq['single'].pk}")
    expect(page.locator("#key-held")).to_contain_text("not the key or explanations")
    expect(first).to_contain_text("Correct")  # its result
    expect(first).to_contain_text("4.00 of 4")  # its marks
    expect(page.get_by_text("Correct answer")).to_have_count(0)
    expect(page.get_by_role("heading", name="Explanation")).to_have_count(0)

    Exam.objects.filter(pk=kit.exam.pk).update(review_content=Exam.ReviewContent.EVERYTHING)
    page.reload()

    expect(page.locator("#key-held")).to_have_count(0)
    expect(first.get_by_text("Correct answer")).to_have_count(1)
    expect(first.locator(".explanation")).to_contain_text("Choice 0 is the capital.")
    expect(first.locator(".explanation strong")).to_have_text("capital")
