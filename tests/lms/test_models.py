"""What the lms models print."""

import pytest

from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_user_display_name_falls_back_to_full_name_then_username():
    assert UserFactory(username="ada", display_name="Ada L.").name == "Ada L."
    assert UserFactory(username="bob", display_name="", first_name="Bob", last_name="B").name == (
        "Bob B"
    )
    assert UserFactory(username="cy", display_name="").name == "cy"
    assert CourseFactory(title="Physics").__str__() == "Physics"
