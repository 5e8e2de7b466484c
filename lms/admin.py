"""Admin for users, courses, enrollments and the subject tree."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import F

from lms import access
from lms.models import Course, Enrollment, Subject, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        (None, {"fields": ("username", "password", "uuid")}),
        (
            "Personal info",
            {"fields": ("first_name", "last_name", "display_name", "email", "phone")},
        ),
        *DjangoUserAdmin.fieldsets[2:],  # permissions, important dates
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "email",
                    "display_name",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    readonly_fields = ("uuid",)
    list_display = ("username", "email", "display_name", "role", "is_active")
    actions = ["sign_out_everywhere"]
    # Also what the autocompletes of course instructors and enrollments search.
    search_fields = ("username", "email", "display_name")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(teaches=access.teaches_a_course())

    @admin.display(description="Role")
    def role(self, user):
        return access.role(user, teaches=user.teaches)

    @admin.action(description="Sign out everywhere (end their sessions, revoke their API tokens)")
    def sign_out_everywhere(self, request, queryset):
        # One UPDATE; the same bump as User.revoke_tokens (lms.models).
        count = queryset.update(token_version=F("token_version") + 1)
        self.message_user(request, f"Revoked the API tokens of {count} user(s).")


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    # Autocomplete, not filter_horizontal: that widget would load every user into the page.
    autocomplete_fields = ("instructors",)
    readonly_fields = ("uuid", "created_at")


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("user", "course", "status", "enrolled_at", "due_at", "expires_at")
    list_filter = ("status", "course")
    list_select_related = ("user", "course")
    search_fields = ("user__username", "user__email")
    autocomplete_fields = ("user", "course")
    show_full_result_count = False


class SubjectForm(forms.ModelForm):
    class Meta:
        model = Subject
        fields = ("name", "parent")

    def clean_parent(self):
        # Subject.save() raises ValueError for this (a server error in the admin); say it
        # on the field instead. ``parent.path`` lists the parent and all its ancestors.
        parent = self.cleaned_data["parent"]
        if parent and self.instance.pk and str(self.instance.pk) in parent.path.split("/"):
            raise forms.ValidationError("A subject cannot move below itself.")
        return parent


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    form = SubjectForm
    list_display = ("path_display", "depth")
    search_fields = ("name",)
    autocomplete_fields = ("parent",)
    readonly_fields = ("path", "depth")

    @admin.display(description="Subject", ordering="path")
    def path_display(self, subject):
        return subject.full_path

    def get_changelist_instance(self, request):
        # ``full_path`` costs a query per subject unless attached: name the ancestors of the
        # whole page in one query (the page's queryset caches the annotated instances).
        changelist = super().get_changelist_instance(request)
        Subject.objects.attach_full_paths(changelist.result_list)
        return changelist
