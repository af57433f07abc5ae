"""POST /api/email/send and GET /api/email/send (service status), for owners and admins."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Max
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from catalytic.errors import ServiceError
from catalytic.ratelimits import enforce
from notifications import emails
from notifications.api.serializers import (
    EmailSendResponseSerializer,
    EmailSendSerializer,
    EmailServiceStatusSerializer,
    SentMessageSerializer,
)
from notifications.models import Kind, OutboxMessage
from notifications.providers import LOCAL_BACKENDS, provider_chain
from tenants.audit import record
from tenants.models import Membership
from tenants.permissions import IsAdmin
from tenants.viewsets import TenantAPIView

Status = OutboxMessage.Status


class EmailSendView(TenantAPIView):
    """Email members of your tenant (owner/admin); GET reports the email service status.

    Kinds: `welcome` (no context) and `notice` (context `{subject, message}`, plain
    text, escaped in the HTML part). Every recipient must be an active member of the
    caller's tenant; at most 50 per call; rate limited per tenant (EMAIL_API_RATE).
    """

    permission_classes = [IsAdmin]

    @extend_schema(responses=EmailServiceStatusSerializer)
    def get(self, request: Request) -> Response:
        try:
            chain = provider_chain()
        except ImproperlyConfigured:
            raise ServiceError(
                "Email delivery is misconfigured (`manage.py check` names the problem).",
                code="email_misconfigured",
                status=503,
            )
        messages = OutboxMessage.objects.for_tenant(self.tenant)
        delivered = messages.exclude(provider__in=list(LOCAL_BACKENDS))
        body = {
            "providers": [provider.label for provider in chain],
            "delivering": any(provider.delivers for provider in chain),
            "queue": {
                "queued": messages.filter(status__in=[Status.QUEUED, Status.SENDING]).count(),
                "failed": messages.filter(status=Status.FAILED).count(),
            },
            "last_sent_at": delivered.aggregate(last=Max("sent_at"))["last"],
        }
        return Response(EmailServiceStatusSerializer(body).data)

    @extend_schema(request=EmailSendSerializer, responses={202: EmailSendResponseSerializer})
    def post(self, request: Request) -> Response:
        serializer = EmailSendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        kind: str = serializer.validated_data["kind"]
        recipients: list[str] = serializer.validated_data["to"]
        context: dict[str, Any] = serializer.validated_data["context"]

        # SECURITY: never an open relay: every recipient must be an active member of
        # the caller's own tenant.
        members = {
            membership.user.email: membership.user
            for membership in Membership.objects.for_tenant(self.tenant)
            .active()
            .filter(user__email__in=recipients)
            .select_related("user")
        }
        outsiders = [address for address in recipients if address not in members]
        if outsiders:
            raise ServiceError(
                "Recipients must be active members of this tenant: " + ", ".join(outsiders),
                code="invalid_recipients",
                details={"to": outsiders},
            )
        enforce(request, "email_send:tenant", str(self.tenant.pk), settings.EMAIL_API_RATE)

        with transaction.atomic():
            sent = [self._enqueue(kind, members[address], context) for address in recipients]
            record(
                "email.sent",
                tenant=self.tenant,
                actor=request.user,
                request=request,
                target=kind,
                recipients=recipients,
            )
        # After commit each message had its first delivery attempt: report where it stands.
        current = OutboxMessage.objects.in_bulk([message.pk for message in sent])
        messages = [current.get(message.pk, message) for message in sent]
        return Response(
            {"messages": SentMessageSerializer(messages, many=True).data},
            status=status.HTTP_202_ACCEPTED,
        )

    def _enqueue(self, kind: str, user: Any, context: dict[str, Any]) -> OutboxMessage:
        if kind == Kind.NOTICE:
            return emails.send_notice(
                tenant=self.tenant,
                to=user.email,
                subject=context["subject"],
                message=context["message"],
            )
        return emails.send_welcome(user=user, tenant=self.tenant)
