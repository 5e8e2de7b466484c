"""The attempt lists (attempts/web/attempt_list.py): an exam's for its reviewers (who sees it,
filters, sorting, export, budget) and a learner's own."""

from bisect import bisect_right
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from attempts.models import Attempt
from attempts.statistics.ranking import RankTable, standing
from tests.factories import (
    AttemptFactory,
    CourseFactory,
    ExamFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal
DAY = datetime(2026, 10, 5, tzinfo=UTC)


def make_attempt(
    exam,
    username,
    *,
    score,
    correct,
    incorrect=0,
    unanswered=0,
    state=None,
    started=DAY,
    passed=None,
    email=None,
    display_name=None,
):
    user = UserFactory(
        username=username,
        email=email or f"{username}@example.com",
        display_name=display_name or username.title(),
    )
    state = Attempt.State.COMPLETED if state is None else state
    total = correct + incorrect + unanswered
    return AttemptFactory(
        user=user,
        exam=exam,
        state=state,
        started_at=started,
        completed_at=started + timedelta(minutes=20) if state == Attempt.State.COMPLETED else None,
        total_questions=total,
        correct_count=correct,
        incorrect_count=incorrect,
        unanswered_count=unanswered,
        score=D(score),
        max_score=D(total * 4),
        percentage=(D(score) * 100 / (total * 4)).quantize(D("0.01")),
        passed=passed,
        counts_for_rank=state == Attempt.State.COMPLETED,
    )


@pytest.fixture
def teacher():
    return UserFactory(username="teacher")


@pytest.fixture
def exam(teacher):
    return ExamFactory(course=CourseFactory(instructors=[teacher]), title="Optics test")


@pytest.fixture
def attempts(exam):
    """Scores 12, 8, 8 (completed), one running; started on consecutive days."""
    return {
        "ada": make_attempt(
            exam,
            "ada",
            score="12",
            correct=3,
            passed=True,
            started=DAY,
            display_name="Ada Lovelace",
        ),
        "bob": make_attempt(
            exam,
            "bob",
            score="8",
            correct=2,
            incorrect=1,
            passed=True,
            started=DAY + timedelta(days=1),
        ),
        "cy": make_attempt(
            exam,
            "cy",
            score="8",
            correct=2,
            unanswered=1,
            passed=False,
            started=DAY + timedelta(days=2),
        ),
        "dee": make_attempt(
            exam,
            "dee",
            score="0",
            correct=0,
            unanswered=3,
            state=Attempt.State.RUNNING,
            started=DAY + timedelta(days=3),
        ),
    }


def rows(response):
    """Usernames of the table rows, in order."""
    return [row.record.user.username for row in response.context["table"].paginated_rows]


def url(exam, query=""):
    return f"/exams/{exam.pk}/attempts/{query}"


class TestWhoSeesIt:
    def test_anonymous_is_sent_to_sign_in(self, client, exam):
        response = client.get(url(exam))
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")

    def test_a_learner_gets_403(self, client, exam, attempts):
        client.force_login(attempts["ada"].user)
        assert client.get(url(exam)).status_code == 403

    def test_an_instructor_of_another_course_gets_404(self, client, exam, attempts):
        other = UserFactory(username="other")
        CourseFactory(instructors=[other])
        client.force_login(other)
        assert client.get(url(exam)).status_code == 404
        assert client.get(url(exam, "?export=csv")).status_code == 404

    def test_the_course_instructor_and_an_admin_see_every_attempt(
        self, client, exam, attempts, teacher
    ):
        for user in (teacher, StaffFactory()):
            client.force_login(user)
            response = client.get(url(exam))
            assert response.status_code == 200
            assert set(rows(response)) == {"ada", "bob", "cy", "dee"}


class TestTable:
    def test_newest_first_by_default(self, client, exam, attempts, teacher):
        client.force_login(teacher)
        assert rows(client.get(url(exam))) == ["dee", "cy", "bob", "ada"]

    @pytest.mark.parametrize(
        ("sort", "expected"),
        [
            ("score", ["dee", "bob", "cy", "ada"]),  # ties (8, 8) by id ascending
            ("-score", ["ada", "cy", "bob", "dee"]),  # and descending
            ("correct_count", ["dee", "bob", "cy", "ada"]),
            ("-incorrect_count", ["bob", "dee", "cy", "ada"]),
            ("unanswered_count", ["ada", "bob", "cy", "dee"]),
            ("started_at", ["ada", "bob", "cy", "dee"]),
            ("rank", ["ada", "cy", "bob", "dee"]),  # best rank first = highest score
        ],
    )
    def test_sorting_breaks_ties_by_id(self, client, exam, attempts, teacher, sort, expected):
        client.force_login(teacher)
        assert rows(client.get(url(exam, f"?sort={sort}"))) == expected

    def test_rank_ties_share_a_rank_and_running_attempts_have_none(
        self, client, exam, attempts, teacher
    ):
        client.force_login(teacher)
        html = client.get(url(exam, "?sort=rank")).content.decode()
        ranks = {
            r.record.user.username: r.get_cell("rank")
            for r in client.get(url(exam)).context["table"].rows
        }
        assert ranks == {"ada": 1, "bob": 2, "cy": 2, "dee": "—"}
        assert 'aria-sort="ascending"' in html

    def test_the_active_sort_header_says_so(self, client, exam, attempts, teacher):
        client.force_login(teacher)
        html = client.get(url(exam, "?sort=-score")).content.decode()
        assert html.count('aria-sort="descending"') == 1
        assert "<caption>Attempts of Optics test</caption>" in html


class TestFilters:
    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("?state=0", {"dee"}),
            ("?state=1", {"ada", "bob", "cy"}),
            ("?result=pass", {"ada", "bob"}),
            ("?result=fail", {"cy"}),
            ("?score_min=8&score_max=8", {"bob", "cy"}),
            ("?score_min=9", {"ada"}),
            ("?started_from=2026-10-06&started_until=2026-10-07", {"bob", "cy"}),
            ("?started_until=2026-10-05", {"ada"}),
            ("?learner=lovelace", {"ada"}),
            ("?learner=BOB@EXAMPLE", {"bob"}),
            ("?learner=cy", {"cy"}),
            ("?state=1&score_min=10", {"ada"}),
        ],
    )
    def test_each_filter_keeps_the_matching_attempts(
        self, client, exam, attempts, teacher, query, expected
    ):
        client.force_login(teacher)
        response = client.get(url(exam, query))
        assert response.status_code == 200
        assert set(rows(response)) == expected

    @pytest.mark.parametrize(
        ("query", "field", "message"),
        [
            ("?started_from=2026-13-01", "started_from", "Enter a valid date."),
            ("?score_min=abc", "score_min", "Enter a number."),
            ("?state=9", "state", "Select a valid choice."),
        ],
    )
    def test_a_bad_value_is_shown_beside_its_field_not_as_an_empty_list(
        self, client, exam, attempts, teacher, query, field, message
    ):
        client.force_login(teacher)
        response = client.get(url(exam, query))
        assert response.status_code == 400
        html = response.content.decode()
        assert f'id="id_{field}-errors"' in html
        assert message in html
        assert "Some filters are not valid" in html
        assert "<table" not in html

    @pytest.mark.parametrize(
        "query",
        [
            # Each was a numeric overflow on PostgreSQL, a 500: scores have 7 digits, 2 places.
            "?score_min=-1e999999",
            "?score_max=-1e999999",
            "?score_min=-1e-999999",
            "?score_min=123456789",
            "?score_max=8.125",
        ],
    )
    def test_a_score_the_column_cannot_hold_is_a_field_error(
        self, client, exam, attempts, teacher, query
    ):
        client.force_login(teacher)
        response = client.get(url(exam, query))
        assert response.status_code == 400
        html = response.content.decode()
        field = query[1:].split("=")[0]
        assert f'id="id_{field}-errors"' in html
        assert "Some filters are not valid" in html
        assert "<table" not in html


