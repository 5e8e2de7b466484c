"""How the pages answer a refusal of the services (``attempts.errors``): the status is the
pages' choice, as each API contract makes its own."""

from attempts.errors import AttemptError, ConflictError, NotAllowedError


def page_status(error: AttemptError) -> int:
    """403 not allowed, 409 a conflict with the attempt's state, 400 a wrong input."""
    if isinstance(error, NotAllowedError):
        return 403
    if isinstance(error, ConflictError):
        return 409
    return 400
