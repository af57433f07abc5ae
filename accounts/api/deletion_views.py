"""`POST /api/users/me/delete`: a person deletes their own account (accounts.deletion)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.views import errors, validated
from accounts.deletion import delete_account
from catalytic.errors import ServiceError
from tenants.permissions import IsTenantMember, auth_context


class DeleteAccountSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class DeleteAccountView(APIView):
    permission_classes = [IsTenantMember]
    two_factor_exempt = True  # a person may always leave, enrolled or not

    @extend_schema(
        request=DeleteAccountSerializer,
        responses={204: None, **errors(400, 401, 403, 409)},
        summary="Delete your own account: memberships, sessions and your API keys end, "
        "your personal data is erased (409 while you are a workspace's last owner)",
        examples=[
            OpenApiExample(
                "Delete my account",
                request_only=True,
                value={"password": "correct-horse-battery-staple"},
            ),
            OpenApiExample(
                "Still the last owner",
                response_only=True,
                status_codes=["409"],
                value={
                    "error": {
                        "code": "last_owner",
                        "message": "You are the last owner of Acme Research. Close the "
                        "workspace, or make someone else owner, before deleting your account.",
                        "details": {
                            "workspaces": [{"slug": "acme-research", "name": "Acme Research"}]
                        },
                    }
                },
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        context = auth_context(request)
        assert context is not None
        if context.method != "jwt":
            # SECURITY: an API key acts for its creator but is not that person.
            raise ServiceError(
                "Deleting an account needs the person's own login, not an API key.",
                code="not_a_session",
                status=403,
            )
        data = validated(DeleteAccountSerializer, request)
        delete_account(user=request.user, password=data["password"], request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)