class TestPaging:
    """``page`` and ``per_page`` (1 to 200) of the table: a bad value says so, instead of a
    500 (PostgreSQL's bigint offset) or a silent first page."""

    @pytest.fixture
    def sixty(self, exam):
        for i in range(60):
            make_attempt(exam, f"l{i:02}", score="4", correct=1, started=DAY + timedelta(hours=i))

    def test_per_page_and_page_choose_the_rows(self, client, exam, sixty, teacher):
        client.force_login(teacher)
        response = client.get(url(exam, "?per_page=25&page=3&sort=started_at"))
        assert response.status_code == 200
        assert rows(response) == [f"l{i:02}" for i in range(50, 60)]

    def test_200_per_page_is_the_most(self, client, exam, sixty, teacher):
        client.force_login(teacher)
        response = client.get(url(exam, "?per_page=200"))
        assert len(rows(response)) == 60

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ("?page=abc", "Page: Enter a whole number."),
            ("?page=0", "Page: Ensure this value is greater than or equal to 1."),
            ("?page=99999999999999999999", "Page: Ensure this value is less than or equal to"),
            ("?page=9223372036854775807", "Page: Ensure this value is less than or equal to"),
            ("?per_page=9223372036854775808", "Rows a page: Ensure this value is less than or"),
            ("?per_page=100000", "Rows a page: Ensure this value is less than or equal to 200."),
            ("?per_page=0", "Rows a page: Ensure this value is greater than or equal to 1."),
        ],
    )
    def test_a_bad_page_or_page_size_is_a_message_not_a_table(
        self, client, exam, sixty, teacher, query, message
    ):
        client.force_login(teacher)
        response = client.get(url(exam, query))
        assert response.status_code == 400
        html = response.content.decode()
        assert 'id="paging-errors"' in html
        assert message in html
        assert "<table" not in html

    def test_a_page_past_the_end_is_a_400_that_says_so(self, client, exam, sixty, teacher):
        client.force_login(teacher)
        response = client.get(url(exam, "?page=9999&state=1"))
        assert response.status_code == 400
        html = response.content.decode()
        assert "There is no page 9999 of these attempts." in html
        assert "<table" not in html
        # A link back to the first page keeps the filters.
        assert f'href="{url(exam)}?state=1"' in html

    def test_the_last_page_is_no_error(self, client, exam, sixty, teacher):
        client.force_login(teacher)
        assert client.get(url(exam, "?page=2")).status_code == 200


