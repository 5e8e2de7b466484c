"""The admin of attempts, answers and events. It cannot corrupt results: attempts are
read-only, changes go through the services as actions, and a change of marks or key flags the
exam for a rescore. The attempt list filters, searches and sorts on stored fields; instructors
see only the attempts of their courses; the pages cost a fixed number of queries.

Kit: 6 questions × 4 marks (max 24), negative 1, pass mark 50 %, 60 minutes
(tests/attempts/conftest.py).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse

from assessments.models import AnswerChoice, Exam, ExamQuestion, Question
from attempts import paging
from attempts.admin import AttemptAdmin, UserAnswerAdmin
from attempts.models import Accommodation, Attempt, AttemptEvent, UserAnswer
from lms.models import User
from tests import play
from tests.admin_pages import at, changelist_rows, url
from tests.attempts.tally_checks import assert_sums_match
from tests.factories import (
    AnswerChoiceFactory,
    AttemptFactory,
    ExamFactory,
    UserAnswerFactory,
    UserFactory,
)
from tests.play import NOW

D = Decimal
State = Attempt.State


def score_column_index(client):
    """The ``o`` index of the score column (the action checkbox column comes first)."""
    response = client.get(url(Attempt, "changelist"))
    return response.context["cl"].list_display.index("score")


def finished(kit, *, single=0):
    """The learner's attempt with the single choice question answered (choice ``single``)."""
    attempt = kit.start()
    kit.answer(attempt, "single", choices=[single])
    return play.submit(attempt, now=NOW + timedelta(minutes=5))


def exam_question_form(eq, **changes):
    """The POST of the exam question's change form, as the admin renders it, with changes."""
    data = {
        "exam": eq.exam_id,
        "section": eq.section_id,
        "question": eq.question_id,
        "marks": eq.marks,
        "negative_marks": eq.negative_marks,
        "partial_marks": "" if eq.partial_marks is None else eq.partial_marks,
        "order": eq.order,
    }
    if eq.is_bonus:
        data["is_bonus"] = "on"
    return {**data, **changes}


