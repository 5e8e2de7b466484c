"""The reviewer's courses: each exam with its attempt counts by state, mean score and pass
rate (``attempts.statistics.exam.exam_overviews``), over the attempts the reviewer may see
(``lms.access.attempts_reviewable_by``)."""

from django.db.models import Prefetch
from django.views.generic import TemplateView

from assessments.models import Exam
from attempts.statistics.exam import exam_overviews
from attempts.web.permissions import ReviewerRequiredMixin
from lms import access
from lms.models import Course


class CourseListView(ReviewerRequiredMixin, TemplateView):
    """Who: admins see every course, instructors the courses they teach, department
    administrators the courses and exams their people have attempted, so they need not know
    the exams' addresses (``lms.access.courses_listed_for``, ``exams_listed_for``)."""

    template_name = "lms/courses.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        exams = Exam.objects.filter(access.exams_listed_for(user)).annotate(
            reviewed=access.reviews_exam(user)
        )
        courses = list(
            Course.objects.filter(access.courses_listed_for(user)).prefetch_related(
                Prefetch("exams", queryset=exams)
            )
        )
        overviews = exam_overviews(
            [exam for course in courses for exam in course.exams.all()],
            attempts=access.attempts_reviewable_by(user),
        )
        return {
            **super().get_context_data(**kwargs),
            "courses": [
                (course, [overviews[exam.pk] for exam in course.exams.all()]) for course in courses
            ],
        }
