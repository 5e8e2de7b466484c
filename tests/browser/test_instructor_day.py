"""The instructor's working day in chromium: overdue attempts closed from the list, one
attempt given more time, the list's total, page size, bad input and filters, the XLSX export,
the display time zone, and grading an essay question answer by answer with the keyboard.

Data: the kit exam (60 minutes, 6 questions × 4 marks, the essay 6th). Real time: the exam is
opened around now. ada started 3 hours ago and never submitted (overdue); bob started 10
minutes ago (running); ann, ben and cat submitted with only their essay answered (pending).
"""

import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from assessments.models import Exam
from attempts.models import Attempt, UserAnswer
from tests import play
from tests.browser.test_instructor_journey import screen_rows, sign_in


@pytest.fixture
def day(transactional_db, live_server, kit):
    now = timezone.now().replace(microsecond=0)
    Exam.objects.filter(pk=kit.exam.pk).update(
        opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=30)
    )
    kit.exam.refresh_from_db()
    ada = kit.start(now=now - timedelta(hours=3))
    bob = kit.start(kit.enrol("bob"), now=now - timedelta(minutes=10))
    essays = []
    for name in ("ann", "ben", "cat"):
        attempt = kit.start(kit.enrol(name), now=now - timedelta(minutes=50))
        kit.answer(attempt, "essay", text=f"Essay by {name}", now=now - timedelta(minutes=45))
        play.submit(attempt, now=now - timedelta(minutes=40))
        essays.append(UserAnswer.objects.get(attempt=attempt, exam_question=kit.eq["essay"]))
    return {"kit": kit, "ada": ada, "bob": bob, "essays": essays}


def list_url(kit) -> str:
    return reverse("exam-attempts", args=[kit.exam.pk])


