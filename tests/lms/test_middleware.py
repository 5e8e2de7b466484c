"""``lms.middleware``: a NUL in the query or form data is a 400 on every database, and a lost
database is a quick 503 (JSON under /api/, a friendly page elsewhere), never a bare 500."""

import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import InterfaceError, OperationalError
from psycopg_pool import PoolTimeout

from attempts.web.attempt_list import ExamAttemptListView
from tests.attempts.api.testpress.contract import LIST_URL, jwt_client
from tests.factories import ExamFactory, StaffFactory

pytestmark = pytest.mark.django_db

NUL_DETAIL = "The request contains a NUL character, which no parameter may contain."


@pytest.fixture
def staff():
    return StaffFactory()


class TestNulIsA400:
    @pytest.mark.parametrize(
        "path",
        [
            # Each was a 500 on PostgreSQL ("A string literal cannot contain NUL").
            "/admin/attempts/useranswer/?result=%00",
            "/admin/assessments/question/?type__exact=%00",
            "/admin/assessments/question/?difficulty__exact=%00",
            "/admin/attempts/attempt/?q=ada%00",
            "/admin/attempts/attempt/?%00=1",  # in a name, too
        ],
    )
    def test_in_an_admin_filter(self, admin_client, path):
        response = admin_client.get(path)
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/plain")
        assert response.content.decode() == NUL_DETAIL

    def test_raw_in_the_query_string(self, admin_client):
        response = admin_client.get("/admin/attempts/attempt/", QUERY_STRING="q=a\x00b")
        assert response.status_code == 400

    def test_in_a_page_filter(self, client, staff):
        client.force_login(staff)
        response = client.get(f"/exams/{ExamFactory().pk}/attempts/?learner=ada%00")
        assert response.status_code == 400

    def test_in_form_data(self, client):
        response = client.post("/accounts/login/", {"username": "ada\x00", "password": "x"})
        assert response.status_code == 400
        assert response.content.decode() == NUL_DETAIL

    def test_under_api_the_body_is_json(self, staff):
        response = jwt_client(staff).get(f"{LIST_URL}?ordering=%00")
        assert response.status_code == 400
        assert response.json() == {"detail": NUL_DETAIL}

    def test_in_a_json_api_body_is_left_to_the_api(self, staff):
        # Only the query and form data are checked: a JSON body is the serializer's (DRF's
        # CharField refuses a NUL with a message keyed by the field).
        client = jwt_client(staff)
        client.raise_request_exception = False
        body = {"username": "a\x00", "password": "x"}
        response = client.post("/api/v2.5/auth-token/", body, format="json")
        assert response.status_code == 400
        assert list(response.json()) == ["username"]

    def test_a_query_without_nul_passes(self, admin_client):
        assert admin_client.get("/admin/attempts/useranswer/?result=0").status_code == 200


class TestLostDatabase:
    """A view or a middleware that cannot reach the database: a 503 with Retry-After."""

    ERRORS = [
        OperationalError("connection refused"),
        InterfaceError("connection already closed"),
        PoolTimeout("couldn't get a connection after 3.00 sec"),
    ]

    @pytest.fixture
    def page(self, client, staff, monkeypatch):
        client.force_login(staff)
        client.raise_request_exception = False
        return f"/exams/{ExamFactory().pk}/attempts/"

    @pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
    def test_a_page_is_a_friendly_503(self, client, page, monkeypatch, error):
        def fail(self, request, *args, **kwargs):
            raise error

        monkeypatch.setattr(ExamAttemptListView, "get", fail)
        response = client.get(page)
        assert response.status_code == 503
        assert int(response["Retry-After"]) > 0
        html = response.content.decode()
        assert "<h1>Unavailable for a moment</h1>" in html
        assert "connection" not in html  # no detail of the failure

    def test_a_failure_before_the_view_is_a_503_too(self, client, page, monkeypatch):
        # The session is read in a middleware: Django's handler500 (lms.views.server_error).
        def fail(self, request):
            raise OperationalError("connection refused")

        monkeypatch.setattr(SessionMiddleware, "process_request", fail)
        response = client.get(page)
        assert response.status_code == 503
        assert "<h1>Unavailable for a moment</h1>" in response.content.decode()
        api = jwt_client(StaffFactory.build())
        api.raise_request_exception = False
        response = api.get(LIST_URL)
        assert response.status_code == 503
        assert response.json()["detail"].startswith("The service is unavailable")

    def test_any_other_error_is_still_a_500(self, client, page, monkeypatch):
        def fail(self, request, *args, **kwargs):
            raise RuntimeError("a bug")

        monkeypatch.setattr(ExamAttemptListView, "get", fail)
        response = client.get(page)
        assert response.status_code == 500
        assert "<h1>Something went wrong</h1>" in response.content.decode()
