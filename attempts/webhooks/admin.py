"""Admin of webhooks: endpoints (each owner sees their own, ``lms.access``), messages with the
log of their tries, and the actions "retry now", "send a test event", "recover failed"."""

from django.contrib import admin, messages
from django.db import models
from django.utils import timezone

from attempts.webhooks import delivery, payload
from attempts.webhooks.models import DeliveryAttempt, Endpoint, Message


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "owner", "active", "event_types", "failing_since", "disabled_at"]
    list_filter = ["active"]
    readonly_fields = ["uuid", "failing_since", "disabled_at", "created_at"]
    actions = ["send_test_event", "rotate_secret"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request):
        return super().get_queryset(request).managed_by(request.user).select_related("owner")

    def get_changeform_initial_data(self, request):
        return {"owner": request.user.pk}

    @admin.action(description="Send a test event")
    def send_test_event(self, request, queryset):
        now = timezone.now()
        for endpoint in queryset:
            message = Message(endpoint=endpoint, event_type="attempt.test", next_try_at=now)
            message.payload = payload.envelope(
                event_type="attempt.test",
                message_id=message.webhook_id,
                sequence=0,
                at=now,
                data={"clientId": "test"},
            )
            message.save()
        self.message_user(request, f"{len(queryset)} test events queued.", messages.SUCCESS)

    @admin.action(description="Rotate the secret (the old one signs for 24 hours)")
    def rotate_secret(self, request, queryset):
        now = timezone.now()
        for endpoint in queryset:
            endpoint.rotate_secret(now)
        self.message_user(request, f"{len(queryset)} secrets rotated.", messages.SUCCESS)


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ["at", "status_code", "duration_ms", "succeeded", "error", "response_body"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class MessageAdmin(admin.ModelAdmin):
    list_display = ["__str__", "endpoint", "event_type", "status", "tries", "next_try_at"]
    list_filter = ["status", "event_type", "endpoint", "created_at"]
    list_select_related = ["endpoint"]
    readonly_fields = [
        "uuid",
        "endpoint",
        "event",
        "event_type",
        "payload",
        "status",
        "tries",
        "next_try_at",
        "delivered_at",
        "created_at",
    ]
    inlines = [DeliveryAttemptInline]
    actions = ["retry_now"]
    show_full_result_count = False

    def get_queryset(self, request):
        managed = Endpoint.objects.managed_by(request.user)
        return super().get_queryset(request).filter(endpoint__in=managed)

    def has_add_permission(self, request):
        return False

    @admin.action(description="Retry now (replay)")
    def retry_now(self, request, queryset):
        count = delivery.replay(queryset, now=timezone.now())
        self.message_user(request, f"{count} messages will be sent again.", messages.SUCCESS)


admin.site.register(Message, MessageAdmin)


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(admin.ModelAdmin):
    list_display = ["at", "message", "endpoint", "status_code", "duration_ms", "succeeded"]
    list_filter = ["succeeded", "endpoint", "at"]
    list_select_related = ["message", "endpoint"]
    show_full_result_count = False

    def get_queryset(self, request):
        managed = Endpoint.objects.managed_by(request.user)
        return super().get_queryset(request).filter(endpoint__in=managed)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
