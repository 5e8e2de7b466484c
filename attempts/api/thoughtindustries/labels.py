"""Thought Industries' words for our values; the models keep the product's own labels."""

from assessments.models import Question
from attempts.models import Attempt

# ``status`` of an attempt. Thought Industries documents "started"; the other two are ours
# (documented in the schema). Not-started attempts are not listed (see ``views``).
STATUS = {
    Attempt.State.RUNNING: "started",
    Attempt.State.COMPLETED: "completed",
    Attempt.State.PENDING_EVALUATION: "pendingEvaluation",
}
# ``assessment.type``, ``topic.type`` and ``topicType``: every exam is a graded test.
ASSESSMENT_TYPE = "test"

# ``questions[].type`` / ``questionType``, and the flags Thought Industries derives from it.
QUESTION_TYPE = {
    Question.Type.SINGLE: "multipleChoice",
    Question.Type.MULTIPLE: "selectBoxes",
    Question.Type.TRUE_FALSE: "booleanChoice",
    Question.Type.NUMERIC: "openEnded",
    Question.Type.SHORT_TEXT: "openEnded",
    Question.Type.ESSAY: "essay",
}
