"""The one check of the stored sums: every tally cell of the exams equals a full recomputation
from the attempts and answers (``attempts.tallies.exam_sums_recompute``)."""

from attempts.tallies import exam_sums_differences, exam_sums_stored


def assert_sums_match(*exams):
    """The stored tallies of ``exams`` equal their full recomputation, cell by cell."""
    ids = [getattr(exam, "pk", exam) for exam in exams]
    differences = exam_sums_differences(ids)
    assert differences == {}, differences


def stored_cells(*exams) -> dict:
    """The stored non-zero cells of ``exams`` (to show a change left them as they were)."""
    return exam_sums_stored([getattr(exam, "pk", exam) for exam in exams]).nonzero()
