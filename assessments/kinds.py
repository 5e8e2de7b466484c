"""The kinds of question the product knows: plain values, no Django, so that the pure marker
(``attempts.scoring``) and the models (``assessments.models.Question.Type``) share them."""

from enum import StrEnum


class QuestionKind(StrEnum):
    SINGLE = "single"  # one choice is right
    MULTIPLE = "multiple"  # any number of choices are right; partial marks may apply
    TRUE_FALSE = "true_false"  # a single choice between two
    NUMERIC = "numeric"  # a number within a tolerance of the answer
    SHORT_TEXT = "short_text"  # a few words matched against accepted answers
    ESSAY = "essay"  # marked by hand
