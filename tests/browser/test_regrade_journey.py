"""Regrade with a dry-run preview, undo, and an override with its history, in a browser.

The author fixes the key of the kit's single choice question (choice 1, not choice 0). The
instructor opens the regrade preview from the exam summary, reads what would change, commits
with a reason, reads the regrade's page, undoes it, then overrides one answer from the
attempt page and reads the answer's marks history.

Kit (tests/attempts/conftest.py): 6 questions × 4 marks (max 24), negative 1, pass mark 50 %.
- ada: single choice 0, multiple 0+1+2, true/false 0 = 12 (50.00 %, pass); after the fix
  -1 + 4 + 4 = 7 (29.17 %, fail).
- grace: single choice 1, multiple 0+1+2, true/false 0 = -1 + 8 = 7 (fail); after 12 (pass).
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from assessments.models import AnswerChoice, Exam
from assessments.services import exams_marking_changed
from attempts.models import Attempt
from tests import play


@pytest.fixture
def fixed_key(transactional_db, live_server, kit):
    now = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    Exam.objects.filter(pk=kit.exam.pk).update(
        opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=30)
    )
    kit.exam.refresh_from_db()
    made = {}
    for learner, single in ((kit.learner, 0), (kit.enrol("grace"), 1)):
        attempt = kit.start(learner, now=now)
        kit.answer(attempt, "single", choices=[single], now=now)
        kit.answer(attempt, "multiple", choices=[0, 1, 2], now=now)
        kit.answer(attempt, "true_false", choices=[0], now=now)
        made[learner.username] = play.submit(attempt, now=now + timedelta(minutes=20))
    first, second = kit.choices["single"][:2]
    AnswerChoice.objects.filter(pk=first.pk).update(is_correct=False)
    AnswerChoice.objects.filter(pk=second.pk).update(is_correct=True)
    exams_marking_changed(exam_ids=[kit.exam.pk], now=timezone.now())
    return kit, made


def cells(page: Page, table_id: str) -> list[list[str]]:
    return page.locator(f"#{table_id} tbody tr").evaluate_all(
        "trs => trs.map(tr => [...tr.cells].map(td => td.innerText.trim()))"
    )


def test_preview_commit_undo_then_override_with_history(
    page: Page, live_server, fixed_key, artifacts
):
    kit, made = fixed_key
    summary = reverse("exam-summary", args=[kit.exam.pk])
    page.goto(f"{live_server.url}{summary}")
    page.get_by_label("Username").fill("teacher")
    page.get_by_label("Password").fill("pass")
    page.get_by_role("button", name="Sign in").click()

    # From the summary to the preview: totals and each learner's before → after.
    page.get_by_role("link", name="Regrade…").click()
    expect(page.get_by_role("heading", name=f"Regrade {kit.exam.title}")).to_be_visible()
    totals = page.locator("#regrade-totals")
    expect(totals).to_contain_text("Results that change2")
    expect(totals).to_contain_text("Pass → fail1")
    expect(totals).to_contain_text("Fail → pass1")
    rows = {row[0].split()[-1]: row[2:] for row in cells(page, "regrade-rows")}
    # score before, after; result before, after; rank before, after; percentile before, after
    assert rows == {
        "ada": ["12.00", "7.00", "Pass", "Fail", "1", "2", "100.00", "50.00"],
        "grace": ["7.00", "12.00", "Fail", "Pass", "2", "1", "50.00", "100.00"],
    }
    page.screenshot(path=artifacts / "regrade-preview.png", full_page=True)
    assert Attempt.objects.get(pk=made["ada"].pk).score == 12  # the preview wrote nothing

    # Commit without a reason: refused beside the field; with one: done.
    page.get_by_role("button", name="Commit the regrade").click()
    expect(page.get_by_text("Say why the exam is regraded.")).to_be_visible()
    page.get_by_label("Reason").fill("Choice 1 is the right answer to question 1")
    page.get_by_role("button", name="Commit the regrade").click()
    expect(page.locator("#regrade-status")).to_have_text("Done")
    expect(page.locator("#regrade-facts")).to_contain_text("Results changed2")
    expect(page.locator("#regrade-progress")).to_have_attribute("value", "2")
    page.screenshot(path=artifacts / "regrade-done.png", full_page=True)
    assert Attempt.objects.get(pk=made["ada"].pk).score == 7

    # Undo: the scores come back; the banner offers the regrade again.
    page.get_by_role("button", name="Undo this regrade").click()
    expect(page.get_by_role("status").first).to_contain_text("Regrade undone: 2 attempt(s)")
    expect(page.locator("#regrade-status")).to_have_text("Undone")
    assert Attempt.objects.get(pk=made["ada"].pk).score == 12
    page.goto(f"{live_server.url}{summary}")
    expect(page.locator("#rescore-banner")).to_contain_text("Preview the regrade")

    # Override ada's true/false answer (right: 4) down to 2, with a comment.
    page.goto(f"{live_server.url}{reverse('attempt-detail', args=[made['ada'].pk])}")
    question = page.locator(f"#q{kit.eq['true_false'].pk}")
    question.get_by_text("Override the marks of question 3").click()
    question.get_by_label(re.compile(r"^Marks \(-1.00 to 4.00\)")).fill("9")
    question.get_by_label("Why").fill("Reasoning shown was wrong")
    question.get_by_role("button", name="Save override").click()
    expect(page.get_by_role("alert").first).to_contain_text("The marks were not saved")
    question = page.locator(f"#q{kit.eq['true_false'].pk}")
    expect(question).to_contain_text("Set between -1.00 and 4.00 marks.")
    question.get_by_label(re.compile(r"^Marks \(")).fill("2")
    question.get_by_role("button", name="Save override").click()
    expect(page.get_by_role("status").first).to_contain_text("Marks overridden: 2.00.")
    history = page.locator(f"#history-q{kit.eq['true_false'].pk}")
    expect(history).to_contain_text("Overridden")
    expect(history).to_contain_text("Correct → Partly correct")
    expect(history).to_contain_text("4.00 → 2.00")
    expect(history).to_contain_text("Reasoning shown was wrong")
    # The single choice answer's history keeps the regrade and its undo.
    single = page.locator(f"#history-q{kit.eq['single'].pk}")
    expect(single).to_contain_text("Regraded")
    expect(single).to_contain_text("Regrade undone")
    # An override rescores the attempt with the current key (as an evaluation does): ada's
    # single choice answer is wrong again, recorded as a rescore. -1 + 4 + 2 = 5.
    expect(single.locator("tbody tr").last).to_contain_text("Rescored")
    page.screenshot(path=artifacts / "override-history.png", full_page=True)
    assert Attempt.objects.get(pk=made["ada"].pk).score == 5
