"""The Testpress API says its formats itself: what a product-wide setting chooses does not
change its answers."""

from tests.attempts.api.testpress.contract import (
    LIST_URL,
    answers_url,
    detail_url,
    exam_url,
    jwt_client,
)
from tests.attempts.api.testpress.scenarios import thirteen_of_24


def test_decimals_are_strings_whatever_drf_coerces_them_to(kit, staff, settings):
    # Given DRF told to render decimals as numbers product-wide,
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "COERCE_DECIMAL_TO_STRING": False}
    attempt = thirteen_of_24(kit)
    client = jwt_client(staff)

    row = client.get(LIST_URL).json()["results"][0]
    detail = client.get(detail_url(attempt.pk)).json()
    question = client.get(answers_url(attempt.pk)).json()["results"]["exam_questions"][0]
    exam = client.get(exam_url(kit.exam.pk)).json()

    # then Testpress's marks stay strings with 2 decimals, its percentages numbers.
    assert (row["score"], row["percentage"]) == ("13.00", 54.17)
    assert detail["sections"][0]["score"] == "5.00"  # single +4, multiple +2, true/false -1
    assert (question["marks"], question["negative_marks"]) == ("4.00", "1.00")
    assert exam["pass_percentage"] == "50.00"
