"""Admin for users, courses, enrollments, the subject and department trees and API clients."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import F
from django.utils import timezone

from lms import access
from lms.models import ApiClient, Course, Department, Enrollment, Subject, User


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
        return (
            super()
            .get_queryset(request)
            .annotate(teaches=access.teaches_a_course(), manages=access.manages_a_department())
        )

    @admin.display(description="Role")
    def role(self, user):
        return access.role(user, teaches=user.teaches, manages=user.manages)

    @admin.action(description="Sign out everywhere (end their sessions, revoke their API tokens)")
    def sign_out_everywhere(self, request, queryset):
        # One UPDATE; the same bump as User.revoke_tokens (lms.models).
        count = queryset.update(token_version=F("token_version") + 1)
        self.message_user(request, f"Revoked the API tokens of {count} user(s).")


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("title", "slug", "external_id")
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


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ("name", "code", "parent", "members", "administrators")

    def clean_parent(self):
        # Department.save() raises ValueError for this; say it on the field instead.
        parent = self.cleaned_data["parent"]
        if parent and self.instance.pk and str(self.instance.pk) in parent.path.split("/"):
            raise forms.ValidationError("A department cannot move below itself.")
        return parent


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    """The tree with full paths; members and administrators by autocomplete (never a widget
    that loads every user into the page)."""

    form = DepartmentForm
    list_display = ("path_display", "code", "depth")
    search_fields = ("name", "code")
    autocomplete_fields = ("parent", "members", "administrators")
    readonly_fields = ("uuid", "path", "depth")

    @admin.display(description="Department", ordering="path")
    def path_display(self, department):
        return department.full_path

    def get_changelist_instance(self, request):
        # One query names the ancestors of the whole page (``full_path`` otherwise costs one
        # per row).
        changelist = super().get_changelist_instance(request)
        Department.objects.attach_full_paths(changelist.result_list)
        return changelist


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """An integration's key. The full key is shown once, in the message after the client is
    added (only its hash is stored); afterwards the list shows the public client id and the
    last use. Revoking is an action: a revoked key is refused at once and for good."""

    list_display = ("name", "client_id", "user", "created_at", "expires_at", "revoked_at")
    list_display += ("last_used_at",)
    list_select_related = ("user",)
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "=client_id", "user__username")
    autocomplete_fields = ("user",)
    fields = ("name", "user", "expires_at", "client_id", "created_at", "revoked_at")
    fields += ("last_used_at",)
    readonly_fields = ("client_id", "created_at", "revoked_at", "last_used_at")
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        # Whom a key acts for is fixed once it exists: a new account needs a new key.
        return (*self.readonly_fields, "user") if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        secret = obj.set_new_secret()
        super().save_model(request, obj, form, change)
        self.message_user(
            request,
            f"The API key of “{obj.name}”, shown this once (only its hash is kept): "
            f"{obj.api_key(secret)}",
            messages.WARNING,
        )

    @admin.action(description="Revoke the selected API keys")
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} API key(s).")
