"""Middleware that keeps hostile input and a lost database from becoming a bare 500.

- ``RejectNulMiddleware``: a NUL character (``\\x00``, raw or as ``%00``) in the query string
  or the form data of any request is a 400 before any view runs. PostgreSQL cannot store or
  compare a NUL in text (``ValueError: A string literal cannot contain NUL``): every filter
  of the admin and the pages would be a 500 there, and a silent no-match on SQLite.
- ``DatabaseUnavailableMiddleware``: a view that cannot reach the database (refused, reset,
  or no pooled connection within ``DB_POOL_TIMEOUT``) answers 503 at once: JSON under
  ``/api/``, the friendly ``503.html`` elsewhere. Errors raised outside views (in other
  middleware) reach ``lms.views.server_error``, which answers the same way.

Both answer ``{"detail": message}`` under ``/api/``, as DRF does.

- ``UserTimeZoneMiddleware``: pages show times in the signed-in user's ``time_zone`` (UTC
  for anyone else); stored times stay UTC.
"""

import logging
import zoneinfo

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.log import log_response

try:  # only with PostgreSQL's pool installed; Django wraps it as OperationalError mostly
    from psycopg_pool import PoolTimeout
except ImportError:  # pragma: no cover - SQLite-only installs
    PoolTimeout = OperationalError

logger = logging.getLogger("django.request")

API_PREFIX = "/api/"
# Contracts served at their clients' own paths (Thought Industries' /incoming/v2/...,
# iSpring's /learners/modules/results).
API_PREFIXES = (API_PREFIX, "/incoming/", "/learners/")
# What "the database is not there" looks like from a view.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
RETRY_AFTER_SECONDS = 30


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIXES)


def error_response(request, status: int, detail: str, template: str | None = None):
    """``{"detail": ...}`` under ``/api/``; elsewhere ``template`` (rendered with no request,
    so it reads no session or user: the database may be the problem), or plain text."""
    if is_api(request):
        return JsonResponse({"detail": detail}, status=status)
    if template:
        return HttpResponse(render_to_string(template, {"detail": detail}), status=status)
    return HttpResponse(detail, status=status, content_type="text/plain; charset=utf-8")


def database_unavailable_response(request):
    response = error_response(
        request,
        503,
        "The service is unavailable for a moment. Please try again shortly.",
        "503.html",
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def has_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in v for v in vs) for key, vs in values.lists())


class RejectNulMiddleware:
    DETAIL = "The request contains a NUL character, which no parameter may contain."
    FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Raw in the query string, or decoded from %00 in a name or a value.
        nul = "\x00" in request.META.get("QUERY_STRING", "") or has_nul(request.GET)
        if not nul and request.method == "POST" and request.content_type in self.FORM_TYPES:
            nul = has_nul(request.POST)
        if nul:
            return error_response(request, 400, self.DETAIL)
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_UNAVAILABLE):
            return None
        response = database_unavailable_response(request)
        # Logged here with its traceback (Django would log the 503 without it).
        log_response(
            "Database unavailable: %s",
            request.path,
            response=response,
            request=request,
            exception=exception,
        )
        return response


class UserTimeZoneMiddleware:
    """Activate the signed-in user's display time zone for a page (after
    ``AuthenticationMiddleware``). Not under ``/api/``: the contracts write their times as
    they define them (DRF would render them in the active zone), whoever calls."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(API_PREFIX):
            return self.get_response(request)
        user = getattr(request, "user", None)
        name = getattr(user, "time_zone", "") if user and user.is_authenticated else ""
        try:
            timezone.activate(zoneinfo.ZoneInfo(name or "UTC"))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.activate(zoneinfo.ZoneInfo("UTC"))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
