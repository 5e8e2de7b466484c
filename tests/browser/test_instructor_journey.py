"""An instructor's journey through the attempt pages, in a real browser (chromium).

Sign in through the form, filter and sort an exam's attempt list, export it as CSV, open an
attempt, award marks to an essay, use the sort links from the keyboard, read the attempt at
phone width. Screenshots for a human reviewer are saved under ``tests/artifacts/``.

Data: the kit exam (tests/attempts/conftest.py: 6 questions × 4 marks, max 24, negative 1,
pass mark 50 %), six attempts built through the services. Expected numbers are worked out by
hand beside the answers that produce them.
"""

import csv
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from playwright.sync_api import Page, expect

from assessments.models import Exam
from attempts.models import Attempt
from tests import play

D = Decimal
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


# ------------------------------------------------------------------------------ data


@dataclass
class Journey:
    kit: object
    attempts: dict  # username -> Attempt
    list_url: str

    def detail_url(self, username: str) -> str:
        return reverse("attempt-detail", args=[self.attempts[username].pk])


@pytest.fixture
def journey(transactional_db, live_server, kit) -> Journey:
    """Six attempts of the kit exam, started 5 minutes apart, the last one still running.

    Real time rather than the kit's fixed NOW: the running attempt's deadline is then still
    ahead, and its time taken reads as minutes, not weeks.
    """
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=2)
    Exam.objects.filter(pk=kit.exam.pk).update(
        opens_at=start - timedelta(days=1), closes_at=start + timedelta(days=30)
    )
    kit.exam.refresh_from_db()
    taking = timedelta(minutes=30)  # each submitted attempt took half an hour

    def attempt_of(username, minute):
        learner = kit.learner if username == "ada" else kit.enrol(username)
        at = start + timedelta(minutes=minute)
        return kit.start(learner, now=at), at

    # ada: 4 correct, multiple and essay blank: 4 × 4 = 16 of 24 = 66.67 %, pass
    ada, at = attempt_of("ada", 0)
    kit.answer(ada, "single", choices=[0], now=at)
    kit.answer(ada, "true_false", choices=[0], now=at)
    kit.answer(ada, "numeric", number=D("9.81"), now=at)
    kit.answer(ada, "short", text="Paris", now=at)
    ada = play.submit(ada, now=at + taking)
    # grace: single and true/false right: 8 of 24 = 33.33 %, fail
    grace, at = attempt_of("grace", 5)
    kit.answer(grace, "single", choices=[0], now=at)
    kit.answer(grace, "true_false", choices=[0], now=at)
    grace = play.submit(grace, now=at + taking)
    # alan: 4 - 1 + 4 = 7 of 24 = 29.17 %, fail
    alan, at = attempt_of("alan", 10)
    kit.answer(alan, "single", choices=[0], now=at)
    kit.answer(alan, "true_false", choices=[1], now=at)
    kit.answer(alan, "numeric", number=D("9.81"), now=at)
    alan = play.submit(alan, now=at + taking)
    # linus: one wrong answer, negative marks: -1 of 24 = -4.17 %, fail
    linus, at = attempt_of("linus", 15)
    kit.answer(linus, "single", choices=[2], now=at)
    linus = play.submit(linus, now=at + taking)
    # barbara: 4 + 2 (2 of 3 keys, partial) - 1 + 4 + 4 + essay pending = 13, pending evaluation
    barbara, at = attempt_of("barbara", 20)
    kit.answer(barbara, "single", choices=[0], now=at)
    kit.answer(barbara, "multiple", choices=[0, 1], now=at)
    kit.answer(barbara, "true_false", choices=[1], now=at)
    kit.answer(barbara, "numeric", number=D("9.84"), now=at)
    kit.answer(barbara, "short", text=" paris ", now=at)
    kit.answer(barbara, "essay", text="Light bends because its speed changes.", now=at)
    barbara = play.submit(barbara, now=at + taking)
    # edsger: started last, still running, one answer saved
    edsger, at = attempt_of("edsger", 25)
    kit.answer(edsger, "single", choices=[0], now=at)

    made = {
        "ada": ada,
        "grace": grace,
        "alan": alan,
        "linus": linus,
        "barbara": barbara,
        "edsger": edsger,
    }
    states = {name: attempt.state for name, attempt in made.items()}
    assert states == {
        "ada": Attempt.State.COMPLETED,
        "grace": Attempt.State.COMPLETED,
        "alan": Attempt.State.COMPLETED,
        "linus": Attempt.State.COMPLETED,
        "barbara": Attempt.State.PENDING_EVALUATION,
        "edsger": Attempt.State.RUNNING,
    }
    return Journey(kit, made, reverse("exam-attempts", args=[kit.exam.pk]))


