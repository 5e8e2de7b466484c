"""Forgiving an attempt from its page: it no longer counts against the exam's retake limit.

Who: reviewers of the attempt (``Attempt.objects.reviewable_by``; another course's attempt is
a 404, learners 403). The change goes through ``attempts.services.attempt_forgive``, as the
admin's action does, and records a ``forgiven`` event.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views import View

from attempts.errors import AttemptError
from attempts.models import Attempt
from attempts.services import attempt_forgive
from attempts.web.evaluation import SeeOther
from attempts.web.permissions import ReviewerRequiredMixin


class AttemptForgiveView(ReviewerRequiredMixin, View):
    """POST: forgive the attempt, then back to its page (303) with a message."""

    http_method_names = ["post"]

    def post(self, request, pk):
        attempt = get_object_or_404(Attempt.objects.reviewable_by(request.user), pk=pk)
        try:
            attempt_forgive(attempt=attempt, actor=request.user)
        except AttemptError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, "Forgiven: this attempt no longer counts against the retake limit."
            )
        return SeeOther(reverse("attempt-detail", args=[pk]))
