"""Refusals of the attempt services: what was refused and why, with no HTTP in them.

Each caller maps them at its edge: the pages (``attempts.web``) and each API contract say
which status a refusal becomes for their clients (a retake limit may be a 409 in one
contract and a 403 in another). ``message`` is for people; ``field`` names the input it
concerns, when one does. Nothing the services refuse becomes a 500.
"""


class AttemptError(Exception):
    """Base of every refusal; on its own, "the request itself is wrong"."""

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


class ConflictError(AttemptError):
    """Allowed in general, but not in the attempt's or exam's current state."""


class ExamNotOpenError(ConflictError):
    pass


class AttemptLimitError(ConflictError):
    """The learner has used every attempt the exam allows: ``limit`` and ``used`` say how
    many (None when the raiser did not count them)."""

    def __init__(self, message: str, *, limit: int | None = None, used: int | None = None):
        super().__init__(message)
        self.limit = limit
        self.used = used


class AttemptNotRunningError(ConflictError):
    pass


class DeadlinePassedError(ConflictError):
    pass