# ------------------------------------------------------------------------------ reading


def sign_in(page: Page, live_server, next_path: str) -> None:
    """Through the login form, as the kit's instructor; lands on ``next_path``."""
    page.goto(f"{live_server.url}{next_path}")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill("teacher")
    page.get_by_label("Password").fill("pass")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}{next_path}")
    expect(page.get_by_role("button", name="Sign out teacher")).to_be_visible()


def attempts_table(page: Page):
    return page.get_by_role("table", name=re.compile(r"^Attempts of "))


def header_texts(page: Page) -> list[str]:
    """The column headers as read on screen (the visually hidden ", sort" left out)."""
    return (
        attempts_table(page)
        .locator("thead th")
        .evaluate_all(
            """ths => ths.map(th => {
            const copy = th.cloneNode(true);
            copy.querySelectorAll('.visually-hidden').forEach(e => e.remove());
            return copy.textContent.trim();
        })"""
        )
    )


def screen_rows(page: Page) -> list[dict[str, str]]:
    """Body rows of the attempt table, header -> cell text, in the order shown."""
    headers = header_texts(page)
    cells = (
        attempts_table(page)
        .locator("tbody tr")
        .evaluate_all(
            """trs => trs.map(tr => [...tr.cells].map(td => {
            const link = td.querySelector('a'), small = td.querySelector('small');
            // The learner cell: name (the link) over the username.
            if (link && small) return `${link.textContent.trim()} (${small.textContent.trim()})`;
            return td.textContent.trim();
        }))"""
        )
    )
    return [dict(zip(headers, row, strict=True)) for row in cells]


def learners(page: Page) -> list[str]:
    return [row["Learner"] for row in screen_rows(page)]


def sort_header(page: Page, name: str):
    return attempts_table(page).get_by_role("columnheader", name=re.compile(rf"^{name}\b"))


def summary(page: Page) -> dict[str, str]:
    pairs = page.locator(".summary-grid dl").evaluate_all(
        "dls => dls.map(dl => [dl.querySelector('dt').textContent.trim(),"
        " dl.querySelector('dd').textContent.trim()])"
    )
    return dict(pairs)


def overflow(page: Page) -> dict:
    """How wide the document is against the viewport, each table against its wrapper, and
    what sticks out of the viewport without a scrolling wrapper to hold it (for the message)."""
    return page.evaluate(
        r"""() => {
            const width = window.innerWidth;
            // Inside a scrolling wrapper and clipped by it: in the flow, or positioned
            // against the wrapper or something in it (else it escapes the wrapper's clip).
            const held = el => {
                const wrap = el.parentElement.closest('.table-wrap');
                const position = getComputedStyle(el).position;
                if (!wrap || position === 'fixed') return false;
                return position !== 'absolute' || wrap.contains(el.offsetParent);
            };
            return {
                scrollWidth: document.documentElement.scrollWidth,
                innerWidth: width,
                tablesOutsideWrap: [...document.querySelectorAll('table')]
                    .filter(t => !t.closest('.table-wrap')).length,
                wraps: [...document.querySelectorAll('.table-wrap')].map(w => ({
                    overflowX: getComputedStyle(w).overflowX,
                    right: w.getBoundingClientRect().right,
                    scrolls: w.scrollWidth > w.clientWidth,
                })),
                stickingOut: [...document.querySelectorAll('body *')]
                    .filter(el => el.getBoundingClientRect().right > width + 1 && !held(el))
                    .slice(0, 12)
                    .map(el => `${el.tagName.toLowerCase()}${el.className ? '.' + el.className : ''}`
                        + ` "${el.textContent.trim().replace(/\s+/g, ' ').slice(0, 20)}"`
                        + ` right=${Math.round(el.getBoundingClientRect().right)}px`),
            };
        }"""
    )


def too_wide(layout: dict) -> str:
    return (
        f"the page is {layout['scrollWidth']}px wide in a {layout['innerWidth']}px viewport; "
        f"sticking out: {layout['stickingOut']}"
    )


# ------------------------------------------------------------------------------ the journey


