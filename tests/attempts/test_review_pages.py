"""The attempt page, essay evaluation and the evaluation queue (attempts/review_views.py).

Attempts are built through the services on the kit exam (tests/attempts/conftest.py:
6 questions × 4 marks, max 24, negative 1, pass mark 50 %, 60 minutes); the expected numbers
are worked out by hand in the comments next to them.

Who sees what: the detail page follows ``Attempt.objects.visible_to`` (reviewers of the
course and the learner; anyone else 404), evaluation follows ``reviewable_by`` (forms,
the POST endpoint, the queue).
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from assessments.models import Question
from attempts.models import Attempt, UserAnswer
from attempts.statistics import attempt_statistics
from tests.attempts.conftest import NOW
from tests.factories import (
    AnswerChoiceFactory,
    CourseFactory,
    EnrollmentFactory,
    ExamFactory,
    ExamQuestionFactory,
    QuestionFactory,
    SectionFactory,
    StaffFactory,
    SubjectFactory,
    UserFactory,
)
from tests.play import play, submit

D = Decimal
QUEUE_URL = reverse("evaluation-queue")
# Attempts here start at NOW; those submitted are submitted half an hour later.
SUBMITTED = NOW + timedelta(minutes=30)
PAYLOADS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")


# ------------------------------------------------------------------------------ building


def enrol(kit, username):
    learner = UserFactory(username=username)
    EnrollmentFactory(user=learner, course=kit.course, enrolled_at=NOW - timedelta(days=2))
    return learner


def mixed_without_essay(kit, attempt):
    kit.answer(attempt, "single", choices=[0], time_spent_seconds=40)  # key: +4 correct
    kit.answer(attempt, "multiple", choices=[0, 1], flagged=True)  # 2 of 3 keys: +2 partial
    kit.answer(attempt, "true_false", choices=[1])  # wrong: -1 incorrect
    kit.answer(attempt, "numeric", number=D("9.84"))  # within 9.81 ± 0.05: +4
    kit.answer(attempt, "short", text="  paris ")  # normalised match: +4


@pytest.fixture
def ranked(kit):
    """Two completed attempts: ada 4 + 2 - 1 + 4 + 4 = 13 (essay blank), bob 4 (single only)."""
    ada = kit.start()
    mixed_without_essay(kit, ada)
    bob = kit.start(enrol(kit, "bob"))
    kit.answer(bob, "single", choices=[0])
    return submit(ada, now=SUBMITTED), submit(bob, now=SUBMITTED)


@pytest.fixture
def pending(kit):
    """ada's attempt waiting for its essay: 13 of 24 so far, pending evaluation."""
    attempt = kit.start()
    mixed_without_essay(kit, attempt)
    kit.answer(attempt, "essay", text="Because <b>gravity</b> pulls.")
    attempt = submit(attempt, now=SUBMITTED)
    essay = UserAnswer.objects.get(attempt=attempt, exam_question=kit.eq["essay"])
    return attempt, essay


@pytest.fixture
def outsider(db):
    """An instructor, but of another course."""
    teacher = UserFactory(username="other-teacher")
    CourseFactory(instructors=[teacher])
    return teacher


# ------------------------------------------------------------------------------ reading


def detail_url(attempt):
    return reverse("attempt-detail", args=[attempt.pk])


def evaluate_url(answer_row):
    return reverse("answer-evaluate", args=[answer_row.pk])


