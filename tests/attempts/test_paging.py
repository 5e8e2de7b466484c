"""``attempts.paging``: counts exact while cheap and estimated above, pages that read one row
past their end, and deep pages by a deferred join."""

from datetime import timedelta

import pytest
from django.core.paginator import EmptyPage
from django.db import connection

from attempts import paging
from attempts.models import Attempt
from attempts.paging import ListPaginator, Total, total
from tests.factories import AttemptFactory, ExamFactory, UserFactory

POSTGRESQL = connection.vendor == "postgresql"


@pytest.fixture
def seven(db):
    """Seven attempts, one a minute, at one exam: newest first they are 6, 5, ... 0."""
    exam = ExamFactory()
    learner = UserFactory()
    start = AttemptFactory.build().started_at
    return [
        AttemptFactory(
            exam=exam, user=learner, attempt_number=n + 1, started_at=start + timedelta(minutes=n)
        )
        for n in range(7)
    ]


def newest_first():
    return Attempt.objects.select_related("user", "exam").order_by("-started_at", "-id")


class TestTotal:
    def test_a_short_list_is_counted_exactly_in_one_query(self, seven, django_assert_num_queries):
        # 1. COUNT(*) (capped at ESTIMATE_ABOVE + 1 rows on PostgreSQL).
        with django_assert_num_queries(1):
            counted = total(Attempt.objects.all())
        assert counted == Total(7, exact=True)
        assert str(counted) == "7"

    def test_a_long_list_is_estimated_on_postgresql_and_counted_on_sqlite(
        self, seven, django_assert_num_queries
    ):
        if POSTGRESQL:
            # 1. the capped count (it sees 3 rows: more than 2), 2. EXPLAIN of the list.
            with django_assert_num_queries(2):
                estimated = total(Attempt.objects.all(), estimate_above=2)
            assert not estimated.exact
            # Never below what the capped count saw.
            assert estimated.count >= 3
            assert str(estimated) == f"about {estimated.count:,}"
        else:
            # 1. COUNT(*): SQLite (small data) always counts.
            with django_assert_num_queries(1):
                counted = total(Attempt.objects.all(), estimate_above=2)
            assert counted == Total(7, exact=True)

    def test_the_label_of_an_estimate_groups_thousands(self):
        assert str(Total(1_001_262, exact=False)) == "about 1,001,262"
        assert str(Total(1_001_262, exact=True)) == "1,001,262"


class TestListPaginator:
    def test_pages_in_order_and_the_last_page_has_no_next(self, seven):
        ids = [a.pk for a in reversed(seven)]
        paginator = ListPaginator(newest_first(), 3)
        pages = [paginator.page(n) for n in (1, 2, 3)]
        assert [[a.pk for a in page] for page in pages] == [ids[0:3], ids[3:6], ids[6:7]]
        assert [page.has_next() for page in pages] == [True, True, False]
        assert [(page.start_index(), page.end_index()) for page in pages] == [
            (1, 3),
            (4, 6),
            (7, 7),
        ]
        with pytest.raises(EmptyPage):
            paginator.page(4)

    def test_a_page_reads_one_row_past_its_end_not_the_count(
        self, seven, django_assert_num_queries
    ):
        paginator = ListPaginator(newest_first(), 3)
        # 1. the page's rows and one more, joined with user and exam (no count).
        with django_assert_num_queries(1):
            page = paginator.page(2)
            assert page.has_next()

    def test_a_wrong_estimate_neither_hides_rows_nor_invents_pages(self, seven):
        ids = [a.pk for a in reversed(seven)]
        low = ListPaginator(newest_first(), 3)
        low.total = Total(2, exact=False)  # the planner thinks 2: one page
        page = low.page(3)  # yet page 3 is there
        assert [a.pk for a in page] == ids[6:7]
        assert not page.has_next()
        high = ListPaginator(newest_first(), 3)
        high.total = Total(100, exact=False)  # the planner thinks 34 pages
        assert not high.page(3).has_next()
        with pytest.raises(EmptyPage):
            high.page(4)

    def test_a_deep_page_reads_its_ids_then_its_rows(
        self, seven, monkeypatch, django_assert_num_queries
    ):
        ids = [a.pk for a in reversed(seven)]
        monkeypatch.setattr(paging, "DEFERRED_JOIN_FROM", 3)
        paginator = ListPaginator(newest_first(), 3)
        # 1. the ids of rows 4 to 7 (the page and one past) in the list's order,
        # 2. the three attempts by id, joined with user and exam.
        with django_assert_num_queries(2):
            page = paginator.page(2)
            rows = list(page)
            assert [a.user.pk for a in rows] == [seven[0].user.pk] * 3  # joined, no query
        assert [a.pk for a in rows] == ids[3:6]
        assert page.has_next()
        # Below the threshold the same page is one query, with the same rows.
        monkeypatch.setattr(paging, "DEFERRED_JOIN_FROM", 1000)
        assert [a.pk for a in ListPaginator(newest_first(), 3).page(2)] == ids[3:6]

    def test_a_list_that_is_no_queryset_is_paged_too(self):
        paginator = ListPaginator(list(range(5)), 2)
        assert paginator.total == Total(5, exact=True)
        assert list(paginator.page(3)) == [4]
        assert not paginator.page(3).has_next()

    def test_get_page_falls_back_to_the_last_page_when_counted(self, seven):
        paginator = ListPaginator(newest_first(), 3)
        assert paginator.get_page(9).number == 3
        assert paginator.get_page("x").number == 1
        assert paginator.get_page(0).number == 1
