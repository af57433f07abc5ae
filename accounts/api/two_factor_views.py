"""`/api/users/me` and its two-factor sign-in (accounts.two_factor).

These stay open to a person whose workspace requires two-factor sign-in before they have
enrolled (`two_factor_exempt`): enrolling is exactly what they must do. They act on the
person, so an API key, which acts for a tenant, is refused.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import two_factor
from accounts.api.views import errors, validated
from catalytic.errors import ServiceError
from tenants.permissions import IsTenantMember, auth_context


class MeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email_verified = serializers.BooleanField(
        help_text="The person followed the link that proves their email "
        "(accounts.email_verification); until then inviting and paying are refused."
    )
    two_factor = serializers.BooleanField(help_text="Two-factor sign-in is on.")


class EnrolmentSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The TOTP secret, base32, for typing in.")
    otpauth_url = serializers.CharField(help_text="The otpauth:// URL an authenticator scans.")


class CodeSerializer(serializers.Serializer):
    code = serializers.CharField(
        max_length=64, help_text="The authenticator app's code (or a recovery code)."
    )


class DisableSerializer(CodeSerializer):
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class RecoveryCodesSerializer(serializers.Serializer):
    recovery_codes = serializers.ListField(
        child=serializers.CharField(), help_text="Each works once. Shown this once only."
    )


class PersonView(APIView):
    """A view of the signed-in person: a JWT, never an API key."""

    permission_classes = [IsTenantMember]
    two_factor_exempt = True

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        context = auth_context(request)
        if context is not None and context.method != "jwt":
            # SECURITY: an API key acts for a tenant; it is not its creator.
            raise ServiceError(
                "This is about a person's own account: sign in, an API key cannot.",
                code="not_a_session",
                status=403,
            )


def _no_store(response: Response) -> Response:
    # SECURITY: secrets and recovery codes must not stay in any cache.
    response["Cache-Control"] = "no-store"
    return response


class MeView(PersonView):
    @extend_schema(
        responses={200: MeSerializer, **errors(401, 403)}, summary="The signed-in person"
    )
    def get(self, request: Request) -> Response:
        user = request.user
        body = {
            "id": user.id,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email_verified": user.email_verified,
            "two_factor": two_factor.is_enabled(user),
        }
        return Response(MeSerializer(body).data)


RECOVERY_EXAMPLE = OpenApiExample(
    "Recovery codes",
    response_only=True,
    value={"recovery_codes": ["h3kq7vxa", "m2c5rj4p", "…"]},
)


class TwoFactorView(PersonView):
    @extend_schema(
        request=None,
        responses={200: EnrolmentSerializer, **errors(401, 403, 409)},
        summary="Start two-factor enrolment: a new pending authenticator's secret "
        "(409 `two_factor_enabled` when it is on already)",
        examples=[
            OpenApiExample(
                "Pending device",
                response_only=True,
                value={
                    "secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
                    "otpauth_url": "otpauth://totp/Catalytic%3Aada%40acme.example?secret=JBSW"
                    "Y3DPEHPK3PXPJBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30&issuer=Catalytic",
                },
            )
        ],
    )
    def post(self, request: Request) -> Response:
        enrolment = two_factor.start_enrolment(user=request.user)
        body = {"secret": enrolment.secret, "otpauth_url": enrolment.otpauth_url}
        return _no_store(Response(EnrolmentSerializer(body).data))

    @extend_schema(
        request=None,
        responses={204: None, **errors(400, 401, 403, 409)},
        summary='Turn two-factor sign-in off. Body: {"password", "code"} (a current code '
        "or a recovery code); 400 `invalid_credentials` or `otp_invalid`, 409 when it is off",
    )
    def delete(self, request: Request) -> Response:
        data = validated(DisableSerializer, request)
        two_factor.disable(
            user=request.user, password=data["password"], code=data["code"], request=request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConfirmView(PersonView):
    @extend_schema(
        request=CodeSerializer,
        responses={200: RecoveryCodesSerializer, **errors(400, 401, 403, 409)},
        summary="Confirm the pending authenticator with its first code: two-factor is on; "
        "the ten recovery codes are shown this once",
        examples=[RECOVERY_EXAMPLE],
    )
    def post(self, request: Request) -> Response:
        data = validated(CodeSerializer, request)
        codes = two_factor.confirm_enrolment(user=request.user, code=data["code"], request=request)
        return _no_store(Response({"recovery_codes": codes}))


class RecoveryCodesView(PersonView):
    @extend_schema(
        request=CodeSerializer,
        responses={200: RecoveryCodesSerializer, **errors(400, 401, 403, 409)},
        summary="A new set of recovery codes for a current code; the old ones stop working",
        examples=[RECOVERY_EXAMPLE],
    )
    def post(self, request: Request) -> Response:
        data = validated(CodeSerializer, request)
        codes = two_factor.regenerate_recovery_codes(
            user=request.user, code=data["code"], request=request
        )
        return _no_store(Response({"recovery_codes": codes}))
