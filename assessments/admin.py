"""Admin for exams, their sections, the question bank and the questions placed in exams.

A change that makes stored scores stale (marks, negative or partial marks, bonus flags, the
questions placed, a key) marks the exams concerned (``Exam.marking_changed_at``); the exam's
pages then show a banner with the attempts affected and a button that rescores them through
``attempts.services.exam_rescore``, as ``manage.py rescore_exam`` does.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import BLANK_CHOICE_DASH
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from assessments.html import html_excerpt
from assessments.models import AnswerChoice, Exam, ExamQuestion, Question, Section
from assessments.services import (
    CHOICE_KEY_FIELDS,
    EXAM_MARKING_FIELDS,
    EXAM_QUESTION_MARKING_FIELDS,
    QUESTION_KEY_FIELDS,
    exams_marking_changed,
    exams_marking_changing,
    exams_placing,
)
from attempts.errors import AttemptError
from attempts.models import Attempt
from attempts.tasks import exam_rescore_start, ranks_refresh_start
from lms import access
from lms.models import Subject


def changed_marking(formset, fields: frozenset[str]) -> bool:
    """Did a saved inline formset add, delete, or change one of ``fields`` of a row?"""
    return bool(
        formset.new_objects
        or formset.deleted_objects
        or any(fields & set(changed) for _, changed in formset.changed_objects)
    )


class MarkingChangeMixin:
    """Mark the exams whose stored scores a save or delete in this admin made stale.

    Subclasses say which fields matter (``marking_fields``) and which exams a row concerns
    (``exams_of``, a list of exam ids)."""

    marking_fields: frozenset[str] = frozenset()

    def exams_of(self, objects) -> list[int]:
        raise NotImplementedError

    def mark(self, objects) -> None:
        exams_marking_changed(exam_ids=self.exams_of(objects), now=timezone.now())

    def remember(self, objects) -> None:
        """Before a change: keep the marking the results follow (a regrade's undo)."""
        exams_marking_changing(exam_ids=self.exams_of(objects))

    def save_model(self, request, obj, form, change):
        if change and self.marking_fields & set(form.changed_data):
            self.remember([obj])
        super().save_model(request, obj, form, change)
        if not change or self.marking_fields & set(form.changed_data):
            self.mark([obj])

    def delete_model(self, request, obj):
        exams = self.exams_of([obj])
        exams_marking_changing(exam_ids=exams)
        super().delete_model(request, obj)
        exams_marking_changed(exam_ids=exams, now=timezone.now())

    def delete_queryset(self, request, queryset):
        exams = self.exams_of(list(queryset))
        exams_marking_changing(exam_ids=exams)
        super().delete_queryset(request, queryset)
        exams_marking_changed(exam_ids=exams, now=timezone.now())


ADMIN_EXCERPT_CHARS = 80


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
    """Exams; a banner on the change form (and a note on the list) when finished attempts
    were scored before the marking last changed, with a rescore button and action."""

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
    search_fields = ("title", "external_id")
    autocomplete_fields = ("course",)
    readonly_fields = ("uuid", "created_at", "marking_changed_at")
    actions = ("rescore", "choose_ranked_attempts")
    change_form_template = "admin/assessments/exam/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(access.exams_reviewable_by(request.user))

    def get_inlines(self, request, obj):
        # A question is placed in a section, so an exam gets its sections (saved) first.
        return [SectionInline] if obj is None else [SectionInline, ExamQuestionInline]

    def save_related(self, request, form, formsets, change):
        if change:
            exams_marking_changing(exam_ids=[form.instance.pk])
        super().save_related(request, form, formsets, change)
        if change and "rank_policy" in form.changed_data:
            self.refresh_ranks(request, [form.instance])
        placements = [f for f in formsets if f.model is ExamQuestion]
        if change and (
            EXAM_MARKING_FIELDS & set(form.changed_data)
            or any(changed_marking(f, EXAM_QUESTION_MARKING_FIELDS) for f in placements)
        ):
            exams_marking_changed(exam_ids=[form.instance.pk], now=timezone.now())

    def get_urls(self):
        rescore = self.admin_site.admin_view(self.rescore_view)
        return [
            path("<int:pk>/rescore/", rescore, name="assessments_exam_rescore"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        exam = self.get_object(request, object_id)
        stale = None
        if exam is not None and exam.marking_changed_at is not None:
            stale = Attempt.objects.stale_after_marking_change(exam).count()
        extra_context = {**(extra_context or {}), "stale_attempts": stale}
        return super().change_view(request, object_id, form_url, extra_context)

    def rescore_view(self, request, pk):
        """POST: rescore every finished attempt of the exam, then back to its change form."""
        exam = get_object_or_404(self.get_queryset(request), pk=pk)
        if request.method != "POST" or not access.can_review_exam(request.user, exam):
            raise PermissionDenied
        self.rescore_exams(request, [exam])
        return HttpResponseRedirect(reverse("admin:assessments_exam_change", args=[exam.pk]))

    @admin.action(description="Rescore every finished attempt of the selected exams")
    def rescore(self, request, queryset):
        self.rescore_exams(request, queryset)

    def rescore_exams(self, request, exams) -> None:
        """Rescore each exam at once, or as a regrade run by a task when it is large
        (``attempts.tasks.exam_rescore_start``); the messages say which."""
        for exam in exams:
            try:
                started = exam_rescore_start(exam, actor=request.user)
            except AttemptError as error:
                self.message_user(request, f"“{exam}”: {error.message}", messages.ERROR)
                continue
            if started.regrade is None:
                text = f"Rescored {started.done} finished attempt(s) of “{exam}”."
                self.message_user(request, text, messages.SUCCESS)
                continue
            link = format_html(
                '<a href="{}">its page</a>', reverse("regrade-detail", args=[started.regrade.pk])
            )
            if started.sent:
                text = "is being rescored in the background, as a regrade: follow it on {}."
                level = messages.INFO
            else:
                text = "was not rescored: the task queue did not answer (see {})."
                level = messages.ERROR
            self.message_user(request, format_html(f"“{{}}” {text}", exam, link), level)

    @admin.action(
        description="Choose the ranked attempts again by each exam's rank policy",
        permissions=["change"],
    )
    def choose_ranked_attempts(self, request, queryset):
        self.refresh_ranks(request, queryset)

    def refresh_ranks(self, request, exams) -> None:
        """Ranks follow each exam's rank policy again: at once for a small exam, else by a
        task (``attempts.tasks.ranks_refresh_start``), which the message says."""

        def refused(reason: str) -> None:
            self.message_user(request, f"Ranks were not refreshed. {reason}", messages.ERROR)

        for exam in exams:
            ranked = ranks_refresh_start(exam, refused=refused)
            if ranked is None:
                self.message_user(
                    request,
                    f"Ranks of “{exam}” are being chosen again in the background; until "
                    "then they follow the previous policy.",
                    messages.INFO,
                )
            else:
                self.message_user(
                    request,
                    f"Ranks of “{exam}” follow its policy: {ranked} ranked attempt(s).",
                    messages.INFO,
                )


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
class QuestionAdmin(MarkingChangeMixin, admin.ModelAdmin):
    inlines = [AnswerChoiceInline]
    list_display = ("id", "type", "excerpt", "subject", "difficulty")
    list_filter = ("type", ("subject", SubjectPathListFilter), "difficulty")
    list_select_related = ("subject",)
    # Also what the question autocomplete of exam questions searches.
    search_fields = ("text_html",)
    autocomplete_fields = ("subject",)
    readonly_fields = ("uuid", "created_at")

    marking_fields = QUESTION_KEY_FIELDS
    change_form_template = "admin/assessments/question/change_form.html"

    @admin.display(description="Text")
    def excerpt(self, question):
        return html_excerpt(question.text_html, ADMIN_EXCERPT_CHARS)

    def exams_of(self, questions) -> list[int]:
        return exams_placing(question_ids=[q.pk for q in questions])

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The exams placing the question that the user reviews: links to their regrade
        # previews (the pages decide again who may open them).
        exams = []
        if str(object_id).isdigit():  # anything else is the admin's "not found" to answer
            exams = Exam.objects.reviewable_by(request.user).filter(
                exam_questions__question_id=int(object_id)
            )
            exams = list(exams.only("pk", "title", "marking_changed_at")[:20])
        extra_context = {**(extra_context or {}), "regrade_exams": exams}
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        # A new question is placed in no exam yet: only a change of the key matters.
        if change and self.marking_fields & set(form.changed_data):
            self.remember([obj])
        admin.ModelAdmin.save_model(self, request, obj, form, change)
        if change and self.marking_fields & set(form.changed_data):
            self.mark([obj])

    def save_related(self, request, form, formsets, change):
        if change:
            self.remember([form.instance])
        super().save_related(request, form, formsets, change)
        if change and any(changed_marking(f, CHOICE_KEY_FIELDS) for f in formsets):
            self.mark([form.instance])


@admin.register(AnswerChoice)
class AnswerChoiceAdmin(MarkingChangeMixin, admin.ModelAdmin):
    list_display = ("id", "question", "excerpt", "is_correct", "order")
    list_filter = ("is_correct",)
    list_select_related = ("question",)
    search_fields = ("text_html",)
    autocomplete_fields = ("question",)

    marking_fields = CHOICE_KEY_FIELDS

    @admin.display(description="Text")
    def excerpt(self, choice):
        return html_excerpt(choice.text_html, ADMIN_EXCERPT_CHARS)

    def exams_of(self, choices) -> list[int]:
        return exams_placing(question_ids={c.question_id for c in choices})


@admin.register(ExamQuestion)
class ExamQuestionAdmin(MarkingChangeMixin, admin.ModelAdmin):
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

    marking_fields = EXAM_QUESTION_MARKING_FIELDS

    def exams_of(self, exam_questions) -> list[int]:
        return sorted({eq.exam_id for eq in exam_questions})
