"""Each database constraint of the lms models rejects the bad row (not only form validation)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import EnrollmentFactory, SubjectFactory
from tests.integrity import rejected

pytestmark = pytest.mark.django_db


class TestEnrollment:
    def test_a_user_enrolls_once_per_course(self):
        enrollment = EnrollmentFactory()
        assert rejected(EnrollmentFactory, user=enrollment.user, course=enrollment.course)

    def test_enrollment_cannot_expire_before_it_starts(self):
        now = timezone.now()
        assert rejected(EnrollmentFactory, enrolled_at=now, expires_at=now - timedelta(days=1))


class TestSubject:
    def test_subject_names_are_unique_among_siblings(self):
        parent = SubjectFactory(name="Physics")
        SubjectFactory(name="Optics", parent=parent)
        assert rejected(SubjectFactory, name="Optics", parent=parent)
        SubjectFactory(name="Optics", parent=SubjectFactory(name="Art"))  # elsewhere: fine
