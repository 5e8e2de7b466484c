"""Testpress's words for our values; the models carry the product's own labels."""

from assessments.models import Question
from attempts.models import Attempt, UserAnswer

STATE_LABELS = {
    Attempt.State.RUNNING: "Running",
    Attempt.State.COMPLETED: "Completed",
    Attempt.State.PENDING_EVALUATION: "Pending Evaluation",
    Attempt.State.NOT_STARTED: "Not Started",
}
QUESTION_TYPE_LABELS = {
    Question.Type.SINGLE: "MCQ, Single Correct",
    Question.Type.MULTIPLE: "MCQ, Multiple Correct",
    Question.Type.TRUE_FALSE: "True or False",
    Question.Type.NUMERIC: "Numerical",
    Question.Type.SHORT_TEXT: "Short Answer",
    Question.Type.ESSAY: "Essay",
}
ANSWER_RESULT_LABELS = {
    UserAnswer.Result.CORRECT: "Correct",
    UserAnswer.Result.INCORRECT: "Incorrect",
    UserAnswer.Result.PARTIAL: "Partially Correct",
    UserAnswer.Result.UNANSWERED: "Unanswered",
    UserAnswer.Result.PENDING: "Pending",
}
# Keyed by ``Question.difficulty``; questions without one are "unlabelled".
DIFFICULTY_KEYS = {"easy": "easy", "medium": "medium", "hard": "hard", None: "unlabelled"}

RESULT_HELP = (
    "Pass or Fail once completed; NA when the exam has no pass mark; "
    "Not taken while not completed (running, not started or pending evaluation)."
)


def result_label(attempt: Attempt) -> str:
    """Testpress's ``result``: Pass / Fail once completed, NA without a pass mark, else
    Not taken."""
    if attempt.state != Attempt.State.COMPLETED:
        return "Not taken"
    if attempt.passed is None:
        return "NA"
    return "Pass" if attempt.passed else "Fail"
