"""Who may open a page at all. Which rows a page then shows is decided by the querysets of
``lms.access`` (``reviewable_by``/``visible_to``) in each view: a row outside them is a 404."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied

from lms import access


class ReviewerRequiredMixin(LoginRequiredMixin):
    """Pages for admins and instructors only: a learner gets 403, anonymous users the login
    page."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not access.is_reviewer(request.user):
            raise PermissionDenied("These pages are for admins and instructors.")
        return super().dispatch(request, *args, **kwargs)