def rendered_form_data(response) -> dict:
    """The POST a browser would send from an admin change form as rendered: the main form's
    and every inline form's initial values, with the inlines' management forms."""

    def values(form) -> dict:
        data = {}
        for name, field in form.fields.items():
            value = form[name].value()
            if value is None or value is False:
                continue
            key = form.add_prefix(name)
            if value is True:
                data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(item) for item in value]
            else:
                data[key] = str(field.prepare_value(value))
        return data

    data = values(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(values(formset.management_form))
        for form in formset.forms:
            data.update(values(form))
    return data


class TestAttemptsAreReadOnly:
    def test_a_post_that_tries_to_change_the_state_changes_nothing(self, admin_client, kit):
        attempt = kit.start()
        events = AttemptEvent.objects.count()

        response = admin_client.post(
            url(Attempt, "change", attempt.pk),
            {"state": State.COMPLETED, "score": "24", "attempt_number": 7, "passed": "on"},
        )

        assert response.status_code == 403
        attempt.refresh_from_db()
        assert (attempt.state, attempt.score, attempt.attempt_number) == (State.RUNNING, 0, 1)
        assert AttemptEvent.objects.count() == events

    def test_the_change_form_shows_fields_but_no_inputs(self, admin_client, kit):
        attempt = finished(kit)

        html = admin_client.get(url(Attempt, "change", attempt.pk)).content.decode()

        assert 'name="state"' not in html
        assert 'name="attempt_number"' not in html
        assert "History" in html  # the events inline

    def test_attempts_cannot_be_added_or_deleted(self, admin_client, kit):
        attempt = finished(kit)
        assert admin_client.get(url(Attempt, "add")).status_code == 403
        assert admin_client.post(url(Attempt, "delete", attempt.pk), {"post": "yes"}).status_code
        assert Attempt.objects.filter(pk=attempt.pk).exists()


class TestActions:
    def test_finalize_now_completes_running_attempts_and_records_who(self, admin_client, kit):
        running = kit.start()

        response = admin_client.post(
            url(Attempt, "changelist"),
            {"action": "finalize_now", "_selected_action": [running.pk]},
            follow=True,
        )

        assert "Finalized 1 running attempt(s)." in response.content.decode()
        running.refresh_from_db()
        assert running.state == State.COMPLETED
        event = AttemptEvent.objects.filter(attempt=running).last()
        assert (event.kind, event.actor.username) == (AttemptEvent.Kind.FINALIZED, "admin")

    def test_rescore_selected_uses_the_current_key(self, admin_client, kit):
        attempt = finished(kit, single=1)  # wrong: -1
        assert attempt.score == D("-1")
        AnswerChoice.objects.filter(pk=kit.choices["single"][0].pk).update(is_correct=False)
        AnswerChoice.objects.filter(pk=kit.choices["single"][1].pk).update(is_correct=True)

        admin_client.post(
            url(Attempt, "changelist"), {"action": "rescore", "_selected_action": [attempt.pk]}
        )

        attempt.refresh_from_db()
        assert attempt.score == D("4")
        assert AttemptEvent.objects.filter(attempt=attempt).last().kind == "rescored"


class TestMarkingChangesFlagTheExam:
    def test_changing_marks_flags_the_exam_and_the_banner_counts_finished_attempts(
        self, admin_client, kit
    ):
        finished(kit)
        eq = kit.eq["single"]
        banner = url(Exam, "change", kit.exam.pk)
        assert "rescore-banner" not in admin_client.get(banner).content.decode()

        response = admin_client.post(
            url(ExamQuestion, "change", eq.pk), exam_question_form(eq, marks="10")
        )

        assert response.status_code == 302
        kit.exam.refresh_from_db()
        assert kit.exam.marking_changed_at is not None
        html = admin_client.get(banner).content.decode()
        assert "rescore-banner" in html
        assert "1 finished attempt still has its old score" in html
        assert "Rescore 1 attempt" in html

    def test_the_banner_button_rescores_and_clears_the_flag(self, admin_client, kit):
        attempt = finished(kit)  # 4 of 24
        eq = kit.eq["single"]
        admin_client.post(url(ExamQuestion, "change", eq.pk), exam_question_form(eq, marks="10"))

        response = admin_client.post(
            reverse("admin:assessments_exam_rescore", args=[kit.exam.pk]), follow=True
        )

        assert "Rescored 1 finished attempt(s)" in response.content.decode()
        attempt.refresh_from_db()
        assert (attempt.score, attempt.max_score) == (D("10"), D("30"))
        kit.exam.refresh_from_db()
        assert kit.exam.marking_changed_at is None
        assert "rescore-banner" not in response.content.decode()

    def test_a_large_exam_is_rescored_as_a_regrade_by_a_task(self, admin_client, kit, settings):
        """Above ``REGRADE_INLINE_LIMIT`` finished attempts the button commits a regrade and
        sends its task (inline without a broker); the message links to its page."""
        from attempts.models import Regrade
        from attempts.tasks import RESCORE_REASON

        settings.REGRADE_INLINE_LIMIT = 0
        attempt = finished(kit)  # 4 of 24
        eq = kit.eq["single"]
        admin_client.post(url(ExamQuestion, "change", eq.pk), exam_question_form(eq, marks="10"))

        response = admin_client.post(
            reverse("admin:assessments_exam_rescore", args=[kit.exam.pk]), follow=True
        )

        regrade = Regrade.objects.get()
        assert (regrade.reason, regrade.status, regrade.changed) == (RESCORE_REASON, "done", 1)
        page = reverse("regrade-detail", args=[regrade.pk])
        assert (
            f"“{kit.exam}” is being rescored in the background, as a regrade: follow it on "
            f'<a href="{page}">its page</a>.'
        ) in response.text
        attempt.refresh_from_db()
        assert (attempt.score, attempt.max_score) == (D("10"), D("30"))
        assert AttemptEvent.objects.filter(attempt=attempt).last().kind == "regraded"

    def test_a_refused_task_fails_the_regrade_and_says_so(
        self, admin_client, kit, settings, monkeypatch
    ):
        from kombu.exceptions import OperationalError

        from attempts import tasks
        from attempts.models import Regrade

        def down(*args):
            raise OperationalError("connection refused")

        monkeypatch.setattr(tasks.regrade_exam, "delay", down)
        settings.REGRADE_INLINE_LIMIT = 0
        attempt = finished(kit)

        response = admin_client.post(
            url(Exam, "changelist"),
            {"action": "rescore", "_selected_action": [kit.exam.pk]},
            follow=True,
        )

        assert "was not rescored: the task queue did not answer" in response.text
        assert Regrade.objects.get().status == "failed"
        assert AttemptEvent.objects.filter(attempt=attempt).last().kind == "submitted"

    def test_a_regrade_under_way_refuses_another(self, admin_client, kit, settings):
        from attempts.models import Regrade

        settings.REGRADE_INLINE_LIMIT = 0
        finished(kit)
        Regrade.objects.create(
            exam=kit.exam, reason="earlier", actor=kit.instructor, status="running", snapshot={}
        )

        response = admin_client.post(
            reverse("admin:assessments_exam_rescore", args=[kit.exam.pk]), follow=True
        )

        assert "A regrade of this exam is already under way" in response.text
        assert Regrade.objects.count() == 1

    def test_the_rescore_url_takes_only_a_post(self, admin_client, kit):
        path = reverse("admin:assessments_exam_rescore", args=[kit.exam.pk])
        assert admin_client.get(path).status_code == 403

    def test_a_change_that_is_not_marking_leaves_the_exam_alone(self, admin_client, kit):
        eq = kit.eq["single"]
        admin_client.post(url(ExamQuestion, "change", eq.pk), exam_question_form(eq, order=9))
        kit.exam.refresh_from_db()
        assert kit.exam.marking_changed_at is None

    @pytest.mark.parametrize(
        ("field", "value"), [("negative_marks", "2"), ("partial_marks", "1"), ("is_bonus", "on")]
    )
    def test_each_marking_field_flags_the_exam(self, admin_client, kit, field, value):
        eq = kit.eq["single"]
        admin_client.post(
            url(ExamQuestion, "change", eq.pk), exam_question_form(eq, **{field: value})
        )
        kit.exam.refresh_from_db()
        assert kit.exam.marking_changed_at is not None

    def test_a_new_rank_policy_chooses_the_ranked_attempts_again(self, admin_client, kit):
        """Learner's first attempt scores -1, the retake 4: "first" ranks the -1, "best" the
        4; the stored sums of the ranked population follow."""
        first = finished(kit, single=1)
        retake = finished(kit, single=0)
        assert (first.score, retake.score) == (D("-1"), D("4"))
        assert kit.exam.rank_policy == Exam.RankPolicy.FIRST
        page = admin_client.get(url(Exam, "change", kit.exam.pk))
        data = rendered_form_data(page)
        data["rank_policy"] = Exam.RankPolicy.BEST

        response = admin_client.post(url(Exam, "change", kit.exam.pk), data, follow=True)

        assert "1 ranked attempt(s)" in response.text
        ranked = Attempt.objects.filter(exam=kit.exam, counts_for_rank=True)
        assert list(ranked.values_list("pk", flat=True)) == [retake.pk]
        assert_sums_match(kit.exam)

    def test_a_large_exam_chooses_its_ranked_attempts_by_a_task_after_the_commit(
        self, admin_client, kit, settings, django_capture_on_commit_callbacks
    ):
        """Above ``REGRADE_INLINE_LIMIT`` completed attempts the request only saves the policy;
        the task (inline without a broker) runs once the change is committed."""
        settings.REGRADE_INLINE_LIMIT = 1
        first = finished(kit, single=1)
        retake = finished(kit, single=0)
        data = rendered_form_data(admin_client.get(url(Exam, "change", kit.exam.pk)))
        data["rank_policy"] = Exam.RankPolicy.BEST

        with django_capture_on_commit_callbacks() as sent:
            response = admin_client.post(url(Exam, "change", kit.exam.pk), data, follow=True)
        still = Attempt.objects.filter(exam=kit.exam, counts_for_rank=True)
        assert list(still.values_list("pk", flat=True)) == [first.pk]  # the previous policy
        assert "being chosen again in the background" in response.text
        assert len(sent) == 1

        sent[0]()

        ranked = Attempt.objects.filter(exam=kit.exam, counts_for_rank=True)
        assert list(ranked.values_list("pk", flat=True)) == [retake.pk]
        assert_sums_match(kit.exam)

    @pytest.mark.django_db(transaction=True)  # the admin's commit runs the hook for real
    def test_a_refused_task_says_so_and_changes_no_rank(
        self, admin_client, kit, settings, monkeypatch
    ):
        from kombu.exceptions import OperationalError

        from attempts import tasks

        def down(*args):
            raise OperationalError("connection refused")

        monkeypatch.setattr(tasks.regrade_ranks, "delay", down)
        settings.REGRADE_INLINE_LIMIT = 0
        first = finished(kit, single=1)
        finished(kit, single=0)
        data = rendered_form_data(admin_client.get(url(Exam, "change", kit.exam.pk)))
        data["rank_policy"] = Exam.RankPolicy.BEST

        response = admin_client.post(url(Exam, "change", kit.exam.pk), data, follow=True)

        assert "Ranks were not refreshed. The task queue did not answer" in response.text
        ranked = Attempt.objects.filter(exam=kit.exam, counts_for_rank=True)
        assert list(ranked.values_list("pk", flat=True)) == [first.pk]
        assert_sums_match(kit.exam)

    def test_the_action_chooses_the_ranked_attempts_again(self, admin_client, kit):
        """The recovery after a refused task: the flags follow the stored policy again."""
        finished(kit, single=1)
        retake = finished(kit, single=0)
        # The policy as a refused task leaves it: saved, the flags of the previous one.
        Exam.objects.filter(pk=kit.exam.pk).update(rank_policy=Exam.RankPolicy.BEST)

        response = admin_client.post(
            url(Exam, "changelist"),
            {"action": "choose_ranked_attempts", "_selected_action": [kit.exam.pk]},
            follow=True,
        )

        assert "follow its policy: 1 ranked attempt(s)" in response.text
        ranked = Attempt.objects.filter(exam=kit.exam, counts_for_rank=True)
        assert list(ranked.values_list("pk", flat=True)) == [retake.pk]
        assert_sums_match(kit.exam)

    def test_the_task_twice_or_for_a_deleted_exam_changes_nothing(self, kit):
        from attempts.tasks import regrade_ranks

        finished(kit, single=1)
        retake = finished(kit, single=0)
        Exam.objects.filter(pk=kit.exam.pk).update(rank_policy=Exam.RankPolicy.BEST)

        regrade_ranks(kit.exam.pk)
        regrade_ranks(kit.exam.pk)
        regrade_ranks(kit.exam.pk + 1000)

        ranked = Attempt.objects.filter(exam=kit.exam, counts_for_rank=True)
        assert list(ranked.values_list("pk", flat=True)) == [retake.pk]
        assert_sums_match(kit.exam)

    @pytest.mark.parametrize(
        ("field", "value", "flagged"),
        [("pass_percentage", "60", True), ("title", "Renamed", False)],
    )
    def test_the_pass_mark_flags_the_exam_other_exam_fields_do_not(
        self, admin_client, kit, field, value, flagged
    ):
        finished(kit)
        page = admin_client.get(url(Exam, "change", kit.exam.pk))
        data = rendered_form_data(page)
        data[field] = value

        response = admin_client.post(url(Exam, "change", kit.exam.pk), data)

        assert response.status_code == 302, response.context["errors"]
        kit.exam.refresh_from_db()
        assert getattr(kit.exam, field) is not None
        assert (kit.exam.marking_changed_at is not None) is flagged

    def test_changing_a_choice_key_flags_every_exam_placing_the_question(self, admin_client, kit):
        choice = kit.choices["single"][1]
        response = admin_client.post(
            url(AnswerChoice, "change", choice.pk),
            {"question": choice.question_id, "text_html": choice.text_html, "is_correct": "on",
             "order": choice.order},
        )  # fmt: skip
        assert response.status_code == 302
        kit.exam.refresh_from_db()
        assert kit.exam.marking_changed_at is not None

    def test_changing_a_numeric_answer_flags_the_exam(self, admin_client, kit):
        question = kit.eq["numeric"].question
        response = admin_client.post(
            url(Question, "change", question.pk),
            {
                "type": question.type,
                "text_html": question.text_html,
                "explanation_html": "",
                "numeric_answer": "9.9",
                "numeric_tolerance": question.numeric_tolerance,
                "accepted_answers": "[]",
                "difficulty": "",
                "choices-TOTAL_FORMS": 0,
                "choices-INITIAL_FORMS": 0,
            },
        )
        assert response.status_code == 302, response.context["adminform"].form.errors
        kit.exam.refresh_from_db()
        assert kit.exam.marking_changed_at is not None

    def test_removing_a_question_from_the_exam_flags_it(self, admin_client, kit):
        eq = kit.eq["essay"]
        admin_client.post(url(ExamQuestion, "delete", eq.pk), {"post": "yes"})
        kit.exam.refresh_from_db()
        assert kit.exam.marking_changed_at is not None


class TestAttemptChangelist:
    @pytest.fixture
    def attempts(self, one_of_each):
        """Attempts on the 10th at noon, the 15th at noon (one_of_each's), the 15th at 23:30 and
        the 20th at midnight, of two exams in two courses."""
        other_exam = ExamFactory(title="Final")
        bob = UserFactory(username="bob", email="bob@example.com")
        return {
            "10th": AttemptFactory(user=bob, exam=one_of_each.exam, started_at=at(10)),
            "15th": one_of_each.attempt,
            "15th late": AttemptFactory(
                exam=other_exam, state=Attempt.State.COMPLETED, started_at=at(15, 23, 30)
            ),
            "20th": AttemptFactory(exam=other_exam, started_at=at(20, 0)),
        }

    @staticmethod
    def rows(admin_client, attempts, **params):
        """The names of the attempts the changelist shows, in its order."""
        response = admin_client.get(url(Attempt, "changelist"), params)
        assert response.status_code == 200
        names = {attempt.pk: name for name, attempt in attempts.items()}
        return [names[attempt.pk] for attempt in changelist_rows(response)]

    def test_lists_newest_first(self, admin_client, attempts):
        assert self.rows(admin_client, attempts) == ["20th", "15th late", "15th", "10th"]

    def test_started_on_or_after_includes_the_whole_first_day(self, admin_client, attempts):
        rows = self.rows(admin_client, attempts, started_at__date__gte="2024-01-15")
        assert rows == ["20th", "15th late", "15th"]

    def test_started_on_or_before_includes_the_whole_last_day(self, admin_client, attempts):
        rows = self.rows(admin_client, attempts, started_at__date__lte="2024-01-15")
        assert rows == ["15th late", "15th", "10th"]

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            # The last day of the calendar has no next midnight: was an OverflowError, a 500.
            ({"started_at__date__lte": "9999-12-31"}, ["20th", "15th late", "15th", "10th"]),
            ({"started_at__date__gte": "9999-12-31"}, []),
            ({"started_at__date__gte": "0001-01-01"}, ["20th", "15th late", "15th", "10th"]),
            ({"started_at__date__lte": "0001-01-01"}, []),
        ],
    )
    def test_the_ends_of_the_calendar_are_valid_bounds(
        self, admin_client, attempts, params, expected
    ):
        assert self.rows(admin_client, attempts, **params) == expected

    def test_started_between_two_dates(self, admin_client, attempts):
        rows = self.rows(
            admin_client,
            attempts,
            started_at__date__gte="2024-01-11",
            started_at__date__lte="2024-01-19",
        )
        assert rows == ["15th late", "15th"]

    def test_date_range_is_an_indexable_range_on_started_at(self, admin_client, attempts):
        response = admin_client.get(
            url(Attempt, "changelist"),
            {"started_at__date__gte": "2024-01-11", "started_at__date__lte": "2024-01-19"},
        )
        # Plain comparisons of the column (no per-row date cast), end of range exclusive.
        where = response.context["cl"].queryset.query.where
        lookups = {(c.lhs.target.name, c.lookup_name): c.rhs for c in where.children}
        assert lookups == {("started_at", "gte"): at(11, 0), ("started_at", "lt"): at(20, 0)}

    def test_date_filter_renders_two_date_inputs_keeping_other_filters(
        self, admin_client, attempts
    ):
        response = admin_client.get(
            url(Attempt, "changelist"), {"state__exact": "1", "started_at__date__gte": "2024-01-11"}
        )
        html = response.content.decode()
        assert 'type="date" name="started_at__date__gte" value="2024-01-11"' in html
        assert 'type="date" name="started_at__date__lte"' in html
        assert '<input type="hidden" name="state__exact" value="1">' in html
        assert "Started on or before" in html

    def test_an_invalid_date_shows_the_unfiltered_list(self, admin_client, attempts):
        response = admin_client.get(url(Attempt, "changelist"), {"started_at__date__gte": "15/1"})
        assert response.status_code == 302
        assert response.url.endswith("?e=1")

    def test_state_filter(self, admin_client, attempts):
        rows = self.rows(admin_client, attempts, state__exact=Attempt.State.COMPLETED)
        assert rows == ["15th late", "15th"]

    def test_exam_filter(self, admin_client, attempts, one_of_each):
        assert self.rows(admin_client, attempts, exam__id__exact=one_of_each.exam.pk) == [
            "15th",
            "10th",
        ]

    def test_course_filter(self, admin_client, attempts, one_of_each):
        rows = self.rows(admin_client, attempts, exam__course__id__exact=one_of_each.course.pk)
        assert rows == ["15th", "10th"]

    def test_search_finds_the_learner_by_exact_email_in_any_case(self, admin_client, attempts):
        assert self.rows(admin_client, attempts, q="ALICE@example.com") == ["15th"]
        assert self.rows(admin_client, attempts, q="bob") == ["10th"]

    def test_search_does_not_match_part_of_a_username_or_email(self, admin_client, attempts):
        assert self.rows(admin_client, attempts, q="alic") == []
        assert self.rows(admin_client, attempts, q="example.com") == []

    def test_sorts_by_the_stored_score(self, admin_client, attempts):
        scores = {"10th": "7.50", "15th": "2.00", "15th late": "-1.00", "20th": "0.00"}
        for name, score in scores.items():
            Attempt.objects.filter(pk=attempts[name].pk).update(score=Decimal(score))
        score_column = score_column_index(admin_client)

        ascending = self.rows(admin_client, attempts, o=str(score_column))
        descending = self.rows(admin_client, attempts, o=f"-{score_column}")

        assert ascending == ["15th late", "20th", "15th", "10th"]
        assert descending == list(reversed(ascending))

    def sortable(self, admin_client, **query):
        response = admin_client.get(url(Attempt, "changelist"), query)
        return {
            header["text"] for header in response.context["result_headers"] if header["sortable"]
        }

    def test_only_indexed_columns_sort_a_million_attempts(self, admin_client, attempts):
        # Each has a (column, id) index; the others would sort the whole table.
        assert self.sortable(admin_client) == {
            "ID",
            "started at",
            "correct count",
            "incorrect count",
            "unanswered count",
            "score",
        }

    def test_one_exam_sorts_by_partial_count_and_percentage_too(self, admin_client, attempts):
        exam = attempts["10th"].exam
        assert self.sortable(admin_client, exam__id__exact=exam.pk) == {
            "ID",
            "started at",
            "correct count",
            "incorrect count",
            "unanswered count",
            "score",
            "partial count",
            "percentage",
        }

    def test_a_column_that_does_not_sort_is_not_sorted_by_the_url(self, admin_client, attempts):
        listed = admin_client.get(url(Attempt, "changelist")).context["cl"].list_display
        pending = listed.index("pending_count")
        response = admin_client.get(url(Attempt, "changelist"), {"o": str(pending)})
        # Not the pending count's order: the admin's fallback, the primary key descending.
        assert list(response.context["cl"].queryset.query.order_by) == ["-pk"]

    def test_an_ascending_sort_breaks_ties_by_ascending_id(self, admin_client, attempts):
        score_column = score_column_index(admin_client)
        ascending = admin_client.get(url(Attempt, "changelist"), {"o": str(score_column)})
        descending = admin_client.get(url(Attempt, "changelist"), {"o": f"-{score_column}"})
        # Both directions of one (score, id) index.
        assert list(ascending.context["cl"].queryset.query.order_by) == ["score", "pk"]
        assert list(descending.context["cl"].queryset.query.order_by) == ["-score", "-pk"]


