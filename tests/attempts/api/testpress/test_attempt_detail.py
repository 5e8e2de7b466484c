"""``GET /api/v2.5/admin/attempts/<id>/``: the list fields plus rank, percentile and the
statistics by section, subject and difficulty.
"""

from datetime import timedelta

from assessments.models import Question
from attempts.models import Attempt
from tests import play
from tests.attempts.api.testpress.contract import LIST_FIELDS, LIST_URL, detail_url, jwt_client
from tests.attempts.api.testpress.scenarios import D, thirteen_of_24
from tests.attempts.conftest import NOW
from tests.factories import SubjectFactory

DETAIL_EXTRA_FIELDS = [
    "username",
    "percentile",
    "rank",
    "sections",
    "subject_stats",
    "difficulty_level_stats",
    "institute_attempt_id",
]
SECTION_FIELDS = {
    "id",
    "order",
    "section_id",
    "time_taken",
    "correct_answers_count",
    "incorrect_answers_count",
    "unanswered_count",
    "score",
}
SUBJECT_FIELDS = {
    "subject_id",
    "subject_name",
    "total_count",
    "correct_answers_count",
    "unanswered_count",
    "incorrect_answers_count",
    "parent_subject_id",
    "is_leaf",
    "score",
    "partial_correct_answers_count",
}
DIFFICULTY_FIELDS = {
    "correct_answers_count",
    "incorrect_answers_count",
    "partial_correct_answers_count",
    "unanswered_count",
    "total_count",
}


def file_questions_under_subjects(kit):
    """Science (root) › Physics: single and multiple under Physics, true/false under Science
    itself, numeric, short and essay without subject. Difficulties: single and multiple easy,
    true/false hard, numeric and short medium, essay unlabelled."""
    science = SubjectFactory(name="Science")
    physics = SubjectFactory(name="Physics", parent=science)
    filing = {
        "single": (physics, "easy"),
        "multiple": (physics, "easy"),
        "true_false": (science, "hard"),
        "numeric": (None, "medium"),
        "short": (None, "medium"),
        "essay": (None, None),
    }
    for name, (subject, difficulty) in filing.items():
        Question.objects.filter(pk=kit.eq[name].question_id).update(
            subject=subject, difficulty=difficulty
        )
    return science, physics


def nine_of_24(kit, user=None):
    """single +4 (30 s), multiple 2 of 3 keys +2 (20 s), true/false wrong -1 (10 s),
    numeric +4 (40 s); short and essay unanswered. Score 9, submitted after 30 minutes."""
    attempt = kit.start(user)
    kit.answer(attempt, "single", choices=[0], time_spent_seconds=30)
    kit.answer(attempt, "multiple", choices=[0, 1], time_spent_seconds=20)
    kit.answer(attempt, "true_false", choices=[1], time_spent_seconds=10)
    kit.answer(attempt, "numeric", number=D("9.80"), time_spent_seconds=40)
    return play.submit(attempt, now=NOW + timedelta(minutes=30))


