"""After a marks change in the Django admin, the exam's pages offer a rescore, in a browser.

An admin raises the marks of the kit's single choice question from 4 to 10 in the exam's
admin page; the exam's attempt list then shows a banner counting the finished attempts scored
before the change; its button rescores them, and the list shows the new scores.

Kit (tests/attempts/conftest.py): 6 questions × 4 marks (max 24), negative 1, pass mark 50 %.
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from assessments.models import Exam
from attempts.models import AttemptEvent
from tests import play
from tests.factories import EnrollmentFactory, StaffFactory, UserFactory


@pytest.fixture
def exam_with_attempts(transactional_db, live_server, kit):
    """ada: single right, true/false right = 8 of 24; grace: single wrong = -1 of 24."""
    now = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    Exam.objects.filter(pk=kit.exam.pk).update(
        opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=30)
    )
    kit.exam.refresh_from_db()
    grace = UserFactory(username="grace")
    EnrollmentFactory(user=grace, course=kit.course, enrolled_at=now - timedelta(days=2))
    ada_attempt = kit.start(now=now)
    kit.answer(ada_attempt, "single", choices=[0], now=now)
    kit.answer(ada_attempt, "true_false", choices=[0], now=now)
    play.submit(ada_attempt, now=now + timedelta(minutes=20))
    grace_attempt = kit.start(grace, now=now)
    kit.answer(grace_attempt, "single", choices=[2], now=now)
    play.submit(grace_attempt, now=now + timedelta(minutes=20))
    StaffFactory(username="boss")
    return kit


def scores(page: Page) -> dict[str, str]:
    table = page.get_by_role("table", name=re.compile(r"^Attempts of "))
    headers = table.locator("thead th").evaluate_all(
        "ths => ths.map(th => { const c = th.cloneNode(true);"
        " c.querySelectorAll('.visually-hidden').forEach(e => e.remove());"
        " return c.textContent.trim(); })"
    )
    # The learner cell shows the name over the username (in <small>): key by the username.
    rows = table.locator("tbody tr").evaluate_all(
        "trs => trs.map(tr => [...tr.cells].map(td =>"
        " (td.querySelector('small') || td).textContent.trim()))"
    )
    learner, score = headers.index("Learner"), headers.index("Score")
    return {row[learner]: row[score] for row in rows}


def test_a_marks_change_in_the_admin_is_rescored_from_the_attempt_list(
    page: Page, live_server, exam_with_attempts, artifacts
):
    kit = exam_with_attempts
    list_url = f"{live_server.url}{reverse('exam-attempts', args=[kit.exam.pk])}"

    # Sign in as the admin, through the admin's own login form.
    page.goto(f"{live_server.url}{reverse('admin:assessments_exam_change', args=[kit.exam.pk])}")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill("pass")
    page.get_by_role("button", name="Log in").click()

    # Before: the list shows the scores of the old marking, and no banner.
    page.goto(list_url)
    assert scores(page) == {"ada": "8.00", "grace": "-1.00"}
    expect(page.locator("#rescore-banner")).to_have_count(0)

    # The admin raises the single choice question's marks from 4 to 10 in the exam's page.
    page.goto(f"{live_server.url}{reverse('admin:assessments_exam_change', args=[kit.exam.pk])}")
    single_row = kit.eq["single"].order  # inline rows follow the exam question order
    marks = page.locator(f"#id_exam_questions-{single_row}-marks")
    expect(marks).to_have_value("4.00")
    marks.fill("10")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator("#rescore-banner")).to_contain_text(
        "2 finished attempts still have their old scores"
    )

    # The instructor pages show the banner; its button rescores.
    page.goto(list_url)
    banner = page.locator("#rescore-banner")
    expect(banner).to_contain_text("2 finished attempts still have their old scores")
    page.screenshot(path=artifacts / "rescore-banner.png", full_page=True)
    banner.get_by_role("button", name="Rescore 2 attempts").click()

    expect(page.get_by_role("status").first).to_contain_text("Rescored 2 finished attempt(s)")
    expect(page.locator("#rescore-banner")).to_have_count(0)
    # ada: 10 + 4 = 14 (of 30); grace: a wrong single choice still costs its negative mark.
    assert scores(page) == {"ada": "14.00", "grace": "-1.00"}
    # Both results changed (the maximum is 30 now), so both are recorded, by the admin.
    assert AttemptEvent.objects.filter(kind="rescored", actor__username="boss").count() == 2