def test_a_long_list_says_its_count_is_an_estimate(admin_client, monkeypatch):
    monkeypatch.setattr(paging, "ESTIMATE_ABOVE", 2)  # 1,000 rows in production
    make_attempts(5)
    response = admin_client.get(url(Attempt, "changelist"))
    total = response.context["cl"].paginator.total
    html = response.content.decode()
    if connection.vendor == "postgresql":
        assert not total.exact
        assert f"about {total.count:,} attempts" in html
    else:  # SQLite counts
        assert "\n5 attempts\n" in html


def test_attempt_change_form_shows_its_answers_read_only(admin_client, one_of_each):
    response = admin_client.get(url(Attempt, "change", one_of_each.attempt.pk))

    answers, history = response.context["inline_admin_formsets"]
    assert [form.instance for form in answers.formset.forms] == [one_of_each.useranswer]
    assert [form.instance for form in history.formset.forms] == [one_of_each.attemptevent]
    html = response.content.decode()
    assert "A lens" in html  # the selected choice, as plain text
    assert url(UserAnswer, "change", one_of_each.useranswer.pk) in html  # show_change_link
    assert 'name="answers-0-result"' not in html  # read-only: no input
    assert 'name="score"' not in html


def make_attempts(count):
    exams = [ExamFactory() for _ in range(3)]
    for i in range(count):
        AttemptFactory(exam=exams[i % 3], started_at=at(1 + i % 28), score=Decimal(i))


