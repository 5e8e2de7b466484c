"""The assessment list's filter: ``course_id`` (a ``crs_`` id). A malformed id is a 400
naming it; an id of no course the caller sees gives an empty list."""

import django_filters
from django import forms

from assessments.models import Exam
from attempts.api.submissions import public_ids


class CourseIdField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return None
        course_uuid = public_ids.to_uuid(public_ids.COURSE, value)
        if course_uuid is None:
            raise forms.ValidationError("Enter a course id such as crs_1a2B3c.")
        return course_uuid


class CourseIdFilter(django_filters.Filter):
    field_class = CourseIdField


class AssessmentFilter(django_filters.FilterSet):
    course_id = CourseIdFilter(
        field_name="course__uuid", help_text="Only the assessments of this course (`crs_…`)."
    )

    class Meta:
        model = Exam
        fields = ["course_id"]
