"""Landing pages: where a user goes after signing in, and the reviewer's courses."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.views.generic import TemplateView

from attempts.reports import exam_overviews
from lms import access
from lms.models import Course


def home(request):
    """Reviewers (admins, instructors) land on their courses; learners on their attempts."""
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect("courses" if access.is_reviewer(request.user) else "my-attempts")


class ReviewerRequiredMixin(LoginRequiredMixin):
    """Pages for admins and instructors only: a learner gets 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not access.is_reviewer(request.user):
            raise PermissionDenied("These pages are for admins and instructors.")
        return super().dispatch(request, *args, **kwargs)


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
