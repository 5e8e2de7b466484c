"""Domain refusals (``attempts.errors``) as HTTP answers, with the statuses of the contract
whose view raised them.

The services raise errors with no HTTP in them (HackSoft's styleguide); this handler, set as
``REST_FRAMEWORK["EXCEPTION_HANDLER"]``, maps them at the edge. A view says how its clients
see each refusal with ``error_statuses`` (e.g. ``{NotAllowedError: 403, ConflictError:
409}``): the most specific class of the error that the mapping names wins, and a refusal it
does not name is a 400, what ``AttemptError`` means on its own ("the request itself is
wrong"). The body is ``{"detail": message}``, or ``{field: [message]}`` when the refusal
names the input at fault (``AttemptError.as_dict``). Any other exception is DRF's.
"""

from collections.abc import Mapping

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from attempts.errors import AttemptError

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
    return drf_exception_handler(exc, context)