class TestDetail:
    def test_has_the_list_fields_plus_the_seed_detail_fields(self, kit, staff):
        attempt = thirteen_of_24(kit)
        body = jwt_client(staff).get(detail_url(attempt.pk)).json()
        assert list(body) == LIST_FIELDS + DETAIL_EXTRA_FIELDS

    def test_list_fields_equal_the_list_row(self, kit, staff):
        attempt = thirteen_of_24(kit)
        client = jwt_client(staff)
        row = client.get(LIST_URL).json()["results"][0]
        body = client.get(detail_url(attempt.pk)).json()
        assert {field: body[field] for field in LIST_FIELDS} == row

    def test_username_and_institute_attempt_id(self, kit, staff):
        attempt = thirteen_of_24(kit)
        Attempt.objects.filter(pk=attempt.pk).update(institute_attempt_id=100101)
        body = jwt_client(staff).get(detail_url(attempt.pk)).json()
        assert (body["username"], body["institute_attempt_id"]) == ("ada", 100101)

    def test_rank_and_percentile_of_two_learners(self, kit, staff):
        # Given ada scoring 9 and bob scoring -1 (single wrong only),
        ada = nine_of_24(kit)
        bob_attempt = kit.start(kit.enrol("bob"))
        kit.answer(bob_attempt, "single", choices=[1])
        bob_attempt = play.submit(bob_attempt, now=NOW + timedelta(minutes=5))
        assert (ada.score, bob_attempt.score) == (D("9.00"), D("-1.00"))
        client = jwt_client(staff)

        first = client.get(detail_url(ada.pk)).json()
        second = client.get(detail_url(bob_attempt.pk)).json()

        # rank = 1 + attempts scoring higher; percentile = share scoring <= it × 100:
        # ada: 1 + 0 = 1, 2 / 2 = 100.0; bob: 1 + 1 = 2, 1 / 2 = 50.0.
        assert (first["rank"], first["percentile"]) == (1, 100.0)
        assert (second["rank"], second["percentile"]) == (2, 50.0)

    def test_tied_scores_share_a_rank(self, kit, staff):
        # Scores 9, 9 and 4: ranks 1, 1, 3; percentiles 3/3, 3/3, 1/3 = 100.0, 100.0, 33.33.
        first = nine_of_24(kit)
        second = nine_of_24(kit, kit.enrol("bob"))
        third = kit.start(kit.enrol("cy"))
        kit.answer(third, "single", choices=[0])
        third = play.submit(third, now=NOW + timedelta(minutes=5))
        client = jwt_client(staff)

        standings = [
            (body["rank"], body["percentile"])
            for body in (client.get(detail_url(a.pk)).json() for a in (first, second, third))
        ]

        assert standings == [(1, 100.0), (1, 100.0), (3, 33.33)]

    def test_running_attempt_has_no_rank_nor_percentile(self, kit, staff, clock):
        attempt = kit.start()
        body = jwt_client(staff).get(detail_url(attempt.pk)).json()
        assert (body["rank"], body["percentile"]) == (None, None)
        assert (body["time_taken"], body["remaining_time"]) == ("0:10:00", "0:50:00")

    def test_sections_count_their_questions_score_and_time(self, kit, staff):
        attempt = nine_of_24(kit)
        sections = jwt_client(staff).get(detail_url(attempt.pk)).json()["sections"]
        one, two = sorted(kit.exam.sections.all(), key=lambda s: s.order)

        assert [set(section) >= SECTION_FIELDS for section in sections] == [True, True]
        # Section one: single (correct +4, 30 s), multiple (partial +2, 20 s),
        # true/false (incorrect -1, 10 s): score 5, 60 s.
        assert {key: sections[0][key] for key in SECTION_FIELDS} == {
            "id": one.pk,
            "order": 0,
            "section_id": one.pk,
            "time_taken": "0:01:00",
            "correct_answers_count": 1,
            "incorrect_answers_count": 1,
            "unanswered_count": 0,
            "score": "5.00",
        }
        assert sections[0]["partial_correct_answers_count"] == 1
        # Section two: numeric (correct +4, 40 s), short and essay unanswered: score 4, 40 s.
        assert {key: sections[1][key] for key in SECTION_FIELDS} == {
            "id": two.pk,
            "order": 1,
            "section_id": two.pk,
            "time_taken": "0:00:40",
            "correct_answers_count": 1,
            "incorrect_answers_count": 0,
            "unanswered_count": 2,
            "score": "4.00",
        }

    def test_subject_stats_parent_row_sums_its_subtree(self, kit, staff):
        science, physics = file_questions_under_subjects(kit)
        attempt = nine_of_24(kit)

        rows = jwt_client(staff).get(detail_url(attempt.pk)).json()["subject_stats"]

        assert all(set(row) >= SUBJECT_FIELDS for row in rows)
        picked = [{key: row[key] for key in SUBJECT_FIELDS} for row in rows]
        assert picked == [
            # Science: Physics' single (+4) and multiple (+2) plus its own true/false (-1).
            {
                "subject_id": science.pk,
                "subject_name": "Science",
                "total_count": 3,
                "correct_answers_count": 1,
                "partial_correct_answers_count": 1,
                "incorrect_answers_count": 1,
                "unanswered_count": 0,
                "parent_subject_id": None,
                "is_leaf": False,
                "score": "5.00",
            },
            {
                "subject_id": physics.pk,
                "subject_name": "Physics",
                "total_count": 2,
                "correct_answers_count": 1,
                "partial_correct_answers_count": 1,
                "incorrect_answers_count": 0,
                "unanswered_count": 0,
                "parent_subject_id": science.pk,
                "is_leaf": True,
                "score": "6.00",
            },
            # Numeric (+4), short and essay (unanswered) have no subject.
            {
                "subject_id": None,
                "subject_name": "No subject",
                "total_count": 3,
                "correct_answers_count": 1,
                "partial_correct_answers_count": 0,
                "incorrect_answers_count": 0,
                "unanswered_count": 2,
                "parent_subject_id": None,
                "is_leaf": True,
                "score": "4.00",
            },
        ]

    def test_difficulty_level_stats_are_keyed_by_level(self, kit, staff):
        file_questions_under_subjects(kit)
        attempt = nine_of_24(kit)

        stats = jwt_client(staff).get(detail_url(attempt.pk)).json()["difficulty_level_stats"]

        assert list(stats) == ["easy", "medium", "hard", "unlabelled"]
        assert all(set(row) >= DIFFICULTY_FIELDS for row in stats.values())
        picked = {
            level: {key: row[key] for key in DIFFICULTY_FIELDS} for level, row in stats.items()
        }
        assert picked == {
            # single correct, multiple partial
            "easy": {
                "correct_answers_count": 1,
                "incorrect_answers_count": 0,
                "partial_correct_answers_count": 1,
                "unanswered_count": 0,
                "total_count": 2,
            },
            # numeric correct, short unanswered
            "medium": {
                "correct_answers_count": 1,
                "incorrect_answers_count": 0,
                "partial_correct_answers_count": 0,
                "unanswered_count": 1,
                "total_count": 2,
            },
            # true/false wrong
            "hard": {
                "correct_answers_count": 0,
                "incorrect_answers_count": 1,
                "partial_correct_answers_count": 0,
                "unanswered_count": 0,
                "total_count": 1,
            },
            # essay unanswered
            "unlabelled": {
                "correct_answers_count": 0,
                "incorrect_answers_count": 0,
                "partial_correct_answers_count": 0,
                "unanswered_count": 1,
                "total_count": 1,
            },
        }
