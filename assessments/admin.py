"""Admin for exams, their sections, the question bank and the questions placed in exams."""

import html

from django.contrib import admin
from django.db.models import BLANK_CHOICE_DASH
from django.utils.html import strip_tags
from django.utils.text import Truncator

from assessments.models import AnswerChoice, Exam, ExamQuestion, Question, Section
from lms.models import Subject


def html_excerpt(text_html: str, length: int = 80) -> str:
    """Plain text of stored HTML, cut to ``length`` characters, for list columns."""
    return Truncator(html.unescape(strip_tags(text_html))).chars(length)


class SectionInline(admin.TabularInline):
    model = Section
    fields = ("title", "order", "duration")
    extra = 0

    def get_queryset(self, request):
        # Each row prints its section, whose __str__ names the exam.
        return super().get_queryset(request).select_related("exam")


class ExamQuestionInline(admin.TabularInline):
    model = ExamQuestion
    fields = (
        "section",
        "question",
        "marks",
        "negative_marks",
        "partial_marks",
        "is_bonus",
        "order",
    )
    autocomplete_fields = ("question",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("exam")  # for each row's __str__

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        section = formset.form.base_fields["section"]
        section.queryset = Section.objects.filter(exam=obj)
        # Evaluated once here: left to the queryset, every row would query the sections again.
        section.choices = [*BLANK_CHOICE_DASH, *section.queryset.values_list("pk", "title")]
        return formset


@admin.register(Exam)
class ExamAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "course",
        "status",
        "duration",
        "pass_percentage",
        "max_attempts",
        "rank_policy",
    )
    list_filter = ("status", "course")
    list_select_related = ("course",)
    search_fields = ("title",)
    autocomplete_fields = ("course",)
    readonly_fields = ("uuid", "created_at")

    def get_inlines(self, request, obj):
        # A question is placed in a section, so an exam gets its sections (saved) first.
        return [SectionInline] if obj is None else [SectionInline, ExamQuestionInline]


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ("title", "exam", "order", "duration")
    list_filter = ("exam",)
    list_select_related = ("exam",)
    search_fields = ("title", "exam__title")
    autocomplete_fields = ("exam",)


class AnswerChoiceInline(admin.TabularInline):
    model = AnswerChoice
    fields = ("text_html", "is_correct", "order")
    extra = 0


class SubjectPathListFilter(admin.RelatedFieldListFilter):
    """Subjects by full path ("Science › Physics"): names alone repeat across branches."""

    def field_choices(self, field, request, model_admin):
        subjects = Subject.objects.attach_full_paths(Subject.objects.all())  # two queries
        return [(subject.pk, subject.full_path) for subject in subjects]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    inlines = [AnswerChoiceInline]
    list_display = ("id", "type", "excerpt", "subject", "difficulty")
    list_filter = ("type", ("subject", SubjectPathListFilter), "difficulty")
    list_select_related = ("subject",)
    # Also what the question autocomplete of exam questions searches.
    search_fields = ("text_html",)
    autocomplete_fields = ("subject",)
    readonly_fields = ("uuid", "created_at")

    @admin.display(description="Text")
    def excerpt(self, question):
        return html_excerpt(question.text_html)


@admin.register(AnswerChoice)
class AnswerChoiceAdmin(admin.ModelAdmin):
    list_display = ("id", "question", "excerpt", "is_correct", "order")
    list_filter = ("is_correct",)
    list_select_related = ("question",)
    search_fields = ("text_html",)
    autocomplete_fields = ("question",)

    @admin.display(description="Text")
    def excerpt(self, choice):
        return html_excerpt(choice.text_html)


@admin.register(ExamQuestion)
class ExamQuestionAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "exam",
        "section",
        "question",
        "marks",
        "negative_marks",
        "partial_marks",
        "is_bonus",
        "order",
    )
    list_filter = ("exam", "is_bonus")
    # section__exam: a section's __str__ names its exam.
    list_select_related = ("exam", "section__exam", "question")
    search_fields = ("exam__title", "section__title")
    autocomplete_fields = ("exam", "section", "question")
