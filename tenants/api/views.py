"""Tenant API: the current tenant, members, invitations, audit log.

Team, invitation and audit endpoints leave out TenantActive on purpose: a
suspended tenant can still see and manage its account (and pay).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import sessions
from accounts.api.serializers import SessionSerializer, session_body
from accounts.api.views import PublicView, validated
from catalytic.client_ip import client_ip
from catalytic.openapi import errors
from catalytic.ratelimits import configured_rate, enforce, enforce_ip_and_email, normalise_email
from tenants import idempotency, invitations, services, two_factor_policy
from tenants.api.serializers import (
    AuditEventSerializer,
    InvitationAcceptSerializer,
    InvitationSerializer,
    MemberAddedSerializer,
    MemberInviteSerializer,
    MembershipSerializer,
    MemberUpdateSerializer,
    TenantSerializer,
    TenantUpdateSerializer,
)
from tenants.models import AuditEvent, Invitation, Membership, Role
from tenants.permissions import IsAdmin
from tenants.viewsets import TenantAPIView, TenantScopedViewSet


class CurrentTenantView(TenantAPIView):
    write_role = Role.ADMIN

    @extend_schema(responses={200: TenantSerializer, **errors(401)}, summary="The current tenant")
    def get(self, request: Request) -> Response:
        return Response(TenantSerializer(self.tenant).data)

    @extend_schema(
        request=TenantUpdateSerializer,
        responses={200: TenantSerializer, **errors(400, 401, 403, 409)},
        summary="Change name, domain or billing email (owner/admin), or require two-factor "
        "sign-in of every member (owner)",
    )
    def patch(self, request: Request) -> Response:
        serializer = TenantUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        tenant = self.tenant
        if "require_two_factor" in changes:
            # First: an admin's request that names it changes nothing at all (403).
            tenant = two_factor_policy.set_requirement(
                tenant=tenant,
                actor=request.user,
                actor_role=self.context.role,
                required=changes.pop("require_two_factor"),
                request=request,
            )
        tenant = services.update_tenant(
            tenant=tenant, actor=request.user, changes=changes, request=request
        )
        return Response(TenantSerializer(tenant).data)


@extend_schema_view(
    list=extend_schema(summary="Members of the current tenant"),
    destroy=extend_schema(
        summary="Remove a member (owner/admin; only an owner removes an owner)",
        responses={204: None, **errors(401, 403, 404, 409)},
    ),
)
class MemberViewSet(idempotency.IdempotentMixin, mixins.ListModelMixin, TenantScopedViewSet):
    queryset = Membership.objects.all()
    serializer_class = MembershipSerializer
    write_role = Role.ADMIN
    idempotent_actions = ("create",)

    def base_queryset(self) -> QuerySet:
        return Membership.objects.select_related("user").order_by("created_at")

    @extend_schema(
        request=MemberInviteSerializer,
        parameters=[idempotency.PARAMETER],
        responses={
            201: MemberAddedSerializer,
            **idempotency.schema_errors(),
            **errors(400, 401, 403, 409, 429),
        },
        summary="Add an existing user, or email an invitation to a new address",
    )
    def create(self, request: Request) -> Response:
        data = validated(MemberInviteSerializer, request)
        rate = configured_rate("RATELIMIT_INVITE")
        enforce(request, "invite:ip", client_ip(request), rate)
        enforce(request, "invite:email", normalise_email(data["email"]), rate)
        result = invitations.invite_member(
            tenant=self.tenant,
            actor=request.user,
            actor_role=self.context.role,
            email=data["email"],
            role=data["role"],
            request=request,
        )
        if result.membership is not None:
            body: dict[str, Any] = {
                "result": "added",
                "member": MembershipSerializer(result.membership).data,
            }
        else:
            body = {"result": "invited", "invitation": InvitationSerializer(result.invitation).data}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=MemberUpdateSerializer,
        responses={200: MembershipSerializer, **errors(400, 401, 403, 404, 409)},
        summary="Change a member's role or suspend the membership (owner/admin)",
    )
    def partial_update(self, request: Request, id: Any = None) -> Response:
        membership = self.get_object()
        data = validated(MemberUpdateSerializer, request)
        membership = services.update_member(
            tenant=self.tenant,
            actor=request.user,
            actor_role=self.context.role,
            membership=membership,
            role=data.get("role"),
            is_active=data.get("is_active"),
            request=request,
        )
        return Response(MembershipSerializer(membership).data)

    def destroy(self, request: Request, id: Any = None) -> Response:
        services.remove_member(
            tenant=self.tenant,
            actor=request.user,
            actor_role=self.context.role,
            membership=self.get_object(),
            request=request,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="Invitations of the current tenant, newest first (owner/admin)"),
    destroy=extend_schema(
        summary="Withdraw a pending invitation (owner/admin)",
        responses={204: None, **errors(401, 403, 404, 409)},
    ),
)
class InvitationViewSet(mixins.ListModelMixin, TenantScopedViewSet):
    queryset = Invitation.objects.all()
    serializer_class = InvitationSerializer
    permission_classes = [IsAdmin]

    def base_queryset(self) -> QuerySet:
        return Invitation.objects.select_related("invited_by")

    def destroy(self, request: Request, id: Any = None) -> Response:
        invitations.revoke_invitation(
            tenant=self.tenant, actor=request.user, invitation=self.get_object(), request=request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationAcceptView(PublicView):
    @extend_schema(
        request=InvitationAcceptSerializer,
        responses={200: SessionSerializer, **errors(400, 401, 409, 410, 429)},
        auth=[],
        summary="Accept an invitation: join the tenant and receive a token pair",
    )
    def post(self, request: Request) -> Response:
        enforce_ip_and_email(
            request, "invite-accept", None, configured_rate("RATELIMIT_INVITE_ACCEPT")
        )
        data = validated(InvitationAcceptSerializer, request)
        membership = invitations.accept_invitation(
            token=data["token"],
            password=data["password"],
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            request=request,
        )
        session = sessions.start_session(membership=membership, request=request)
        return Response(session_body(session))


@extend_schema_view(
    list=extend_schema(
        summary="The tenant's audit trail, newest first (owner/admin)",
        parameters=[OpenApiParameter("action", str, description="Only this action.")],
    )
)
class AuditLogViewSet(mixins.ListModelMixin, TenantScopedViewSet):
    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventSerializer
    permission_classes = [IsAdmin]

    def base_queryset(self) -> QuerySet:
        events = AuditEvent.objects.select_related("actor").order_by("-created_at", "-id")
        action = self.request.query_params.get("action")
        return events.filter(action=action) if action else events
