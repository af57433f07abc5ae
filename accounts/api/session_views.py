"""A person's own sign-ins: `GET /api/users/me/sessions`, `DELETE .../{id}`,
`POST .../end-others` (the rules are in accounts.sign_ins)."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import sign_ins
from accounts.api.two_factor_views import PersonView
from accounts.api.views import errors
from accounts.models import TokenFamily
from tenants.permissions import auth_context


class WorkspaceSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="membership.tenant_id")
    name = serializers.CharField(source="membership.tenant.name")


class SignInSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    started = serializers.DateTimeField(source="created_at")
    last_used = serializers.DateTimeField(source="last_used_at", allow_null=True)
    ip = serializers.IPAddressField(source="ip_address", allow_null=True)
    user_agent = serializers.CharField()
    workspace = WorkspaceSerializer(source="*")
    current = serializers.SerializerMethodField()

    def get_current(self, family: TokenFamily) -> bool:
        return family.pk == self.context.get("current")


class SignInListSerializer(serializers.Serializer):
    sessions = SignInSerializer(many=True)


class EndedSerializer(serializers.Serializer):
    ended = serializers.IntegerField()


class SessionListView(PersonView):
    @extend_schema(
        responses={200: SignInListSerializer, **errors(401, 403)},
        summary="Your live sign-ins: started, last used (at sign-in and each refresh), IP, "
        "user agent, workspace, and which one this token belongs to",
        examples=[
            OpenApiExample(
                "Two sign-ins",
                response_only=True,
                value={
                    "sessions": [
                        {
                            "id": "5b0e1c2a-7f0e-4c53-9d1b-2d8a7e1f0c11",
                            "started": "2026-12-07T09:12:00Z",
                            "last_used": "2026-12-07T10:40:00Z",
                            "ip": "203.0.113.7",
                            "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
                            "workspace": {
                                "id": "a55d8bef-988f-496b-b20e-6dced9f421fd",
                                "name": "Acme Research",
                            },
                            "current": True,
                        }
                    ]
                },
            )
        ],
    )
    def get(self, request: Request) -> Response:
        context = auth_context(request)
        assert context is not None  # PersonView admitted a sign-in
        families = sign_ins.live_sign_ins(request.user)
        body = SignInListSerializer(
            {"sessions": families}, context={"current": context.family}
        ).data
        return Response(body)


class SessionView(PersonView):
    @extend_schema(
        responses={204: None, **errors(401, 403, 404, 409)},
        summary="End one of your other sign-ins: its tokens are refused from the next "
        "request (another person's session id is a 404; the one making this request is a "
        "409 `current_session`: log out instead)",
    )
    def delete(self, request: Request, id: uuid.UUID, *args: Any, **kwargs: Any) -> Response:
        context = auth_context(request)
        assert context is not None  # PersonView admitted a sign-in
        sign_ins.end_sign_in(
            user=request.user, sign_in_id=id, current=context.family, request=request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndOtherSessionsView(PersonView):
    @extend_schema(
        request=None,
        responses={200: EndedSerializer, **errors(401, 403)},
        summary="End every sign-in of yours except this one",
    )
    def post(self, request: Request) -> Response:
        context = auth_context(request)
        assert context is not None  # PersonView admitted a sign-in
        ended = sign_ins.end_other_sign_ins(user=request.user, keep=context.family, request=request)
        return Response({"ended": ended})
