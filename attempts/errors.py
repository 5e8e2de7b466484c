"""Refusals of the attempt services, each with the HTTP status the API and pages answer with.

Views catch ``AttemptError`` and render ``message`` (keyed by ``field`` when one is named);
nothing the services refuse becomes a 500.
"""


class AttemptError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def as_dict(self) -> dict:
        return {self.field or "detail": [self.message] if self.field else self.message}


class InvalidAnswerError(AttemptError):
    """The request itself is wrong: a choice of another question, marks out of range, ..."""


class NotAllowedError(AttemptError):
    """The user may not do this (not enrolled, not an instructor of the course)."""

    status_code = 403


class ConflictError(AttemptError):
    """Allowed in general, but not in the attempt's or exam's current state."""

    status_code = 409


class ExamNotOpenError(ConflictError):
    pass


class AttemptLimitError(ConflictError):
    pass


class AttemptNotRunningError(ConflictError):
    pass


class DeadlinePassedError(ConflictError):
    pass
