"""Domain refusals (``attempts.errors``) as HTTP answers, with the statuses of the contract
whose view raised them.

The services raise errors with no HTTP in them (HackSoft's styleguide); this handler, set as
``REST_FRAMEWORK["EXCEPTION_HANDLER"]``, maps them at the edge. A view says how its clients
see each refusal with ``error_statuses`` (e.g. ``{NotAllowedError: 403, ConflictError:
409}``): the most specific class of the error that the mapping names wins, and a refusal it
does not name is a 400, what ``AttemptError`` means on its own ("the request itself is
wrong"). The body is ``{"detail": message}``, or ``{field: [message]}`` when the refusal
names the input at fault (``AttemptError.as_dict``). Any other exception DRF knows (its
``APIException``, ``Http404``, ``PermissionDenied``) is DRF's answer.

Whatever else a view raises is a JSON answer too, never Django's HTML 500 page: a lost
database a 503 (``lms.middleware``), anything else a 500 ``{"detail": ...}``, each logged with
its traceback as Django logs a failed request (``django.request``). With ``DEBUG`` on, the
exception goes on to Django's debug page instead.
"""

from collections.abc import Mapping

from django.conf import settings
from django.utils.log import log_response
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from attempts.errors import AttemptError
from lms.middleware import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS

DEFAULT_STATUS = 400


def status_for(error: AttemptError, statuses: Mapping[type[AttemptError], int]) -> int:
    """The status of the most specific class of ``error`` in ``statuses``, else 400."""
    for kind in type(error).__mro__:
        if kind in statuses:
            return statuses[kind]
    return DEFAULT_STATUS


def exception_handler(exc, context):
    if isinstance(exc, AttemptError):
        statuses = getattr(context.get("view"), "error_statuses", {})
        set_rollback()  # as DRF does for its own errors, under ATOMIC_REQUESTS
        return Response(exc.as_dict(), status=status_for(exc, statuses))
    response = drf_exception_handler(exc, context)
    if response is not None or settings.DEBUG:
        return response
    return unexpected_error_response(exc, context["request"])


def unexpected_error_response(exc, request):
    set_rollback()
    if isinstance(exc, DATABASE_UNAVAILABLE):
        response = Response(
            {"detail": "The service is unavailable for a moment. Please try again shortly."},
            status=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    else:
        response = Response({"detail": "A server error occurred."}, status=500)
    # With the traceback; marks the response logged, so Django does not log it again.
    log_response(
        "%s: %s",
        response.reason_phrase,
        request.path,
        response=response,
        request=request._request,
        exception=exc,
    )
    return response