class TestInstructorDay:
    def test_overdue_attempts_are_labelled_and_finalized_from_the_list(
        self, page: Page, live_server, day, artifacts
    ):
        kit = day["kit"]
        sign_in(page, live_server, list_url(kit))
        expect(page.locator("#total")).to_contain_text("5 attempts")
        states = {row["Learner"]: row["State"] for row in screen_rows(page)}
        assert states["Ada (ada)"] == "Overdue"
        assert states["Bob (bob)"] == "Running"
        page.screenshot(path=artifacts / "attempt_list_overdue.png", full_page=True)

        # Select ada's overdue attempt and finalize it now
        page.get_by_label("Select the overdue attempt of ada").check()
        page.get_by_role("button", name="Finalize the selected now").click()
        expect(page.get_by_role("status").first).to_have_text("Finalized 1 overdue attempt.")
        states = {row["Learner"]: row["State"] for row in screen_rows(page)}
        assert states["Ada (ada)"] == "Completed"
        ada = Attempt.objects.get(pk=day["ada"].pk)
        # Time taken is the hour allowed, not the three hours since she started
        assert ada.time_taken() == timedelta(minutes=60)
        expect(page.get_by_role("button", name="Finalize the selected now")).to_have_count(0)

    def test_an_instructor_extends_a_running_attempt(self, page: Page, live_server, day):
        bob = day["bob"]
        before = bob.deadline_at
        sign_in(page, live_server, reverse("attempt-detail", args=[bob.pk]))
        form = page.locator("#extend")
        form.get_by_label("Extra minutes").fill("0")
        form.get_by_role("button", name="Extend the deadline").click()
        expect(page.locator("#extend-errors")).to_contain_text("greater than or equal to 1")
        page.locator("#extend").get_by_label("Extra minutes").fill("20")
        page.locator("#extend").get_by_role("button", name="Extend the deadline").click()
        expect(page.get_by_role("status").first).to_contain_text("The deadline is now")
        bob.refresh_from_db()
        assert bob.deadline_at == before + timedelta(minutes=20)
        expect(page.locator("#history")).to_contain_text("Deadline extended")

    def test_page_size_bad_input_filters_and_time_zone(self, page: Page, live_server, day):
        kit = day["kit"]
        sign_in(page, live_server, list_url(kit))
        page.get_by_label("Rows a page").select_option("25")
        page.get_by_label("Attempts", exact=True).select_option(label="First attempt")
        page.get_by_role("button", name="Filter", exact=True).click()
        expect(page).to_have_url(re.compile(r"per_page=25.*which=first|which=first.*per_page=25"))
        assert len(screen_rows(page)) == 5

        # A page past the end says so (a 400), never a silent first page
        response = page.goto(f"{live_server.url}{list_url(kit)}?page=9")
        assert response.status == 400
        expect(page.locator("#paging-errors")).to_contain_text("There is no page 9")
        response = page.goto(f"{live_server.url}{list_url(kit)}?sort=password")
        assert response.status == 400
        expect(page.locator("#paging-errors")).to_contain_text("is not a column")

        # The display time zone: picked on the preferences page, named beside the times
        page.get_by_role("link", name="Preferences").click()
        page.get_by_label("Time zone").select_option("Asia/Kolkata")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("status").first).to_contain_text("Asia/Kolkata")
        page.goto(f"{live_server.url}{list_url(kit)}")
        started = [row["Started"] for row in screen_rows(page)]
        assert all(value.endswith(" IST") for value in started), started

    def test_the_xlsx_export_has_real_dates_and_a_styled_header(
        self, page: Page, live_server, day, tmp_path
    ):
        kit = day["kit"]
        sign_in(page, live_server, list_url(kit))
        with page.expect_download() as download:
            page.get_by_role("link", name="XLSX with marks per question").click()
        path = tmp_path / "attempts.xlsx"
        download.value.save_as(path)
        sheet = load_workbook(io.BytesIO(path.read_bytes())).active
        header = [cell.value for cell in sheet[1]]
        assert header[:5] == ["Attempt id", "Attempt number", "Learner name", "Username", "Email"]
        assert header[-6:] == [f"Q{n} (4.00)" for n in range(1, 7)]
        assert sheet.freeze_panes == "A2"
        assert sheet.cell(row=1, column=1).font.bold
        started = sheet.cell(row=2, column=header.index("Started (UTC)") + 1)
        assert started.is_date
        assert sheet.max_row == 6  # the header and five attempts

    def test_grading_an_essay_question_answer_by_answer(
        self, page: Page, live_server, day, artifacts
    ):
        kit = day["kit"]
        ann, ben, cat = day["essays"]
        sign_in(page, live_server, reverse("evaluation-queue"))
        page.get_by_label("Exam", exact=True).select_option(str(kit.exam.pk))
        page.get_by_role("button", name="Filter", exact=True).click()
        expect(page.locator(".queue-item")).to_have_count(3)
        page.locator(".queue-item").first.get_by_role("link", name="anonymously").click()
        expect(page.locator("#position")).to_have_text("1")
        expect(page.locator("#pending-total")).to_have_text("3")
        expect(page.locator("#answer")).to_contain_text("Essay by ann")
        expect(page.locator("#answer-heading")).to_have_text("Answer 1")  # no name
        page.screenshot(path=artifacts / "grade_question.png", full_page=True)

        # Keyboard: n goes to the next answer, p back
        page.keyboard.press("n")
        expect(page.locator("#answer")).to_contain_text("Essay by ben")
        page.keyboard.press("p")
        expect(page.locator("#answer")).to_contain_text("Essay by ann")

        # A refused mark stays on the same answer with the message beside the field
        page.keyboard.press("m")
        expect(page.get_by_label("Marks (0 to 4.00)")).to_be_focused()
        page.keyboard.type("9")
        page.get_by_role("button", name="Save marks").click()
        expect(page.locator("#answer")).to_contain_text("Essay by ann")
        expect(page.locator("#answer")).to_contain_text("Award between 0 and 4.00 marks.")

        # A valid mark saves and moves on to the next answer, still anonymous
        page.get_by_label("Marks (0 to 4.00)").fill("3")
        page.get_by_role("button", name="Save marks").click()
        expect(page.get_by_role("status").first).to_have_text("Marks saved: 3.00 of 4.00.")
        expect(page.locator("#answer")).to_contain_text("Essay by ben")
        expect(page.locator("#pending-total")).to_have_text("2")
        expect(page.locator("#answer-heading")).to_have_text("Answer 1")
        ann.refresh_from_db()
        assert ann.evaluated_marks == 3
