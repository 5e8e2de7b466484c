"""The attempt page (attempts/web/attempt_detail.py): who sees it, its summary, statistics
and questions, and its query budget.

Attempts are built through the services on the kit exam (tests/attempts/conftest.py:
6 questions × 4 marks, max 24, negative 1, pass mark 50 %, 60 minutes; the played attempts
are in tests/attempts/web/conftest.py); the expected numbers are worked out by hand in the
comments next to them.

Who sees it: ``Attempt.objects.visible_to`` (reviewers of the course and the learner; anyone
else 404); the evaluation forms on it follow ``reviewable_by``.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from assessments.models import Question
from attempts.models import UserAnswer
from attempts.statistics.attempt import attempt_statistics
from tests.attempts.conftest import NOW
from tests.attempts.web.conftest import (
    PAYLOADS,
    SUBMITTED,
    detail_url,
    has_form,
    mixed_without_essay,
    summary,
)
from tests.factories import (
    AnswerChoiceFactory,
    ExamFactory,
    ExamQuestionFactory,
    QuestionFactory,
    SectionFactory,
    StaffFactory,
    SubjectFactory,
)
from tests.play import play, submit

D = Decimal


# ------------------------------------------------------------------------------ reading


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
        client.force_login(kit.enrol("eve"))
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


class TestQueryBudgets:
    def test_detail_page_runs_the_same_queries_at_5_and_40_questions(
        self, client, kit, django_assert_num_queries
    ):
        small, large = question_bank_exam(kit, 5), question_bank_exam(kit, 40)
        client.force_login(kit.instructor)
        for attempt in (small, large):
            # session, user, is_reviewer (navigation; an instructor is not staff), the attempt
            # with its can_review flag, exam questions + question + subject, their choices,
            # answers + evaluator, their selected choices, the answers' mark changes (+ actor),
            # sections, subjects, standing, the history (events + actor)
            with django_assert_num_queries(13):
                response = client.get(detail_url(attempt))
            assert response.status_code == 200
            assert len(response.context["questions"]) == attempt.total_questions

    def test_a_running_attempt_stays_within_the_budget(
        self, client, kit, django_assert_num_queries
    ):
        attempt = kit.start()
        kit.answer(attempt, "single", choices=[0])  # one answer row of six questions
        client.force_login(kit.instructor)
        # the queries of a submitted attempt but subjects (no question of the kit has one):
        # session, user, is_reviewer, the attempt with its can_review flag, exam questions +
        # question + subject, their choices, answers + evaluator, their selected choices,
        # the answers' mark changes (+ actor), sections, standing, the history (events + actor)
        with django_assert_num_queries(12):
            assert client.get(detail_url(attempt)).status_code == 200