class TestInstructorJourney:
    def test_signs_in_filters_sorts_and_opens_an_attempt(
        self, page: Page, live_server, journey, artifacts
    ):
        sign_in(page, live_server, journey.list_url)

        # Given every attempt, newest start first (the default sort)
        assert learners(page) == [
            "Edsger (edsger)",
            "Barbara (barbara)",
            "Linus (linus)",
            "Alan (alan)",
            "Grace (grace)",
            "Ada (ada)",
        ]
        # edsger's 60 minutes ran out 25 minutes ago: overdue, not just running
        assert [row["State"] for row in screen_rows(page)] == [
            "Overdue",
            "Pending evaluation",
            "Completed",
            "Completed",
            "Completed",
            "Completed",
        ]

        # When filtered to completed attempts
        page.get_by_label("State").select_option(label="Completed")
        page.get_by_role("button", name="Filter", exact=True).click()
        expect(page).to_have_url(re.compile(r"[?&]state=1\b"))
        expect(page.get_by_label("State")).to_have_value("1")
        assert learners(page) == ["Linus (linus)", "Alan (alan)", "Grace (grace)", "Ada (ada)"]

        # When sorted by score: ascending, then descending on a second click
        score = sort_header(page, "Score")
        expect(score).to_have_attribute("aria-sort", "none")
        score.get_by_role("link").click()
        expect(sort_header(page, "Score")).to_have_attribute("aria-sort", "ascending")
        expect(sort_header(page, "Started")).to_have_attribute("aria-sort", "none")
        rows = screen_rows(page)
        assert [(row["Learner"], row["Score"]) for row in rows] == [
            ("Linus (linus)", "-1.00"),
            ("Alan (alan)", "7.00"),
            ("Grace (grace)", "8.00"),
            ("Ada (ada)", "16.00"),
        ]
        assert [row["Percentage"] for row in rows] == ["-4.17", "29.17", "33.33", "66.67"]
        assert [row["Result"] for row in rows] == ["Fail", "Fail", "Fail", "Pass"]
        # Rank: 1 + the ranked attempts scoring more (the running and pending ones are not)
        assert [row["Rank"] for row in rows] == ["4", "3", "2", "1"]
        sort_header(page, "Score").get_by_role("link").click()
        expect(sort_header(page, "Score")).to_have_attribute("aria-sort", "descending")
        expect(page).to_have_url(re.compile(r"[?&]sort=-score\b"))
        assert [(row["Learner"], row["Score"]) for row in screen_rows(page)] == [
            ("Ada (ada)", "16.00"),
            ("Grace (grace)", "8.00"),
            ("Alan (alan)", "7.00"),
            ("Linus (linus)", "-1.00"),
        ]
        page.screenshot(path=artifacts / "attempt_list.png", full_page=True)

        # When a learner is searched too: the state filter and the sort are kept
        page.get_by_label("Learner").fill("ada")
        page.get_by_role("button", name="Filter", exact=True).click()
        expect(page).to_have_url(re.compile(r"learner=ada"))
        expect(sort_header(page, "Score")).to_have_attribute("aria-sort", "descending")
        assert learners(page) == ["Ada (ada)"]

        # Then her attempt opens from the learner link, with its summary
        attempts_table(page).get_by_role("link", name="Ada", exact=True).click()
        expect(page).to_have_url(f"{live_server.url}{journey.detail_url('ada')}")
        expect(page.get_by_role("heading", level=1)).to_contain_text("attempt #1")
        figures = summary(page)
        assert figures["Score"] == "16.00 / 24.00"
        assert figures["Percentage"] == "66.67 %"
        assert figures["Result"] == "Pass"
        assert figures["Rank"] == "1 of 4"  # ada, grace, alan, linus are ranked
        assert figures["Time taken"] == "0:30:00"
        assert figures["State"] == "Completed"

    def test_csv_export_has_the_rows_and_columns_on_screen(
        self, page: Page, live_server, journey, tmp_path
    ):
        # Completed attempts only: a running attempt's time taken grows between the page and
        # the download, so its cell could differ by a second.
        sign_in(page, live_server, f"{journey.list_url}?state=1&sort=-score")
        headers, rows = header_texts(page), screen_rows(page)
        assert len(rows) == 4

        with page.expect_download() as download:
            page.get_by_role("link", name="CSV", exact=True).click()
        exam_slug = slugify(journey.kit.exam.title)
        assert download.value.suggested_filename == f"attempts-{exam_slug}.csv"
        path = tmp_path / "attempts.csv"
        download.value.save_as(path)
        with path.open(newline="", encoding="utf-8") as handle:
            exported = list(csv.reader(handle))

        # The export has more columns than the screen: learner name, username and email
        # apart, the attempt id and number, times in the user's zone (named in the header).
        assert "Learner name" in exported[0]
        assert "Started (UTC)" in exported[0]
        headers = exported[0]
        assert len(exported) - 1 == len(rows)
        for on_screen, line in zip(rows, exported[1:], strict=True):
            cells = dict(zip(exported[0], line, strict=True))
            assert on_screen["Learner"] == f"{cells['Learner name']} ({cells['Username']})"
            assert on_screen["Email"] == cells["Email"]
            assert on_screen["Attempt"] == f"#{cells['Attempt number']}"
            assert on_screen["Started"] == f"{cells['Started (UTC)'][:16]} UTC"
            for column in ("State", "Time taken", "Correct", "Score", "Percentage", "Result"):
                assert on_screen[column] == cells[column], column
            assert on_screen["Rank"] == cells["Rank"]
        # The score column, in the order shown: -1.00 stays a number (no formula escape)
        assert [line[headers.index("Score")] for line in exported[1:]] == [
            "16.00",
            "8.00",
            "7.00",
            "-1.00",
        ]

    def test_sort_links_are_reached_and_followed_with_the_keyboard(
        self, page: Page, live_server, journey
    ):
        sign_in(page, live_server, journey.list_url)
        # The last link before the table; Tab moves on to "finalize now" (edsger is overdue),
        # then to the first sort link.
        page.get_by_role("link", name="XLSX with marks per question").focus()
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Finalize the selected now")).to_be_focused()
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => ({text: document.activeElement.textContent,"
            " href: document.activeElement.getAttribute('href'),"
            " visible: document.activeElement.matches(':focus-visible'),"
            " header: document.activeElement.closest('th')?.getAttribute('aria-sort')})"
        )
        assert focused == {
            "text": "Learner, sort",
            "href": "?sort=learner",
            "visible": True,
            "header": "none",
        }
        expect(sort_header(page, "Learner").get_by_role("link")).to_be_focused()

        # Learner, Email, Attempt, State, Started, (Time taken is not sortable), Correct,
        # Incorrect, Partial, Unanswered, Score: nine more Tabs
        for _ in range(9):
            page.keyboard.press("Tab")
        score_link = sort_header(page, "Score").get_by_role("link")
        expect(score_link).to_be_focused()
        page.keyboard.press("Enter")
        expect(sort_header(page, "Score")).to_have_attribute("aria-sort", "ascending")
        # Every attempt, lowest score first; stored scores of running and pending attempts are
        # their marks so far (edsger: single +4; barbara: 13 before her essay)
        assert [(row["Learner"], row["Score"]) for row in screen_rows(page)] == [
            ("Linus (linus)", "-1.00"),
            ("Edsger (edsger)", "4.00"),
            ("Alan (alan)", "7.00"),
            ("Grace (grace)", "8.00"),
            ("Barbara (barbara)", "13.00 provisional"),
            ("Ada (ada)", "16.00"),
        ]

    def test_marking_an_essay_completes_the_attempt(
        self, page: Page, live_server, journey, artifacts
    ):
        sign_in(page, live_server, f"{journey.list_url}?state=2")
        assert learners(page) == ["Barbara (barbara)"]
        attempts_table(page).get_by_role("link", name="Barbara", exact=True).click()
        expect(page).to_have_url(f"{live_server.url}{journey.detail_url('barbara')}")

        # Given the attempt waiting for its essay: 13 of 24 so far, no verdict, no rank
        expect(page.get_by_role("status")).to_contain_text("1 essay of this attempt awaits marks")
        before = summary(page)
        assert before["Score"] == "13.00 / 24.00 (provisional)"
        assert before["Percentage"] == "54.17 % (provisional)"
        assert before["Result"] == "Awaiting marking"
        assert before["Rank"] == "—"
        assert before["State"] == "Pending evaluation"

        # When the essay gets 3.5 marks with a comment
        form = page.get_by_role("form", name="Evaluate question 6")
        form.get_by_label("Marks").fill("3.5")
        form.get_by_label("Comment").fill("Clear, but name Snell's law.")
        form.get_by_role("button", name="Save marks").click()

        # Then: 13 + 3.5 = 16.5 of 24 = 68.75 %, pass mark 50 %; best of the 5 ranked attempts
        expect(page.get_by_role("status")).to_have_text("Marks saved: 3.50 of 4.00.")
        after = summary(page)
        assert after["Score"] == "16.50 / 24.00"
        assert after["Percentage"] == "68.75 %"
        assert after["Result"] == "Pass"
        assert after["Rank"] == "1 of 5"
        assert after["State"] == "Completed"
        essay = page.locator("article.question").filter(
            has=page.get_by_role("heading", name=re.compile(r"^Question 6"))
        )
        expect(essay.locator(".evaluation-note")).to_contain_text("Evaluated by Teacher on")
        expect(essay.locator(".evaluation-note")).to_contain_text(": 3.50 of 4.00.")
        expect(essay.locator(".evaluation-note")).to_contain_text(
            "Comment: Clear, but name Snell's law."
        )
        expect(essay).to_contain_text("3.50 of 4.00")
        expect(page.get_by_role("form", name="Evaluate question 6")).to_have_count(0)
        page.screenshot(path=artifacts / "attempt_detail.png", full_page=True)

        # And the list shows the attempt completed, at the top by score
        page.get_by_role("link", name=re.compile(r"^All attempts of ")).click()
        page.get_by_label("State").select_option(label="Completed")
        page.get_by_role("button", name="Filter", exact=True).click()
        sort_header(page, "Score").get_by_role("link").click()
        sort_header(page, "Score").get_by_role("link").click()
        expect(sort_header(page, "Score")).to_have_attribute("aria-sort", "descending")
        top = screen_rows(page)[0]
        assert (top["Learner"], top["State"], top["Score"], top["Rank"]) == (
            "Barbara (barbara)",
            "Completed",
            "16.50",
            "1",
        )

    def test_attempt_detail_fits_a_phone_screen(self, page: Page, live_server, journey, artifacts):
        sign_in(page, live_server, journey.detail_url("barbara"))
        page.set_viewport_size(PHONE)
        page.reload()
        expect(page.get_by_role("form", name="Evaluate question 6")).to_be_visible()
        # Saved first: the picture is most useful when the checks below fail.
        page.screenshot(path=artifacts / "attempt_detail_phone.png", full_page=True)

        layout = overflow(page)
        assert layout["scrollWidth"] <= layout["innerWidth"] + 1, too_wide(layout)
        assert layout["tablesOutsideWrap"] == 0
        # The statistics tables are wider than a phone: they scroll inside their wrapper
        assert layout["wraps"], layout
        assert all(w["overflowX"] == "auto" for w in layout["wraps"]), layout
        assert all(w["right"] <= layout["innerWidth"] + 1 for w in layout["wraps"]), layout
        assert any(w["scrolls"] for w in layout["wraps"]), layout

    @pytest.mark.parametrize(
        ("viewport", "picture"),
        [(PHONE, "attempt_list_phone.png"), (DESKTOP, None)],
        ids=["phone", "desktop"],
    )
    def test_attempt_list_scrolls_its_table_not_the_page(
        self, page: Page, live_server, journey, artifacts, viewport, picture
    ):
        sign_in(page, live_server, journey.list_url)
        page.set_viewport_size(viewport)
        page.reload()
        expect(attempts_table(page)).to_be_visible()
        if picture:
            page.screenshot(path=artifacts / picture, full_page=True)

        layout = overflow(page)
        assert layout["scrollWidth"] <= layout["innerWidth"] + 1, too_wide(layout)
        assert layout["tablesOutsideWrap"] == 0
        assert [w["overflowX"] for w in layout["wraps"]] == ["auto"], layout
        assert layout["wraps"][0]["right"] <= layout["innerWidth"] + 1, layout


# ------------------------------------------------------------------------------ security


def test_main_pages_report_no_content_security_policy_violation(page: Page, live_server, journey):
    """Every page sends the policy (lms/settings.py) and chromium refuses nothing on it: no
    inline script, style attribute or handler is left, the charts' SVG included."""
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    policies = {}
    page.on(
        "response",
        lambda response: (
            policies.setdefault(response.url, response.headers.get("content-security-policy"))
            if response.request.resource_type == "document"
            else None
        ),
    )
    exam = journey.kit.exam.pk
    sign_in(page, live_server, journey.list_url)  # the login page, then the attempt list
    for path in (
        journey.detail_url("barbara"),  # charts, an essay form
        journey.detail_url("ada"),
        reverse("exam-summary", args=[exam]),
        reverse("courses"),
        reverse("evaluation-queue"),
        reverse("api:docs"),
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    expect(page.locator(".swagger-ui .info")).to_be_visible()  # Swagger UI ran its scripts

    assert violations == []
    assert len(policies) >= 8
    missing = [url for url, header in policies.items() if not header]
    assert missing == []
    assert all("unsafe-inline" not in header for header in policies.values())
