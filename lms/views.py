"""Where a user lands after signing in. The pages themselves are ``attempts.web``."""

from django.shortcuts import redirect

from lms import access


def home(request):
    """Reviewers (admins, instructors) land on their courses; learners on their attempts."""
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect("courses" if access.is_reviewer(request.user) else "my-attempts")
