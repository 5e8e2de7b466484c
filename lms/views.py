"""Where a user lands after signing in, and the error handler of last resort. The pages
themselves are ``attempts.web``."""

import sys

from django.shortcuts import redirect

from lms import access
from lms.middleware import DATABASE_UNAVAILABLE, database_unavailable_response, error_response


def home(request):
    """Reviewers (admins, instructors) land on their courses; learners on their attempts."""
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect("courses" if access.is_reviewer(request.user) else "my-attempts")


def server_error(request):
    """``handler500``: an exception no view or middleware turned into an answer. Under
    ``/api/`` the body is ``{"detail": ...}`` like every other API error; a lost database is a
    503 (Django calls this while handling the exception, so ``sys.exc_info`` names it).
    Django has logged the exception with its traceback already."""
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return database_unavailable_response(request)
    return error_response(request, 500, "A server error occurred.", "500.html")
