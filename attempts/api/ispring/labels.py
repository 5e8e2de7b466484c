"""iSpring's words for our values: the completion status of a (learner, module) row.

The row's attempt is the one that represents the learner at the exam: the completed attempt
the exam's rank policy chose (``Attempt.counts_for_rank``: the first, best or last
completed one), else the learner's latest attempt, else none.

=====================================  ===============
Our representative attempt             completionStatus
=====================================  ===============
none, or opened but never started      ``not_started``
running (``State.RUNNING``)            ``in_progress``
submitted, essays awaiting marks       ``pending``
completed, exam without a pass mark    ``complete``
completed, ``passed`` true             ``passed``
completed, ``passed`` false            ``failed``
=====================================  ===============

``accepted``, ``declined`` (an instructor's approval of a submitted assignment) and
``incomplete`` (a SCORM module left unfinished) name things our exams do not have: an
exam attempt is marked, not accepted, and an attempt closed unfinished is finalized and
marked (``completed``, then passed or failed). They are valid filter values that match no
row.
"""

NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
PENDING = "pending"
COMPLETE = "complete"
PASSED = "passed"
FAILED = "failed"
COMPLETION_STATUSES = (
    NOT_STARTED,
    IN_PROGRESS,
    PENDING,
    COMPLETE,
    PASSED,
    "accepted",
    "incomplete",
    FAILED,
    "declined",
)
COMPLETED = (COMPLETE, PASSED, FAILED)
