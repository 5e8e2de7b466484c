"""Who may call the Testpress admin API and what each caller sees (``lms.access``):
admins everything, instructors their courses (another id is a 404), learners 403.
"""

import pytest
from django.contrib.auth.models import Permission

from tests.attempts.api.testpress.contract import (
    LIST_URL,
    answers_url,
    detail_url,
    jwt_client,
    listed_ids,
)
from tests.attempts.api.testpress.scenarios import thirteen_of_24
from tests.factories import AttemptFactory, UserFactory


class TestRoles:
    def test_staff_with_the_view_all_permission_sees_every_attempt(self, kit, other_course_attempt):
        # Given an attempt in the kit's course and one in another course,
        mine = AttemptFactory(user=kit.learner, exam=kit.exam)
        staff = UserFactory(is_staff=True)  # staff, teaching nothing, not superuser
        staff.user_permissions.add(Permission.objects.get(codename="view_all_attempts"))
        # then a staff account granted "view all attempts" lists both.
        response = jwt_client(staff).get(LIST_URL)
        assert sorted(listed_ids(response)) == sorted([mine.pk, other_course_attempt.pk])

    def test_the_staff_flag_alone_opens_nothing(self, kit, other_course_attempt):
        # The staff flag opens the Django admin's door, not every course (Hardening, item 6).
        AttemptFactory(user=kit.learner, exam=kit.exam)
        plain_staff = UserFactory(is_staff=True)
        response = jwt_client(plain_staff).get(LIST_URL)
        assert response.status_code == 403

    def test_instructor_lists_only_attempts_of_courses_they_teach(self, kit, other_course_attempt):
        mine = AttemptFactory(user=kit.learner, exam=kit.exam)
        response = jwt_client(kit.instructor).get(LIST_URL)
        assert listed_ids(response) == [mine.pk]
        assert response.json()["count"] == 1

    def test_instructor_reads_detail_and_answers_of_their_course(self, kit):
        attempt = thirteen_of_24(kit)
        client = jwt_client(kit.instructor)
        assert client.get(detail_url(attempt.pk)).status_code == 200
        assert client.get(answers_url(attempt.pk)).status_code == 200

    @pytest.mark.parametrize("url", [detail_url, answers_url])
    def test_instructor_gets_404_for_another_course_attempt(self, kit, other_course_attempt, url):
        response = jwt_client(kit.instructor).get(url(other_course_attempt.pk))
        assert response.status_code == 404

    @pytest.mark.parametrize("url", [detail_url, answers_url])
    def test_staff_gets_404_for_an_attempt_that_does_not_exist(self, staff, url):
        assert jwt_client(staff).get(url(999_999)).status_code == 404

    def test_learner_is_403_on_the_list(self, kit):
        AttemptFactory(user=kit.learner, exam=kit.exam)
        response = jwt_client(kit.learner).get(LIST_URL)
        assert response.status_code == 403

    @pytest.mark.parametrize("url", [detail_url, answers_url])
    def test_learner_is_403_even_on_their_own_attempt(self, kit, url):
        attempt = thirteen_of_24(kit)
        assert attempt.user == kit.learner
        assert jwt_client(kit.learner).get(url(attempt.pk)).status_code == 403

    @pytest.mark.parametrize("url", [detail_url, answers_url])
    def test_learner_is_403_not_404_for_an_unknown_id(self, kit, url):
        # A learner must not learn which ids exist.
        assert jwt_client(kit.learner).get(url(999_999)).status_code == 403
