"""``GET /api/v3/admin/attempts/<id>/user_answers/``: an attempt's answers and their
questions, paged by answer.
"""

from datetime import timedelta

from tests import play
from tests.attempts.api.testpress.contract import answers_url, jwt_client
from tests.attempts.conftest import NOW

USER_ANSWER_FIELDS = {
    "id",
    "exam_question_id",
    "selected_answers",
    "result",
    "duration",
    "review",
    "guessed",
}
EXAM_QUESTION_FIELDS = [
    "id",
    "question_id",
    "section_id",
    "question_html",
    "type",
    "marks",
    "negative_marks",
    "partial_marks",
    "direction",
    "answers",
    "difficulty_level",
    "order",
    "is_bonus",
    "exam_id",
]


def mixed_answers(kit):
    """One answer of each result, submitted after 10 minutes:

    single choice 0: Correct (25 s, flagged for review); multiple 0+1: Partially Correct
    (guessed); true/false choice 1: Incorrect (not guessed); numeric: never answered
    (Unanswered); short "Paris": Correct; essay: Pending.
    """
    attempt = kit.start()
    kit.answer(attempt, "single", choices=[0], time_spent_seconds=25, flagged=True)
    kit.answer(attempt, "multiple", choices=[0, 1], guessed=True)
    kit.answer(attempt, "true_false", choices=[1], guessed=False)
    kit.answer(attempt, "short", text="Paris")
    kit.answer(attempt, "essay", text="Because gravity.")
    return play.submit(attempt, now=NOW + timedelta(minutes=10))


class TestUserAnswers:
    def test_envelope_has_250_per_page_and_results_object(self, kit, staff):
        attempt = mixed_answers(kit)
        body = jwt_client(staff).get(answers_url(attempt.pk)).json()
        assert list(body) == ["count", "next", "previous", "per_page", "results"]
        assert (body["count"], body["next"], body["previous"], body["per_page"]) == (
            6,
            None,
            None,
            250,
        )
        assert list(body["results"]) == ["user_answers", "exam_questions"]

    def test_user_answer_fields_and_result_labels(self, kit, staff):
        attempt = mixed_answers(kit)
        answers = jwt_client(staff).get(answers_url(attempt.pk)).json()["results"]["user_answers"]

        assert all(set(row) >= USER_ANSWER_FIELDS for row in answers)
        picked = [{key: row[key] for key in USER_ANSWER_FIELDS - {"id"}} for row in answers]
        choice = {name: [c.pk for c in choices] for name, choices in kit.choices.items()}
        assert picked == [
            {
                "exam_question_id": kit.eq["single"].pk,
                "selected_answers": [choice["single"][0]],
                "result": "Correct",
                "duration": 25,
                "review": True,
                "guessed": None,
            },
            {
                "exam_question_id": kit.eq["multiple"].pk,
                "selected_answers": [choice["multiple"][0], choice["multiple"][1]],
                "result": "Partially Correct",
                "duration": 0,
                "review": False,
                "guessed": True,
            },
            {
                "exam_question_id": kit.eq["true_false"].pk,
                "selected_answers": [choice["true_false"][1]],
                "result": "Incorrect",
                "duration": 0,
                "review": False,
                "guessed": False,
            },
            {
                "exam_question_id": kit.eq["numeric"].pk,
                "selected_answers": [],
                "result": "Unanswered",
                "duration": 0,
                "review": False,
                "guessed": None,
            },
            {
                "exam_question_id": kit.eq["short"].pk,
                "selected_answers": [],
                "result": "Correct",
                "duration": 0,
                "review": False,
                "guessed": None,
            },
            {
                "exam_question_id": kit.eq["essay"].pk,
                "selected_answers": [],
                "result": "Pending",
                "duration": 0,
                "review": False,
                "guessed": None,
            },
        ]
        assert all(isinstance(row["id"], int) for row in answers)

    def test_exam_question_fields_and_formats(self, kit, staff):
        attempt = mixed_answers(kit)
        questions = (
            jwt_client(staff).get(answers_url(attempt.pk)).json()["results"]["exam_questions"]
        )

        assert [list(row) for row in questions] == [EXAM_QUESTION_FIELDS] * 6
        single, multiple = questions[0], questions[1]
        eq = kit.eq["single"]
        assert single == {
            "id": eq.pk,
            "question_id": eq.question_id,
            "section_id": eq.section_id,
            "question_html": eq.question.text_html,
            "type": "MCQ, Single Correct",
            "marks": "4.00",
            "negative_marks": "1.00",
            "partial_marks": None,
            "direction": None,
            "answers": [{"id": c.pk, "text_html": c.text_html} for c in kit.choices["single"]],
            "difficulty_level": "medium",
            "order": 0,
            "is_bonus": False,
            "exam_id": kit.exam.pk,
        }
        assert (multiple["type"], multiple["partial_marks"]) == ("MCQ, Multiple Correct", "1.00")
        assert [row["type"] for row in questions] == [
            "MCQ, Single Correct",
            "MCQ, Multiple Correct",
            "True or False",
            "Numerical",
            "Short Answer",
            "Essay",
        ]
        # Questions without choices list none.
        assert [len(row["answers"]) for row in questions] == [4, 4, 2, 0, 0, 0]

    def test_answers_never_reveal_the_key(self, kit, staff):
        attempt = mixed_answers(kit)
        questions = (
            jwt_client(staff).get(answers_url(attempt.pk)).json()["results"]["exam_questions"]
        )
        assert {key for row in questions for choice in row["answers"] for key in choice} == {
            "id",
            "text_html",
        }

    def test_per_page_splits_answers_and_lists_only_that_page_questions(self, kit, staff):
        attempt = mixed_answers(kit)
        client = jwt_client(staff)
        order = [kit.eq[name].pk for name in kit.eq]  # exam order: single … essay

        pages = [
            client.get(answers_url(attempt.pk), {"per_page": 2, "page": page}).json()
            for page in (1, 2, 3)
        ]

        for number, body in enumerate(pages):
            expected = order[2 * number : 2 * number + 2]
            results = body["results"]
            assert (body["count"], body["per_page"]) == (6, 2)
            assert [row["exam_question_id"] for row in results["user_answers"]] == expected
            assert [row["id"] for row in results["exam_questions"]] == expected
        assert pages[0]["previous"] is None
        assert pages[0]["next"].endswith(f"{answers_url(attempt.pk)}?page=2&per_page=2")
        assert pages[2]["next"] is None

    def test_running_attempt_without_answers_has_empty_lists(self, kit, staff):
        attempt = kit.start()
        body = jwt_client(staff).get(answers_url(attempt.pk)).json()
        assert body["count"] == 0
        assert body["results"] == {"user_answers": [], "exam_questions": []}
