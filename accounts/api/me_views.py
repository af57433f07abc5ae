"""The signed-in person's email: asking for a new verification link, changing the address,
and the two public endpoints that follow an emailed link (accounts.email_verification).

`GET /api/users/me` is accounts.api.two_factor_views.MeView; these views share its
PersonView (a person's own sign-in, never an API key; open to someone who has yet to
enrol in a workspace's required two-factor sign-in).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import email_verification
from accounts.api.serializers import AcceptedSerializer
from accounts.api.two_factor_views import PersonView
from accounts.api.views import PublicView, errors, validated
from catalytic.ratelimits import configured_rate, enforce_ip_and_email


class EmailStatusSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    email_verified = serializers.BooleanField()


class ChangeEmailSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class LinkTokenSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=1000)


class VerifyEmailResendView(PersonView):
    @extend_schema(
        request=None,
        responses={202: AcceptedSerializer, **errors(401, 403, 409, 429)},
        summary="Email a new link confirming your address (409 once confirmed; rate limited)",
    )
    def post(self, request: Request) -> Response:
        email_verification.resend_verification(user=request.user, request=request)
        return Response({"status": "accepted"}, status=status.HTTP_202_ACCEPTED)


class ChangeEmailView(PersonView):
    @extend_schema(
        request=ChangeEmailSerializer,
        responses={202: AcceptedSerializer, **errors(400, 401, 403, 409, 429)},
        summary="Change your login email: a link goes to the new address, a notice to the "
        "current one; the email changes when the link is followed",
        examples=[
            OpenApiExample(
                "Move to a new address",
                request_only=True,
                value={"email": "ada@new.example", "password": "correct-horse-battery-staple"},
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = validated(ChangeEmailSerializer, request)
        email_verification.request_email_change(
            user=request.user, password=data["password"], new_email=data["email"], request=request
        )
        return Response({"status": "accepted"}, status=status.HTTP_202_ACCEPTED)


def _token(request: Request, group: str) -> str:
    enforce_ip_and_email(request, group, None, configured_rate("RATELIMIT_PASSWORD_RESET"))
    return validated(LinkTokenSerializer, request)["token"]


class VerifyEmailView(PublicView):
    @extend_schema(
        request=LinkTokenSerializer,
        responses={200: EmailStatusSerializer, **errors(400, 429)},
        auth=[],
        summary="Confirm an address with the token of an emailed verification link",
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = email_verification.verify_email(
            token=_token(request, "verify-email"), request=request
        )
        return Response(EmailStatusSerializer(user).data)


class ConfirmEmailChangeView(PublicView):
    @extend_schema(
        request=LinkTokenSerializer,
        responses={200: EmailStatusSerializer, **errors(400, 409, 429)},
        auth=[],
        summary="Make an email change with the token of the link sent to the new address",
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = email_verification.confirm_email_change(
            token=_token(request, "email-change-confirm"), request=request
        )
        return Response(EmailStatusSerializer(user).data)
