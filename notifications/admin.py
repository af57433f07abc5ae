from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from notifications.models import OutboxMessage, Suppression
from notifications.outbox import requeue


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "kind",
        "to_email",
        "tenant",
        "outcome",
        "attempts",
        "provider",
        "sent_at",
        "short_error",
    )
    list_filter = ("status", "kind", "provider", ("tenant", admin.RelatedOnlyFieldListFilter))
    search_fields = ("to_email", "subject", "provider_message_id", "dedupe_key")
    date_hierarchy = "created_at"
    list_select_related = ("tenant",)
    actions = ("resend",)
    # The outbox is a record of what was sent: staff re-queue, they do not rewrite.
    readonly_fields = ["outcome", *(field.name for field in OutboxMessage._meta.fields)]

    @admin.display(description="status", ordering="status")
    def outcome(self, message: OutboxMessage) -> str:
        return message.outcome

    @admin.display(description="last error")
    def short_error(self, message: OutboxMessage) -> str:
        return message.last_error[:80]

    @admin.action(description="Resend the selected messages")
    def resend(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        suppressed = set(
            Suppression.objects.filter(
                email__in=queryset.values_list("to_email", flat=True)
            ).values_list("email", flat=True)
        )
        count = 0
        redacted: list[str] = []
        with transaction.atomic():
            # Locked without the changelist's tenant join (PostgreSQL refuses FOR UPDATE
            # on the nullable side of an outer join).
            locked = OutboxMessage.objects.select_for_update().filter(pk__in=queryset.values("pk"))
            for message in locked:
                if message.to_email in suppressed:
                    continue
                if message.is_redacted:
                    redacted.append(message.to_email)
                    continue
                requeue(message)
                count += 1
        self.message_user(request, f"{count} message(s) queued again.", messages.SUCCESS)
        if redacted:
            self.message_user(
                request,
                "Skipped single-use links that were removed after sending (the person must "
                "request a new one): " + ", ".join(sorted(redacted)),
                messages.WARNING,
            )
        if suppressed:
            self.message_user(
                request,
                "Skipped suppressed addresses (remove them from the suppression list first): "
                + ", ".join(sorted(suppressed)),
                messages.WARNING,
            )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ("email", "reason", "provider", "created_at", "detail")
    list_filter = ("reason", "provider")
    search_fields = ("email", "detail")
    readonly_fields = ("message", "created_at")
    fields = ("email", "reason", "detail", "provider", "message", "created_at")