def summary(response) -> dict[str, str]:
    """The summary figures of the detail page, term → value."""
    html = response.content.decode()
    section = re.search(r'id="summary-heading".*?</section>', html, re.S).group(0)
    return dict(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", section))


def has_form(response, answer_row) -> bool:
    return f'action="{evaluate_url(answer_row)}"' in response.content.decode()


def field_errors(response, answer_row, field="marks") -> list[str]:
    """Messages of the error list tied to one field of one answer's form (its id is in the
    input's aria-describedby), i.e. shown beside that field."""
    html = response.content.decode()
    error_id = f"answer{answer_row.pk}-{field}_error"
    match = re.search(rf'<ul class="errorlist" id="{error_id}">(.*?)</ul>', html, re.S)
    if not match:
        return []
    field_tag = re.search(rf'<[^>]*id="answer{answer_row.pk}-{field}"[^>]*>', html).group(0)
    assert error_id in field_tag
    assert 'aria-invalid="true"' in field_tag
    return re.findall(r"<li>(.*?)</li>", match.group(1))


def table_rows(response, caption_start) -> list[list[str]]:
    """Cells (tags stripped) of the body rows of the table whose caption starts so."""
    html = response.content.decode()
    table = re.search(
        rf"<caption>{re.escape(caption_start)}.*?<tbody>(.*?)</tbody>", html, re.S
    ).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    return [
        [
            re.sub(r"<span class=\"visually-hidden\">.*?</span>|<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in rows
    ]


def unchanged(attempt, essay):
    essay.refresh_from_db()
    attempt.refresh_from_db()
    return (
        essay.evaluated_marks is None
        and essay.result == "pending"
        and attempt.state == Attempt.State.PENDING_EVALUATION
        and attempt.score == D("13.00")
    )


# ------------------------------------------------------------------------------ access


class TestDetailAccess:
    def test_anonymous_is_sent_to_sign_in(self, client, pending):
        attempt, _ = pending
        response = client.get(detail_url(attempt))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_learner_reads_their_own_attempt_without_forms(self, client, kit, pending):
        attempt, essay = pending
        client.force_login(kit.learner)
        response = client.get(detail_url(attempt))
        assert response.status_code == 200
        assert response.context["can_evaluate"] is False
        assert not has_form(response, essay)
        assert "Because &lt;b&gt;gravity&lt;/b&gt; pulls." in response.content.decode()

    def test_learner_gets_404_on_another_learners_attempt(self, client, kit, pending):
        attempt, _ = pending
        client.force_login(enrol(kit, "eve"))
        assert client.get(detail_url(attempt)).status_code == 404

    def test_instructor_of_the_course_gets_the_form(self, client, kit, pending):
        attempt, essay = pending
        client.force_login(kit.instructor)
        response = client.get(detail_url(attempt))
        assert response.status_code == 200
        assert has_form(response, essay)
        assert f'href="{reverse("exam-attempts", args=[kit.exam.pk])}"' in response.content.decode()

    def test_instructor_of_another_course_gets_404(self, client, pending, outsider):
        attempt, _ = pending
        client.force_login(outsider)
        assert client.get(detail_url(attempt)).status_code == 404

    def test_admin_gets_the_form(self, client, pending):
        attempt, essay = pending
        client.force_login(StaffFactory())
        response = client.get(detail_url(attempt))
        assert response.status_code == 200
        assert has_form(response, essay)

    def test_missing_attempt_is_404(self, client, db):
        client.force_login(StaffFactory())
        assert client.get(reverse("attempt-detail", args=[999999])).status_code == 404


class TestEvaluateAccess:
    def test_anonymous_is_sent_to_sign_in_and_nothing_is_saved(self, client, pending):
        attempt, essay = pending
        response = client.post(evaluate_url(essay), {"marks": "3"})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert unchanged(attempt, essay)

    def test_the_learner_cannot_mark_their_own_essay(self, client, kit, pending):
        attempt, essay = pending
        client.force_login(kit.learner)
        assert client.post(evaluate_url(essay), {"marks": "4"}).status_code == 404
        assert unchanged(attempt, essay)

    def test_instructor_of_another_course_gets_404(self, client, pending, outsider):
        attempt, essay = pending
        client.force_login(outsider)
        assert client.post(evaluate_url(essay), {"marks": "3"}).status_code == 404
        assert unchanged(attempt, essay)

    def test_get_is_not_allowed(self, client, kit, pending):
        _, essay = pending
        client.force_login(kit.instructor)
        assert client.get(evaluate_url(essay)).status_code == 405

    def test_admin_may_evaluate(self, client, pending):
        attempt, essay = pending
        client.force_login(StaffFactory())
        response = client.post(evaluate_url(essay), {"marks": "2.5"})
        assert response.status_code == 303
        attempt.refresh_from_db()
        assert attempt.score == D("15.50")  # 13 + 2.5


class TestQueueAccess:
    def test_anonymous_is_sent_to_sign_in(self, client):
        response = client.get(QUEUE_URL)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_learners_get_403(self, client, kit, pending):
        client.force_login(kit.learner)
        assert client.get(QUEUE_URL).status_code == 403

    def test_instructor_of_another_course_does_not_see_the_essay(self, client, pending, outsider):
        client.force_login(outsider)
        response = client.get(QUEUE_URL)
        assert response.status_code == 200
        assert list(response.context["answers"]) == []
        assert "No essay awaits marks." in response.content.decode()

    @pytest.mark.parametrize("who", ["instructor", "admin"])
    def test_reviewers_of_the_course_see_the_essay(self, client, kit, pending, who):
        attempt, essay = pending
        client.force_login(kit.instructor if who == "instructor" else StaffFactory())
        response = client.get(QUEUE_URL)
        assert response.status_code == 200
        assert list(response.context["answers"]) == [essay]
        html = response.content.decode()
        assert f'href="{detail_url(attempt)}#q{kit.eq["essay"].pk}"' in html
        assert has_form(response, essay)
        assert f'name="next" value="{QUEUE_URL}"' in html


# ------------------------------------------------------------------------------ the detail page


class TestDetailContent:
    def test_summary_of_the_top_attempt(self, client, kit, ranked):
        ada, _ = ranked
        client.force_login(kit.instructor)
        figures = summary(client.get(detail_url(ada)))
        assert figures == {
            "Score": "13.00 / 24.00",
            "Percentage": "54.17 %",  # 13 / 24 = 54.166… → 54.17
            "Result": "Pass",  # pass mark 50 %
            "Rank": "1 of 2",  # nobody above 13
            "Percentile": "100.00",  # 2 of 2 score <= 13
            "Time taken": "0:30:00",  # submitted 30 minutes after the start
            "Remaining time": "0:00:00",  # finished
            "Speed (questions/min)": "0.17",  # 5 answered / 30 min = 0.1666…
            "Attempt": "#1",
            "State": "Completed",
        }

    def test_summary_of_the_second_attempt(self, client, kit, ranked):
        _, bob = ranked
        client.force_login(kit.instructor)
        figures = summary(client.get(detail_url(bob)))
        assert figures["Score"] == "4.00 / 24.00"
        assert figures["Percentage"] == "16.67 %"  # 4 / 24 = 16.666…
        assert figures["Result"] == "Fail"
        assert figures["Rank"] == "2 of 2"  # ada's 13 above
        assert figures["Percentile"] == "50.00"  # 1 of 2 score <= 4
        assert figures["Speed (questions/min)"] == "0.03"  # 1 / 30 = 0.0333…

    def test_no_rank_while_an_essay_awaits_marks(self, client, kit, pending):
        attempt, _ = pending
        client.force_login(kit.instructor)
        figures = summary(client.get(detail_url(attempt)))
        assert (figures["Rank"], figures["Percentile"]) == ("—", "—")
        assert figures["State"] == "Pending evaluation"

    def test_sections_table_counts_by_hand(self, client, kit, ranked):
        ada, _ = ranked
        client.force_login(kit.learner)
        response = client.get(detail_url(ada))
        rows = table_rows(response, "Questions by section")
        # columns: section, questions, correct, partial, incorrect, unanswered, pending, score, time
        first, second = (kit.eq["single"].section.title, kit.eq["numeric"].section.title)
        assert rows == [
            # single +4, multiple +2 partial, true/false -1: 5.00; 40 s on single
            [first, "3", "1", "1", "1", "0", "0", "5.00", "0:00:40"],
            # numeric +4, short +4, essay blank
            [second, "3", "2", "0", "0", "1", "0", "8.00", "0:00:00"],
        ]

    def test_questions_show_choices_answers_keys_and_results(self, client, kit, ranked):
        ada, _ = ranked
        client.force_login(kit.learner)
        response = client.get(detail_url(ada))
        questions = response.context["questions"]
        assert [q.result_label for q in questions] == [
            "Correct",
            "Partly correct",
            "Incorrect",
            "Correct",
            "Correct",
            "Unanswered",
        ]
        multiple = questions[1]
        assert [(c.chosen, c.is_key) for c in multiple.choices] == [
            (True, True),
            (True, True),
            (False, True),
            (False, False),
        ]
        html = response.content.decode()
        assert (
            html.count('<span aria-hidden="true">●</span> Chosen') == 1 + 2 + 1
        )  # single, multiple, true/false
        assert html.count('<span aria-hidden="true">✓</span> Correct answer') == 1 + 3 + 1
        assert '<span aria-hidden="true">◐</span> Partly correct' in html
        assert '<span aria-hidden="true">✗</span> Incorrect' in html
        assert "9.84" in html
        assert "9.81 ± 0.05" in html
        assert "paris" in html
        assert "Paris" in html
        assert '<span aria-hidden="true">⚑</span> Yes' in html  # multiple was flagged for review

    def test_a_running_attempt_lists_unsaved_questions_as_unanswered(self, client, kit):
        attempt = kit.start()
        kit.answer(attempt, "single", choices=[0])
        assert UserAnswer.objects.filter(attempt=attempt).count() == 1
        client.force_login(kit.instructor)
        response = client.get(detail_url(attempt))
        results = [q.result for q in response.context["questions"]]
        assert results == ["correct"] + ["unanswered"] * 5
        assert summary(response)["Score"] == "4.00 / 24.00 so far"

    def test_running_essays_get_no_form(self, client, kit):
        attempt = kit.start()
        essay = kit.answer(attempt, "essay", text="Draft")
        client.force_login(kit.instructor)
        assert not has_form(client.get(detail_url(attempt)), essay)

    @pytest.mark.parametrize("state", ["running", "pending evaluation"])
    def test_statistics_are_those_of_attempt_statistics(self, client, kit, state):
        # The page assembles the statistics from the rows it loads anyway (two queries fewer);
        # they must stay exactly what the API's attempt_statistics reports.
        physics = SubjectFactory(name="Physics", parent=SubjectFactory(name="Science"))
        Question.objects.filter(pk=kit.eq["single"].question_id).update(subject=physics)
        Question.objects.filter(pk=kit.eq["essay"].question_id).update(difficulty=None)
        attempt = kit.start()
        mixed_without_essay(kit, attempt)
        kit.answer(attempt, "essay", text="Because.")
        if state != "running":
            attempt = submit(attempt, now=SUBMITTED)
        client.force_login(kit.instructor)
        context = client.get(detail_url(attempt)).context
        assert context["stats"] == attempt_statistics(attempt, now=context["now"])

    def test_stored_html_is_sanitised(self, client, kit, pending):
        attempt, _ = pending
        dirty = "<p>Pick <b>one</b></p>" + "".join(PAYLOADS)
        Question.objects.filter(pk=kit.eq["single"].question_id).update(text_html=dirty)
        kit.choices["single"][0].text_html = "<i>first</i>" + "".join(PAYLOADS)
        kit.choices["single"][0].save()
        client.force_login(kit.instructor)
        html = client.get(detail_url(attempt)).content.decode()
        assert "<p>Pick <b>one</b></p>" in html
        assert "<i>first</i>" in html
        assert "<script" not in html
        assert "alert(1)" not in html
        assert "onerror" not in html


class TestSubjectTree:
    def test_parents_roll_up_their_subtree_and_no_subject_comes_last(self, client, kit, ranked):
        ada, _ = ranked
        science = SubjectFactory(name="Science")
        physics = SubjectFactory(name="Physics", parent=science)
        optics = SubjectFactory(name="Optics", parent=physics)
        Question.objects.filter(pk=kit.eq["single"].question_id).update(subject=optics)
        Question.objects.filter(pk=kit.eq["numeric"].question_id).update(subject=physics)
        client.force_login(kit.instructor)
        response = client.get(detail_url(ada))
        rows = table_rows(response, "Questions by subject")
        assert [row[:3] for row in rows] == [
            ["Science", "2", "2"],  # single (Optics) and numeric (Physics), both correct
            ["Physics", "2", "2"],
            ["Optics", "1", "1"],
            ["No subject", "4", "1"],  # multiple, true/false, short (correct), essay
        ]
        html = response.content.decode()
        assert 'class="subject-depth-2">Optics<span class="visually-hidden"> (in Physics)' in html


# ------------------------------------------------------------------------------ evaluating


class TestEvaluate:
    def test_marking_the_last_essay_completes_the_attempt_and_empties_the_queue(
        self, client, kit, pending
    ):
        attempt, essay = pending
        client.force_login(kit.instructor)
        before = summary(client.get(detail_url(attempt)))
        assert (before["Score"], before["Percentage"], before["State"]) == (
            "13.00 / 24.00",
            "54.17 %",
            "Pending evaluation",
        )
        assert list(client.get(QUEUE_URL).context["answers"]) == [essay]

        response = client.post(
            evaluate_url(essay), {"marks": "3", "comment": "Good", "next": QUEUE_URL}
        )

        assert response.status_code == 303
        assert response["Location"] == QUEUE_URL
        queue = client.get(QUEUE_URL)
        assert list(queue.context["answers"]) == []
        assert "Marks saved: 3.00 of 4.00." in queue.content.decode()
        after = summary(client.get(detail_url(attempt)))
        assert after == {
            **before,
            "Score": "16.00 / 24.00",  # 13 + 3
            "Percentage": "66.67 %",  # 16 / 24 = 66.666…
            "Result": "Pass",
            "Rank": "1 of 1",  # the only completed attempt
            "Percentile": "100.00",
            "State": "Completed",
        }

    def test_without_next_it_returns_to_the_question(self, client, kit, pending):
        attempt, essay = pending
        client.force_login(kit.instructor)
        response = client.post(evaluate_url(essay), {"marks": "4", "comment": "Spot on"})
        assert response.status_code == 303
        assert response["Location"] == f"{detail_url(attempt)}#q{kit.eq['essay'].pk}"
        page = client.get(detail_url(attempt))
        html = page.content.decode()
        assert "Marks saved: 4.00 of 4.00." in html
        assert "Comment: Spot on" in html
        assert not has_form(page, essay)  # marked: no longer awaiting evaluation

    def test_a_foreign_next_is_ignored(self, client, kit, pending):
        attempt, essay = pending
        client.force_login(kit.instructor)
        response = client.post(evaluate_url(essay), {"marks": "1", "next": "https://evil.example/"})
        assert response["Location"] == f"{detail_url(attempt)}#q{kit.eq['essay'].pk}"

    @pytest.mark.parametrize(
        ("marks", "message"),
        [
            ("abc", "Enter a number."),
            ("NaN", "Enter a number."),
            ("4.01", "Award between 0 and 4.00 marks."),  # the question is worth 4
            ("-1", "Award between 0 and 4.00 marks."),
            ("", "This field is required."),
            ("1.234", "Ensure that there are no more than 2 decimal places."),
        ],
    )
    def test_bad_marks_are_refused_beside_the_field(self, client, kit, pending, marks, message):
        attempt, essay = pending
        client.force_login(kit.instructor)
        response = client.post(evaluate_url(essay), {"marks": marks, "next": QUEUE_URL})
        assert response.status_code == 400
        assert field_errors(response, essay) == [message]
        html = response.content.decode()
        assert "The marks were not saved" in html
        assert f'name="next" value="{QUEUE_URL}"' in html  # a retry still returns to the queue
        assert unchanged(attempt, essay)

    def test_an_answer_that_is_not_an_essay_is_refused(self, client, kit, pending):
        attempt, _ = pending
        single = UserAnswer.objects.get(attempt=attempt, exam_question=kit.eq["single"])
        client.force_login(kit.instructor)
        response = client.post(evaluate_url(single), {"marks": "1"})
        assert response.status_code == 400
        assert field_errors(response, single) == ["Only essay answers are evaluated by hand."]
        single.refresh_from_db()
        assert (single.result, single.marks_awarded, single.evaluated_marks) == (
            "correct",
            D("4.00"),
            None,
        )

    def test_a_running_attempt_is_refused_with_409(self, client, kit):
        attempt = kit.start()
        essay = kit.answer(attempt, "essay", text="Draft")
        client.force_login(kit.instructor)
        response = client.post(evaluate_url(essay), {"marks": "1"})
        assert response.status_code == 409
        assert "The attempt is still running" in response.content.decode()
        essay.refresh_from_db()
        assert essay.evaluated_marks is None

    def test_an_unanswered_essay_is_refused_with_409(self, client, kit, ranked):
        ada, _ = ranked
        blank = UserAnswer.objects.get(attempt=ada, exam_question=kit.eq["essay"])
        client.force_login(kit.instructor)
        response = client.post(evaluate_url(blank), {"marks": "1"})
        assert response.status_code == 409
        assert "nothing to evaluate" in response.content.decode()

    def test_a_missing_answer_is_404(self, client, db):
        client.force_login(StaffFactory())
        assert (
            client.post(reverse("answer-evaluate", args=[999999]), {"marks": "1"}).status_code
            == 404
        )


# ------------------------------------------------------------------------------ the queue


class TestQueue:
    def test_oldest_first_and_running_attempts_left_out(self, client, kit):
        late, early, running = (enrol(kit, name) for name in ("late", "early", "running"))
        for learner, minute in ((late, 20), (early, 10)):
            attempt = kit.start(learner)
            kit.answer(attempt, "essay", text=f"By {learner}", now=NOW + timedelta(minutes=minute))
            submit(attempt, now=SUBMITTED)
        kit.answer(kit.start(running), "essay", text="Still writing")
        client.force_login(kit.instructor)
        response = client.get(QUEUE_URL)
        assert [a.attempt.user.username for a in response.context["answers"]] == ["early", "late"]
        assert "2 essays awaiting marks" in response.content.decode()

    def test_question_html_becomes_a_plain_excerpt(self, client, kit, pending):
        Question.objects.filter(pk=kit.eq["essay"].question_id).update(
            text_html="<p>Explain <b>why</b> &amp; how</p>" + "".join(PAYLOADS)
        )
        client.force_login(kit.instructor)
        html = client.get(QUEUE_URL).content.decode()
        assert "Explain why &amp; how" in html
        assert "<script" not in html
        assert "alert(1)" not in html
        assert "onerror" not in html
        assert "Because &lt;b&gt;gravity&lt;/b&gt; pulls." in html  # the learner's text, escaped

    def test_pages_of_25(self, client, kit):
        essay_exam(kit, 26)
        client.force_login(kit.instructor)
        first = client.get(QUEUE_URL)
        assert len(first.context["answers"]) == 25
        assert "Page 1 of 2" in first.content.decode()
        assert len(client.get(QUEUE_URL, {"page": 2}).context["answers"]) == 1
        # past the end (its last essay just marked): the last page, not a 404
        assert client.get(QUEUE_URL, {"page": 9}).status_code == 200


# ------------------------------------------------------------------------------ query budgets


def question_bank_exam(kit, n):
    """An exam of ``n`` questions cycling through every type, with a subject tree, and a
    learner's completed attempt that answers each question (choices selected where any)."""
    course = kit.course
    exam = ExamFactory(course=course, duration=timedelta(minutes=60))
    sections = [SectionFactory(exam=exam, order=i) for i in range(2)]
    root = SubjectFactory(name=f"Root {n}")
    leaf = SubjectFactory(name=f"Leaf {n}", parent=root)
    kinds = [
        Question.Type.SINGLE,
        Question.Type.MULTIPLE,
        Question.Type.TRUE_FALSE,
        Question.Type.NUMERIC,
        Question.Type.SHORT_TEXT,
        Question.Type.ESSAY,
    ]
    placed = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        question = QuestionFactory(
            type=kind,
            subject=(root, leaf, None)[i % 3],
            numeric_answer=D("1") if kind == Question.Type.NUMERIC else None,
            accepted_answers=["x"] if kind == Question.Type.SHORT_TEXT else [],
        )
        choices = []
        if question.has_choices:
            choices = [
                AnswerChoiceFactory(question=question, is_correct=j == 0, order=j) for j in range(3)
            ]
        eq = ExamQuestionFactory(exam=exam, section=sections[i % 2], question=question, order=i)
        placed.append((eq, choices))
    answers = [
        (
            eq,
            {
                "choices": choices[:1],
                "text": "x" if eq.question.type != Question.Type.NUMERIC else "",
                "number": D("1") if eq.question.type == Question.Type.NUMERIC else None,
                "time_spent_seconds": 5,
            },
        )
        for eq, choices in placed
    ]
    return play(exam, kit.learner, answers, submit_at=NOW + timedelta(minutes=10))


def essay_exam(kit, n):
    """An exam of ``n`` essays, all answered in one submitted attempt: ``n`` pending answers."""
    exam = ExamFactory(course=kit.course)
    section = SectionFactory(exam=exam)
    eqs = [
        ExamQuestionFactory(
            exam=exam, section=section, question=QuestionFactory(type=Question.Type.ESSAY)
        )
        for _ in range(n)
    ]
    answers = [
        (eq, {"text": "An essay", "now": NOW + timedelta(minutes=minute)})
        for minute, eq in enumerate(eqs)
    ]
    return play(exam, kit.learner, answers, submit_at=NOW + timedelta(hours=1))


class TestQueryBudgets:
    def test_detail_page_runs_the_same_queries_at_5_and_40_questions(
        self, client, kit, django_assert_max_num_queries
    ):
        small, large = question_bank_exam(kit, 5), question_bank_exam(kit, 40)
        client.force_login(kit.instructor)
        counts = []
        for attempt in (small, large):
            # session, user, is_reviewer (navigation; an instructor is not staff), the attempt
            # with its can_review flag, exam questions + question + subject, their choices,
            # answers + evaluator, their selected choices, sections, subjects, standing: 11
            with django_assert_max_num_queries(12) as captured:
                response = client.get(detail_url(attempt))
            assert response.status_code == 200
            assert len(response.context["questions"]) == attempt.total_questions
            counts.append(len(captured))
        assert counts[0] == counts[1] == 11

    def test_a_running_attempt_stays_within_the_budget(
        self, client, kit, django_assert_max_num_queries
    ):
        attempt = kit.start()
        kit.answer(attempt, "single", choices=[0])  # one answer row of six questions
        client.force_login(kit.instructor)
        # the same 11 queries minus subjects (no question of the kit has one): 10
        with django_assert_max_num_queries(12) as captured:
            assert client.get(detail_url(attempt)).status_code == 200
        assert len(captured) == 10

    def test_queue_runs_the_same_queries_at_1_and_20_essays(
        self, client, kit, django_assert_max_num_queries
    ):
        client.force_login(kit.instructor)
        counts = []
        for added, listed in ((1, 1), (19, 20)):
            essay_exam(kit, added)
            # session, user, is_reviewer, count, the page (answers + attempt + learner +
            # exam + exam question + question): 5
            with django_assert_max_num_queries(5) as captured:
                response = client.get(QUEUE_URL)
            assert len(response.context["answers"]) == listed
            counts.append(len(captured))
        assert counts[0] == counts[1] == 5
