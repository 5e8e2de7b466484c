"""Forms of the review pages. Validation here only guards the input's shape; the rules
(who may evaluate, which answers, the marks' range) belong to ``attempts.services``."""

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from assessments.models import ExamQuestion
from attempts.marking import rule_for
from attempts.models import UserAnswer
from attempts.scoring import override_range


class EvaluationForm(forms.Form):
    """Marks and a comment for one essay answer (``attempts.services.answer_evaluate``).

    ``max_marks`` (the exam question's marks) sets the field's upper bound, so the browser's
    number input and the server refuse the same values, in the service's words. The service
    checks the range again: this form is a convenience, not the rule.
    """

    marks = forms.DecimalField(min_value=Decimal("0"), max_digits=7, decimal_places=2)
    comment = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown to the learner with the marks.",
    )

    def __init__(self, *args, max_marks: Decimal | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if max_marks is None:
            return
        marks = self.fields["marks"]
        marks.max_value = max_marks
        marks.validators.append(MaxValueValidator(max_marks))
        marks.widget.attrs["max"] = str(max_marks)
        message = f"Award between 0 and {max_marks} marks."
        marks.error_messages.update(min_value=message, max_value=message)
        marks.help_text = f"0 to {max_marks}, in steps of 0.01."


def evaluation_form(answer: UserAnswer, exam_question: ExamQuestion, data=None) -> EvaluationForm:
    """The form of one answer; ids carry the answer's id so many forms share a page."""
    return EvaluationForm(data, auto_id=f"answer{answer.pk}-%s", max_marks=exam_question.marks)


class ExtendDeadlineForm(forms.Form):
    """Minutes to add to a running attempt's deadline (``attempt_extend_deadline`` checks
    the range again, and that the new deadline lies ahead)."""

    minutes = forms.IntegerField(
        label="Extra minutes",
        min_value=1,
        max_value=24 * 60,
        help_text="Added to the deadline; 1 to 1440.",
    )


class PagingForm(forms.Form):
    """``page`` and ``per_page`` of a table page. Bounded so that the row offset
    (``page × per_page``) always fits PostgreSQL's bigint, and a page never loads more than
    ``MAX_PER_PAGE`` rows."""

    MAX_PAGE = 2**31 - 1
    MAX_PER_PAGE = 200
    # What the page-size menu offers (any size up to MAX_PER_PAGE works in the address).
    PAGE_SIZES = (25, 50, 100, 200)

    page = forms.IntegerField(label="Page", required=False, min_value=1, max_value=MAX_PAGE)
    per_page = forms.IntegerField(
        label="Rows a page", required=False, min_value=1, max_value=MAX_PER_PAGE
    )


class OverrideForm(forms.Form):
    """Marks (empty: remove the override) and the reason. The bounds mirror the service's
    (``override_range``), so the browser and the server refuse the same values."""

    marks = forms.DecimalField(required=False, max_digits=7, decimal_places=2)
    comment = forms.CharField(
        label="Why",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        error_messages={"required": "Say why the marks are overridden."},
    )

    def __init__(self, *args, lowest: Decimal, highest: Decimal, **kwargs):
        super().__init__(*args, **kwargs)
        marks = self.fields["marks"]
        message = f"Set between {lowest} and {highest} marks."
        marks.validators += [MinValueValidator(lowest), MaxValueValidator(highest)]
        marks.widget.attrs.update(min=str(lowest), max=str(highest), step="0.01")
        marks.error_messages.update(min_value=message, max_value=message)
        marks.label = f"Marks ({lowest} to {highest})"
        marks.help_text = "Empty removes the override: the key marks the answer again."
        self.lowest, self.highest = lowest, highest


def override_form(answer: UserAnswer, exam_question: ExamQuestion, data=None) -> OverrideForm:
    """The override form of one answer; ids carry the answer's id so many share a page."""
    lowest, highest = override_range(rule_for(exam_question, frozenset()))
    initial = {"marks": answer.override_marks}
    return OverrideForm(
        data, auto_id=f"override{answer.pk}-%s", initial=initial, lowest=lowest, highest=highest
    )