class TestQueryBudgets:
    """Pages cost a fixed number of queries, whatever the number of rows they show: each
    budget is asserted at a small and at a larger size."""

    def test_attempt_changelist(self, admin_client, django_assert_num_queries):
        path = url(Attempt, "changelist")
        make_attempts(3)
        # session, admin user, COUNT of the attempts, the page of attempts joined to user,
        # exam and course, the exams and the courses of the two related filters.
        with django_assert_num_queries(6):
            assert admin_client.get(path).status_code == 200
        make_attempts(27)
        with django_assert_num_queries(6):  # the same at 30 attempts as at 3
            assert admin_client.get(path).status_code == 200

        # session, admin user, COUNT of the filtered attempts, the page of attempts joined
        # to user, exam and course, the exams and the courses of the two related filters.
        by_score = {"o": f"-{score_column_index(admin_client)}", "state__exact": "3"}
        with django_assert_num_queries(6):
            admin_client.get(path, by_score)

    def test_attempt_changelist_deep_page(
        self, admin_client, monkeypatch, django_assert_num_queries
    ):
        monkeypatch.setattr(AttemptAdmin, "list_per_page", 2)
        monkeypatch.setattr(paging, "DEFERRED_JOIN_FROM", 2)  # 1,000 rows in production
        make_attempts(5)
        # session, admin user, COUNT of the attempts, the ids of rows 3 to 5 (the page and
        # one past it), those two attempts by id joined to user, exam and course, the exams
        # and the courses of the two related filters.
        with django_assert_num_queries(7):
            response = admin_client.get(url(Attempt, "changelist"), {"p": "2"})
        newest_first = Attempt.objects.order_by("-started_at", "-id").values_list("pk", flat=True)
        assert [a.pk for a in response.context["cl"].result_list] == list(newest_first[2:4])

    def test_attempt_search(self, admin_client, one_of_each, django_assert_num_queries):
        make_attempts(30)
        # As the list above plus the learner lookup by exact username or email.
        with django_assert_num_queries(7):
            admin_client.get(url(Attempt, "changelist"), {"q": "alice@example.com"})

    def test_user_answer_changelist(self, admin_client, one_of_each, django_assert_num_queries):
        path = url(UserAnswer, "changelist")
        # session, admin user, COUNT, the page of answers joined to attempt, its user and
        # exam, and to the exam question and its exam.
        with django_assert_num_queries(4):
            assert admin_client.get(path).status_code == 200
        for _ in range(10):
            UserAnswerFactory()
        with django_assert_num_queries(4):  # the same at 11 answers as at 1
            assert admin_client.get(path).status_code == 200

    def test_attempt_event_changelist(self, admin_client, one_of_each, django_assert_num_queries):
        path = url(AttemptEvent, "changelist")
        # session, admin user, COUNT, the page of events joined to the attempt, its user
        # and exam, and to the actor.
        with django_assert_num_queries(4):
            assert admin_client.get(path).status_code == 200
        for _ in range(10):
            AttemptEvent.objects.create(
                attempt=AttemptFactory(), kind="started", state_after=0, score_after=0, at=at(2)
            )
        with django_assert_num_queries(4):  # the same at 11 events as at 1
            assert admin_client.get(path).status_code == 200

    def test_attempt_change_form(self, admin_client, one_of_each, django_assert_num_queries):
        path = url(Attempt, "change", one_of_each.attempt.pk)
        # session, admin user, the attempt with its user, exam and course (read-only: no
        # raw-id inputs to label), the answers joined to what they print, their selected
        # choices, the history (events with their actors).
        with django_assert_num_queries(6):
            assert admin_client.get(path).status_code == 200
        for _ in range(10):
            answer = UserAnswerFactory(attempt=one_of_each.attempt)
            answer.selected_choices.add(AnswerChoiceFactory(question=answer.exam_question.question))
        with django_assert_num_queries(6):  # the same with 11 answers as with 1
            assert admin_client.get(path).status_code == 200


