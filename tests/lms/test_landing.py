"""Sign in and where a user lands after it (lms/views.py ``home``)."""

import pytest

from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def teacher():
    return UserFactory(username="teacher")


class TestSignIn:
    def test_sign_in_page_has_labelled_fields(self, client):
        html = client.get("/accounts/login/").content.decode()
        assert '<label for="id_username">' in html
        assert '<label for="id_password">' in html

    def test_a_reviewer_lands_on_courses_and_a_learner_on_their_attempts(self, client, teacher):
        CourseFactory(instructors=[teacher])
        learner = UserFactory(username="ada")
        response = client.post("/accounts/login/", {"username": "teacher", "password": "pass"})
        assert response.status_code == 302
        assert client.get("/").url == "/courses/"
        client.post("/accounts/logout/")
        client.post("/accounts/login/", {"username": learner.username, "password": "pass"})
        assert client.get("/").url == "/my/attempts/"

    def test_anonymous_home_goes_to_sign_in(self, client):
        assert client.get("/").url == "/accounts/login/"