class TestQueryBudget:
    @pytest.mark.parametrize("n", [1, 50])
    def test_a_page_costs_the_same_whatever_its_rows(
        self, client, exam, teacher, n, django_assert_num_queries
    ):
        for i in range(n):
            make_attempt(
                exam, f"learner{i}", score="4", correct=1, started=DAY + timedelta(minutes=i)
            )
        client.force_login(teacher)
        # session, user, is-reviewer check, exam, the exam's rank table (its stored RANKED
        # cells grouped by score),
        # page of attempts with their users, the total (a count, capped at
        # attempts.paging.ESTIMATE_ABOVE + 1 rows on PostgreSQL), whether any attempt is
        # overdue (for the "finalize now" form)
        with django_assert_num_queries(8):
            response = client.get(url(exam, "?sort=-score"))
        assert len(rows(response)) == n


class TestRankTable:
    @pytest.mark.parametrize(
        ("score", "rank"),
        [("90", 1), ("80", 2), ("70", 4), ("85", 2), ("95", 1), ("60", 5)],
    )
    def test_ties_share_a_rank_and_absent_scores_rank_against_everyone_above(self, score, rank):
        # population 90, 80, 80, 70 (best first, grouped by score)
        table = RankTable([(D("90"), 1), (D("80"), 2), (D("70"), 1)])
        assert table.rank(D(score)) == rank
        assert table.population == 4

    def test_its_steps_rank_every_score_as_it_does(self):
        """The step form the CSV written by PostgreSQL looks ranks up in (``width_bucket``,
        SQL's ``bisect_right``): scores ascending, then the rank past each of them."""
        table = RankTable([(D("90"), 1), (D("80"), 2), (D("70"), 1)])
        scores, ranks = table.steps()
        # below 70: 5 (everyone above); from 70: 4; from 80: 2; from 90: 1
        assert (scores, ranks) == ([D("70"), D("80"), D("90")], [5, 4, 2, 1])
        for score in ("60", "70", "75", "80", "85", "90", "95"):
            assert ranks[bisect_right(scores, D(score))] == table.rank(D(score))
        # An empty population ranks any score first, as rank() does.
        assert RankTable([]).steps() == ([], [1])
        assert RankTable([]).rank(D("5")) == 1

    @pytest.mark.parametrize(
        ("state", "counts_for_rank", "rank"),
        [
            (Attempt.State.COMPLETED, True, 2),
            # A retake the rank policy did not pick stands for nobody: no rank at all.
            (Attempt.State.COMPLETED, False, None),
            (Attempt.State.PENDING_EVALUATION, False, None),
        ],
    )
    def test_only_the_ranked_population_has_a_rank(self, state, counts_for_rank, rank):
        table = RankTable([(D("90"), 1), (D("80"), 2), (D("70"), 1)])
        attempt = AttemptFactory.build(state=state, counts_for_rank=counts_for_rank, score=D("85"))
        assert table.rank_of(attempt) == rank

    def test_list_ranks_agree_with_the_statistics_standing(self, client, exam, attempts, teacher):
        client.force_login(teacher)
        table = client.get(url(exam)).context["table"]
        for row in table.rows:
            record = row.record
            rank = standing(record).rank
            assert row.get_cell_value("rank") == ("" if rank is None else rank)


class TestMyAttempts:
    def test_a_learner_sees_only_their_own_attempts(self, client):
        ada = UserFactory(username="ada")
        AttemptFactory(user=ada, exam=ExamFactory(title="Mine"))
        AttemptFactory(exam=ExamFactory(title="Someone else's"))
        client.force_login(ada)
        html = client.get("/my/attempts/").content.decode()
        assert "Mine" in html
        assert "Someone else" not in html