class TestVisibility:
    """The admin lists go through Attempt.objects.reviewable_by like every other list."""

    @pytest.fixture
    def instructor_request(self, one_of_each):
        request = RequestFactory().get("/")
        request.user = User.objects.get(username="instructor")
        request.user.is_staff = request.user.is_superuser = False  # an instructor only
        AttemptFactory()  # of another course
        return request

    def test_attempts_of_the_courses_an_instructor_teaches(self, one_of_each, instructor_request):
        queryset = AttemptAdmin(Attempt, admin.site).get_queryset(instructor_request)
        assert list(queryset) == [one_of_each.attempt]
        assert Attempt.objects.count() == 2

    def test_answers_of_the_courses_an_instructor_teaches(self, one_of_each, instructor_request):
        UserAnswerFactory()  # of another course
        queryset = UserAnswerAdmin(UserAnswer, admin.site).get_queryset(instructor_request)
        assert list(queryset) == [one_of_each.useranswer]
        assert UserAnswer.objects.count() == 2


class TestAccommodationAdmin:
    """Extra time saved from the admin goes through ``services.accommodation_set``."""

    def test_adding_one_saves_it_through_the_service(self, admin_client, kit):
        response = admin_client.post(
            reverse("admin:attempts_accommodation_add"),
            {
                "user": kit.learner.pk,
                "exam": kit.exam.pk,
                "time_multiplier": "1.25",
                "extra_minutes": "5",
                "note": "Documented need",
            },
        )
        assert response.status_code == 302
        saved = Accommodation.objects.get()
        assert (saved.time_multiplier, saved.extra_minutes) == (D("1.25"), 5)
        assert saved.granted_by.is_superuser
        # 60 × 1.25 + 5 = 80 minutes at the next start.
        attempt = kit.start()
        assert attempt.deadline_at - attempt.started_at == timedelta(minutes=80)

    def test_a_multiplier_out_of_range_is_a_field_error(self, admin_client, kit):
        response = admin_client.post(
            reverse("admin:attempts_accommodation_add"),
            {
                "user": kit.learner.pk,
                "exam": kit.exam.pk,
                "time_multiplier": "9",
                "extra_minutes": "0",
            },
        )
        assert response.status_code == 200
        assert "less than or equal to 5" in response.content.decode()
        assert not Accommodation.objects.exists()
