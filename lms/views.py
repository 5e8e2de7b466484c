"""Where a user lands after signing in, and signing out everywhere. The pages themselves are
``attempts.web``."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from lms import access


def home(request):
    """Reviewers (admins, instructors) land on their courses; learners on their attempts."""
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect("courses" if access.is_reviewer(request.user) else "my-attempts")


@require_POST
@login_required
def sign_out_everywhere(request):
    """Revoke every API token of the user (``User.revoke_tokens``) and end this session."""
    request.user.revoke_tokens()
    logout(request)
    messages.success(request, "Signed out everywhere: your API tokens no longer work.")
    return redirect("login")
