"""The CSV file of results taken on paper, read for ``attempts_import_offline``.

Format (UTF-8, with or without a byte-order mark; comma-separated; first line the header)::

    username,exam,started_at,completed_at,q1,q2,q3,q4,q5,q6
    ada,0b7c…-uuid,2026-09-30T09:00:00+00:00,2026-09-30T09:40:00+00:00,A,"A,C",B,9.8,Paris,Light bends.

- ``username``: the learner's username; they must be enrolled in the exam's course.
- ``exam``: the exam's uuid (shown on its admin page).
- ``started_at``, ``completed_at``: ISO 8601; without an offset, in the site's time zone.
- ``q1``, ``q2``…: the answer to the exam's question at that position (1 the first, in the
  exam's order). Single choice and true/false: the letter of the chosen option in its order
  (A the first); multiple choice: its letters, ``A,C`` or ``AC``; numeric: a number (``9.8``);
  short text and essays: the text. A blank cell (or no column) is unanswered. Rows of
  different exams may share a file: cells beyond an exam's last question must stay blank.

Every row is checked before anything is stored; one refused row stores nothing, and the
report names each refused row by its line in the file (the header is line 1) and its column.
"""

import csv
import io


def read_rows(data: bytes) -> list[dict[str, str]]:
    """The rows of the file as ``csv.DictReader`` gives them; ``ValueError`` when the file is
    not UTF-8 text."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("The file is not UTF-8 text (save it as “CSV UTF-8”).") from None
    return list(csv.DictReader(io.StringIO(text, newline="")))
