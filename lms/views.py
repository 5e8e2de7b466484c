"""Where a user lands after signing in, signing out everywhere, the throttled password reset
form and the error handler of last resort. The pages themselves are ``attempts.web``."""

import hashlib
import sys

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import PasswordResetView
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from lms import access
from lms.client_address import client_address
from lms.forms import PreferencesForm
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


@require_POST
@login_required
def sign_out_everywhere(request):
    """Revoke every API token of the user (``User.revoke_tokens``) and end this session."""
    request.user.revoke_tokens()
    logout(request)
    messages.success(
        request, "Signed out everywhere: your other sessions and API tokens no longer work."
    )
    return redirect("login")


HOUR = 60 * 60


def within_hourly_limit(key: str, limit: int) -> bool:
    """Count one more request under ``key`` (a window of an hour from the first) and say
    whether the count is still within ``limit``."""
    cache.add(key, 0, timeout=HOUR)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=HOUR)
        count = 1
    return count <= limit


class ThrottledPasswordResetView(PasswordResetView):
    """Django's reset form, at most PASSWORD_RESET_LIMIT_PER_ADDRESS requests an hour for an
    address and PASSWORD_RESET_LIMIT_PER_IP from a client address: no mail flood to a victim,
    no scan from one machine. An unknown address counts too (the answer must not tell)."""

    throttled_message = "Too many password reset requests. Please try again in an hour."

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        address_key = "password-reset:email:" + hashlib.sha256(email.encode()).hexdigest()
        ip_key = "password-reset:ip:" + (client_address(self.request) or "")
        if not (
            within_hourly_limit(ip_key, settings.PASSWORD_RESET_LIMIT_PER_IP)
            and within_hourly_limit(address_key, settings.PASSWORD_RESET_LIMIT_PER_ADDRESS)
        ):
            form.add_error(None, self.throttled_message)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


@login_required
def preferences(request):
    """The signed-in user's display preferences: the time zone pages show times in."""
    form = PreferencesForm(request.POST or None, instance=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, f"Times now show in {form.instance.time_zone}.")
            return redirect("preferences")
        status = 400
    return render(request, "lms/preferences.html", {"form": form}, status=status)
