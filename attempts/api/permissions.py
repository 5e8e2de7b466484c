"""Who may call a reviewer's endpoint, for every contract: the rule is ``lms.access``'s.

Admins and instructors pass (``access.is_reviewer``); what each of them sees is left to the
querysets (``reviewable_by``). Learners get 403, anonymous requests 401 (with the
``WWW-Authenticate`` header of the view's first authentication class).
"""

from django.http import Http404
from django.shortcuts import get_object_or_404
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from attempts.models import Attempt
from lms import access


class IsReviewer(BasePermission):
    """Admins and instructors. Views that look up one object scoped to the reviewer may set
    ``defer_reviewer_check``: a found object proves the right, and only a miss costs the
    query that tells a learner's 403 from a reviewer's 404 (see ``ReviewerObjectMixin``)."""

    message = "The admin API is for admins and instructors."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return (
            access.is_admin(user)
            or getattr(view, "defer_reviewer_check", False)
            or access.is_reviewer(user)
        )


class ReviewerObjectMixin:
    """Look up one attempt among those the reviewer may see: 404 for any other id, 403 when
    the caller is no reviewer at all."""

    defer_reviewer_check = True

    def get_attempt(self, queryset=None):
        queryset = queryset if queryset is not None else Attempt.objects.all()
        user = self.request.user
        try:
            return get_object_or_404(queryset.reviewable_by(user), pk=self.kwargs["pk"])
        except Http404:
            if not access.is_reviewer(user):
                raise PermissionDenied(IsReviewer.message) from None
            raise