class TestColumnsAndTotal:
    def test_email_and_attempt_number_columns(self, client, exam, attempts, teacher):
        client.force_login(teacher)
        table = client.get(url(exam, "?sort=started_at")).context["table"]
        cells = [
            (row.get_cell_value("email"), row.get_cell_value("attempt_number"))
            for row in table.rows
        ]
        assert cells == [
            ("ada@example.com", "#1"),
            ("bob@example.com", "#1"),
            ("cy@example.com", "#1"),
            ("dee@example.com", "#1"),
        ]

    def test_the_total_counts_the_filtered_attempts(self, client, exam, attempts, teacher):
        client.force_login(teacher)
        response = client.get(url(exam, "?state=1&per_page=1"))
        assert str(response.context["total"]) == "3"  # ada, bob, cy completed; one a page
        assert response.context["total"].exact
        assert '<p id="total"><strong>3</strong> attempts' in response.content.decode()

    def test_above_the_threshold_postgresql_shows_an_estimate(
        self, client, exam, attempts, teacher, monkeypatch
    ):
        from attempts import paging

        monkeypatch.setattr(paging, "ESTIMATE_ABOVE", 0)
        client.force_login(teacher)
        total = client.get(url(exam)).context["total"]
        if connection.vendor == "postgresql":
            assert not total.exact
            assert str(total).startswith("about ")
        else:  # SQLite always counts
            assert (total.count, total.exact) == (4, True)

    def test_a_pending_attempt_reads_awaiting_marking_with_a_provisional_score(
        self, client, exam, teacher
    ):
        make_attempt(
            exam, "eve", score="8", correct=2, unanswered=1, state=Attempt.State.PENDING_EVALUATION
        )
        client.force_login(teacher)
        row = next(iter(client.get(url(exam)).context["table"].rows))
        assert row.get_cell_value("result") == "Awaiting marking"
        assert row.get_cell("score") == '8.00 <small class="provisional">provisional</small>'

    @pytest.mark.parametrize("sort", ["bogus", "-learner_name", "user__password", "--score"])
    def test_an_unknown_sort_is_a_400_that_says_so(self, client, exam, attempts, teacher, sort):
        client.force_login(teacher)
        response = client.get(url(exam, f"?sort={sort}"))
        assert response.status_code == 400
        html = response.content.decode()
        assert f"Sort: “{sort}” is not a column of this table." in html
        assert "<table" not in html
        # And an export asked with it exports nothing.
        exported = client.get(url(exam, f"?sort={sort}&export=csv"))
        assert exported.status_code == 400
        assert exported["Content-Type"].startswith("text/html")


class TestWhichAttempt:
    """ada: 3 attempts scoring 4, 12, 12 (the 3rd running → 0 so far, not finished);
    bob: 2 attempts scoring 8 then 4. Best = highest finished score, earlier on a tie."""

    @pytest.fixture
    def repeats(self, exam):
        ada = UserFactory(username="ada")
        bob = UserFactory(username="bob")

        def attempt(user, number, score, state=Attempt.State.COMPLETED):
            return AttemptFactory(
                user=user,
                exam=exam,
                attempt_number=number,
                state=state,
                score=D(score),
                started_at=DAY + timedelta(hours=number),
            )

        return {
            ("ada", 1): attempt(ada, 1, "4"),
            ("ada", 2): attempt(ada, 2, "12"),
            ("ada", 3): attempt(ada, 3, "12", Attempt.State.RUNNING),
            ("bob", 1): attempt(bob, 1, "8"),
            ("bob", 2): attempt(bob, 2, "4"),
        }

    @pytest.mark.parametrize(
        ("which", "expected"),
        [
            ("first", {("ada", 1), ("bob", 1)}),
            ("last", {("ada", 3), ("bob", 2)}),
            ("best", {("ada", 2), ("bob", 1)}),
            ("", {("ada", 1), ("ada", 2), ("ada", 3), ("bob", 1), ("bob", 2)}),
        ],
    )
    def test_one_attempt_per_learner(self, client, exam, repeats, teacher, which, expected):
        client.force_login(teacher)
        table = client.get(url(exam, f"?which={which}&per_page=200")).context["table"]
        got = {(row.record.user.username, row.record.attempt_number) for row in table.rows}
        assert got == expected

    def test_an_unknown_choice_is_a_400(self, client, exam, repeats, teacher):
        client.force_login(teacher)
        response = client.get(url(exam, "?which=worst"))
        assert response.status_code == 400
        assert 'id="id_which-errors"' in response.content.decode()
