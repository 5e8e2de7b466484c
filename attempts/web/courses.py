"""The reviewer's courses: each exam with its attempt counts by state, mean score and pass
rate (``attempts.statistics.exam.exam_overviews``)."""

from django.views.generic import TemplateView

from attempts.statistics.exam import exam_overviews
from attempts.web.permissions import ReviewerRequiredMixin
from lms.models import Course


class CourseListView(ReviewerRequiredMixin, TemplateView):
    """Who: admins see every course, instructors the courses they teach."""

    template_name = "lms/courses.html"

    def get_context_data(self, **kwargs):
        courses = list(Course.objects.reviewable_by(self.request.user).prefetch_related("exams"))
        overviews = exam_overviews([exam for course in courses for exam in course.exams.all()])
        return {
            **super().get_context_data(**kwargs),
            "courses": [
                (course, [overviews[exam.pk] for exam in course.exams.all()]) for course in courses
            ],
        }
