"""Testpress's status for each domain refusal (``attempts.errors``), read by
``attempts.api.errors.exception_handler`` from the views' ``error_statuses``."""

from attempts.errors import AttemptError, ConflictError, InvalidAnswerError, NotAllowedError

ERROR_STATUSES = {
    AttemptError: 400,
    InvalidAnswerError: 400,
    NotAllowedError: 403,
    # And its kinds: exam not open, attempt limit reached, attempt not running, deadline
    # passed.
    ConflictError: 409,
}
