"""The Testpress admin API as its clients call it: paths, the fields of a row, a client that
sends a token with Testpress's ``JWT`` prefix (or ``Bearer``)."""

from rest_framework.test import APIClient

from attempts.api.tokens import VersionedSlidingToken as SlidingToken

LIST_URL = "/api/v2.5/admin/attempts/"
TOKEN_URL = "/api/v2.5/auth-token/"
REFRESH_URL = "/api/v2.5/auth-token/refresh/"
VERIFY_URL = "/api/v2.5/auth-token/verify/"

# The fields of one attempt in the seed's list example, in its order.
LIST_FIELDS = [
    "id",
    "date",
    "exam_id",
    "user_id",
    "email",
    "name",
    "phone",
    "correct_answers_count",
    "incorrect_answers_count",
    "unanswered_count",
    "score",
    "percentage",
    "time_taken",
    "remaining_time",
    "result",
    "state",
    "last_started_time",
    "last_answer_updated_time",
    "speed",
    "exam_url",
    "user_url",
]


def detail_url(pk):
    return f"/api/v2.5/admin/attempts/{pk}/"


def answers_url(pk):
    return f"/api/v3/admin/attempts/{pk}/user_answers/"


def exam_url(pk):
    return f"/api/v2.5/admin/exams/{pk}/"


def user_url(pk):
    return f"/api/v2.5/admin/users/{pk}/"


def jwt_client(user, scheme="JWT") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {SlidingToken.for_user(user)}")
    return client


def listed_ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]
