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


# The orders the lists offer (Testpress's ``ordering`` with its id tiebreak, the admin's
# default): each one a keyset can follow.
KEYSET_ORDERS = [
    ("-started_at", "-id"),
    ("started_at", "id"),
    ("-correct_count", "-id"),
    ("correct_count", "id"),
    ("-unanswered_count", "-id"),
    ("score", "id"),
]


@pytest.fixture
def tied(db):
    """Eleven attempts whose sort columns tie in groups: three start times, two scores, three
    correct counts; only the id tells most of them apart."""
    exam = ExamFactory()
    learners = UserFactory.create_batch(11)
    start = AttemptFactory.build().started_at
    return [
        AttemptFactory(
            exam=exam,
            user=learners[n],
            started_at=start + timedelta(minutes=n % 3),
            correct_count=n % 3,
            unanswered_count=(n // 3) % 2,
            total_questions=n % 3 + (n // 3) % 2,
            score=n % 2,
        )
        for n in range(11)
    ]


class TestKeysetPages:
    def test_the_orders_a_keyset_can_follow(self):
        def order(*names):
            return paging.keyset_order(Attempt.objects.order_by(*names))

        assert [(f.name, d) for f, d in order("-started_at", "-id")] == [
            ("started_at", True),
            ("id", True),
        ]
        assert [(f.name, d) for f, d in order("score", "pk")] == [("score", False), ("id", False)]
        # The model's default order (Meta.ordering) when the query has none; none when cleared.
        assert paging.keyset_order(Attempt.objects.all()) == order("-started_at", "-id")
        assert order() is None
        assert order("-started_at", "id") is None  # two directions: no one row comparison
        assert order("started_at") is None  # no tiebreak: rows that tie have no next
        assert order("completed_at", "id") is None  # nullable
        assert order("user", "id") is None  # a relation
        assert order("user__username", "id") is None  # through a relation
        assert paging.keyset_order(Attempt.objects.order_by("?")) is None

    @pytest.mark.parametrize("order", KEYSET_ORDERS)
    def test_every_page_after_the_last_row_of_the_one_before_is_the_offset_page(self, tied, order):
        """On unchanged data, page ``n`` read after the key of page ``n - 1``'s last row holds
        the rows that ``OFFSET (n - 1) * 3`` does, and the same "next"."""
        ordered = Attempt.objects.select_related("user", "exam").order_by(*order)
        everything = list(ordered.values_list("pk", flat=True))
        assert len(everything) == 11
        paginator = ListPaginator(ordered, 3)
        page = paginator.page(1)
        for number in (2, 3, 4):
            key = paginator.key_of(page.object_list[-1])
            page = paginator.page(number, after=key)
            offset = everything[(number - 1) * 3 : number * 3]
            assert [a.pk for a in page] == offset
            assert page.has_next() == (number < 4)
            assert page.object_list[0].user.pk  # joined: the page's own query

    def test_a_keyset_page_is_one_query(self, tied, django_assert_num_queries):
        ordered = Attempt.objects.select_related("user", "exam").order_by("-started_at", "-id")
        paginator = ListPaginator(ordered, 3)
        key = paginator.key_of(paginator.page(2).object_list[-1])
        # 1. the rows after the key in the list's order (and one more), joined with user and
        # exam: no ids first, no offset.
        with django_assert_num_queries(1):
            page = paginator.page(3, after=key)
            assert page.object_list[0].user.pk
        assert [a.pk for a in page] == list(ordered.values_list("pk", flat=True)[6:9])

    def test_the_key_is_the_rows_values_in_the_order(self, tied):
        paginator = ListPaginator(Attempt.objects.order_by("correct_count", "id"), 3)
        row = tied[4]
        assert paginator.key_of(row) == [str(row.correct_count), str(row.pk)]
        unordered = ListPaginator(Attempt.objects.order_by("-started_at", "id"), 3)
        assert unordered.key_of(row) is None

    @pytest.mark.parametrize(
        "key", [["not a date", "1"], ["1"], ["2026-01-01T00:00:00+00:00", "x"], ["", ""]]
    )
    def test_a_key_that_does_not_fit_the_order_reads_by_offset(self, tied, key):
        ordered = Attempt.objects.order_by("-started_at", "-id")
        page = ListPaginator(ordered, 3).page(2, after=key)
        assert [a.pk for a in page] == list(ordered.values_list("pk", flat=True)[3:6])

    def test_an_order_without_keyset_reads_by_offset_whatever_the_key(self, tied):
        ordered = Attempt.objects.order_by("-started_at", "id")
        paginator = ListPaginator(ordered, 3)
        key = [tied[0].started_at.isoformat(), str(tied[0].pk)]
        assert [a.pk for a in paginator.page(2, after=key)] == list(
            ordered.values_list("pk", flat=True)[3:6]
        )

    def test_rows_added_before_the_key_do_not_shift_a_keyset_page(self, tied):
        """While attempts arrive (newest first: at the top), an offset page shifts down; the
        keyset page continues after the row the caller saw."""
        ordered = Attempt.objects.order_by("-started_at", "-id")
        paginator = ListPaginator(ordered, 3)
        first = paginator.page(1)
        key = paginator.key_of(first.object_list[-1])
        expected = list(ordered.values_list("pk", flat=True)[3:6])
        AttemptFactory(started_at=tied[2].started_at + timedelta(hours=1))
        fresh = ListPaginator(ordered, 3)
        assert [a.pk for a in fresh.page(2, after=key)] == expected
        assert [a.pk for a in fresh.page(2)] != expected  # the offset page moved
