"""The exam statistics page, its drill-down and exports: who may see them, and that what
they show is the item analysis (``attempts.statistics.items``, checked on its own in
``tests/attempts/statistics``), rounded for display only."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from attempts.statistics.item_inputs import Which, exam_item_analysis
from attempts.statistics.rounding import half_up
from attempts.web.exam_statistics import COLUMNS, sort_rows
from tests.attempts.statistics.test_item_inputs import SHEETS, sit
from tests.factories import CourseFactory, ExamFactory, StaffFactory, UserFactory


@pytest.fixture
def played(kit):
    learners = [kit.learner] + [kit.enrol(f"learner{i}") for i in range(1, 4)]
    for learner, sheet in zip(learners, SHEETS[:4], strict=True):
        sit(kit, learner, sheet)
    return kit


def page(exam, query=""):
    return reverse("exam-statistics", args=[exam.pk]) + query


class TestAccess:
    def test_the_course_instructor_sees_the_page(self, client, played):
        client.force_login(played.instructor)
        response = client.get(page(played.exam))
        assert response.status_code == 200

    def test_an_instructor_of_another_course_gets_404(self, client, played):
        other = UserFactory()
        CourseFactory(instructors=[other])
        client.force_login(other)
        assert client.get(page(played.exam)).status_code == 404

    def test_a_learner_gets_403(self, client, played):
        client.force_login(played.learner)
        assert client.get(page(played.exam)).status_code == 403

    def test_anonymous_users_go_to_the_login_page(self, client, played):
        response = client.get(page(played.exam))
        assert response.status_code == 302
        assert "login" in response["Location"]


class TestPage:
    def test_the_question_table_shows_the_rounded_figures(self, client, played):
        client.force_login(played.instructor)
        response = client.get(page(played.exam, "?attempts=all"))
        expected = exam_item_analysis(played.exam, Which.ALL).analysis
        rows = response.context["rows"]
        assert [row["slot"] for row in rows] == [1, 2, 3, 4, 5, 6]
        for row, q in zip(rows, expected.questions, strict=True):
            assert row["facility"] == half_up(q.facility)
            assert row["n"] == 4
        content = response.content.decode()
        assert f"{half_up(expected.questions[0].facility)}" in content
        assert "Fewer than 30 attempts" in content
        assert "4 completed attempts used" in content

    def test_the_summary_and_the_attempt_list_link_here(self, client, played):
        client.force_login(played.instructor)
        for name in ("exam-summary", "exam-attempts"):
            response = client.get(reverse(name, args=[played.exam.pk]))
            assert page(played.exam) in response.content.decode()

    def test_every_column_sorts_with_empty_cells_last(self):
        rows = [
            {column.key: value for column in COLUMNS}
            for value in (Decimal("2"), None, Decimal("1"))
        ]
        for column in COLUMNS:
            ascending = sort_rows(rows, column.key)
            descending = sort_rows(rows, f"-{column.key}")
            assert [r[column.key] for r in ascending] == [Decimal("1"), Decimal("2"), None]
            assert [r[column.key] for r in descending] == [Decimal("2"), Decimal("1"), None]

    def test_sorting_the_page_by_facility(self, client, played):
        client.force_login(played.instructor)
        rows = client.get(page(played.exam, "?sort=-facility")).context["rows"]
        facilities = [row["facility"] for row in rows if row["facility"] is not None]
        assert facilities == sorted(facilities, reverse=True)

    def test_an_unknown_attempts_value_falls_back_to_the_rank_policy(self, client, played):
        client.force_login(played.instructor)
        response = client.get(page(played.exam, "?attempts=nonsense"))
        assert response.context["result"].which == played.exam.rank_policy

    def test_an_exam_without_attempts_shows_dashes(self, client, played):
        empty = ExamFactory(course=played.course)
        client.force_login(played.instructor)
        response = client.get(page(empty))
        assert response.status_code == 200
        assert response.context["test"].n == 0


class TestDrillDown:
    def test_options_and_score_split(self, client, played):
        client.force_login(played.instructor)
        single = played.eq["single"]
        url = reverse("exam-question-statistics", args=[played.exam.pk, single.pk])
        response = client.get(url + "?attempts=all")
        assert response.status_code == 200
        # Picks of the single choice question: 0, 0, 0, 1 (SHEETS[:4]).
        assert [o["count"] for o in response.context["options"]] == [3, 1, 0, 0]
        right = sum(count for _, count in response.context["right_rows"])
        rest = sum(count for _, count in response.context["rest_rows"])
        assert (right, rest) == (3, 1)

    def test_a_question_of_another_exam_is_404(self, client, played):
        client.force_login(played.instructor)
        other = ExamFactory(course=played.course)
        url = reverse("exam-question-statistics", args=[other.pk, played.eq["single"].pk])
        assert client.get(url).status_code == 404


class TestExports:
    def test_csv_equals_the_table(self, client, played):
        client.force_login(played.instructor)
        response = client.get(page(played.exam, "?attempts=all&export=csv"))
        body = b"".join(response.streaming_content)
        assert body.startswith("\ufeff".encode())  # the BOM that tells Excel it is UTF-8
        table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        rows = client.get(page(played.exam, "?attempts=all")).context["rows"]
        assert table[0] == [column.label for column in COLUMNS]
        assert len(table) == 1 + len(rows)
        assert table[1][COLUMNS.index(next(c for c in COLUMNS if c.key == "facility"))] == str(
            rows[0]["facility"]
        )

    def test_xlsx_equals_the_table(self, client, played):
        client.force_login(played.instructor)
        response = client.get(page(played.exam, "?attempts=all&export=xlsx"))
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        values = list(sheet.iter_rows(values_only=True))
        rows = client.get(page(played.exam, "?attempts=all")).context["rows"]
        assert list(values[0]) == [column.label for column in COLUMNS]
        assert [v[0] for v in values[1:]] == [row["slot"] for row in rows]


def test_an_admin_sees_any_exam(client, played):
    client.force_login(StaffFactory(is_superuser=True))
    assert client.get(page(played.exam)).status_code == 200


class TestQueryBudgets:
    def test_the_page_once_computed(self, client, played, django_assert_num_queries):
        client.force_login(played.instructor)
        client.get(page(played.exam))  # computes and caches the analysis
        # session, user, is-reviewer check, the exam among the reviewer's, the cache stamp
        with django_assert_num_queries(5):
            assert client.get(page(played.exam)).status_code == 200

    def test_the_drill_down_once_computed(self, client, played, django_assert_num_queries):
        client.force_login(played.instructor)
        url = reverse("exam-question-statistics", args=[played.exam.pk, played.eq["single"].pk])
        client.get(url)
        # session, user, is-reviewer check, the exam, the cache stamp, attempts used per score
        # bucket, right answers per score bucket
        with django_assert_num_queries(7):
            assert client.get(url).status_code == 200
