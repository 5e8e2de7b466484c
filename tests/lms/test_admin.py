"""The admin of the lms models: the subject tree shows full paths and cannot loop, the user
form shows the profile, and the subject list costs the same whatever the depth."""

import pytest

from lms.models import Subject, User
from tests.admin_pages import changelist_rows, url
from tests.factories import SubjectFactory

pytestmark = pytest.mark.django_db


def test_subject_changelist_shows_full_paths(admin_client, one_of_each):
    response = admin_client.get(url(Subject, "changelist"))

    assert "Root › Child › Leaf" in response.content.decode()
    paths = [subject.full_path for subject in changelist_rows(response)]
    assert paths == ["Root", "Root › Child", "Root › Child › Leaf"]


def test_subject_form_refuses_to_move_a_subject_below_itself(admin_client, one_of_each):
    root = Subject.objects.get(name="Root")

    response = admin_client.post(
        url(Subject, "change", root.pk), {"name": "Root", "parent": one_of_each.subject.pk}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "parent": ["A subject cannot move below itself."]
    }
    root.refresh_from_db()
    assert root.parent is None


def test_user_change_form_shows_the_profile_fields(admin_client, one_of_each):
    html = admin_client.get(url(User, "change", one_of_each.user.pk)).content.decode()

    assert str(one_of_each.user.uuid) in html  # read-only
    assert 'name="uuid"' not in html
    assert 'name="display_name"' in html
    assert 'name="phone"' in html


def test_subject_changelist_query_budget_does_not_grow_with_depth(
    admin_client, django_assert_num_queries
):
    path = url(Subject, "changelist")
    parent = SubjectFactory()
    for _ in range(3):
        parent = SubjectFactory(parent=parent)
    # session, admin user, COUNT of the filtered and of all subjects (the same here),
    # the page of subjects, the names of their ancestors.
    with django_assert_num_queries(6):
        assert admin_client.get(path).status_code == 200
    for _ in range(30):
        parent = SubjectFactory(parent=parent)
    # The same six with 34 subjects, 33 deep, as with 4.
    with django_assert_num_queries(6):
        assert admin_client.get(path).status_code == 200
