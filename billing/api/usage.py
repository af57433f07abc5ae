"""GET /api/tenants/usage: this month's API calls and lattices against the plan's limits."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from billing.usage import usage_summary
from tenants.viewsets import TenantAPIView


def _used_and_limit(name: str) -> serializers.Serializer:
    return inline_serializer(
        name=name,
        fields={
            "used": serializers.IntegerField(),
            "limit": serializers.IntegerField(allow_null=True, help_text="null: unlimited."),
        },
    )


UsageSerializer = inline_serializer(
    name="Usage",
    fields={
        "plan": serializers.CharField(),
        "period_start": serializers.DateField(help_text="First day of the month (UTC)."),
        "period_end": serializers.DateField(
            help_text="First day of the next month: the quota resets then (exclusive end)."
        ),
        "resets_at": serializers.DateTimeField(),
        "api_calls": _used_and_limit("UsageApiCalls"),
        "lattices": _used_and_limit("UsageLattices"),
    },
)


class UsageView(TenantAPIView):
    """Any member may look; reading usage is not itself metered (nor refused when suspended,
    so a suspended tenant can still see where it stands)."""

    @extend_schema(summary="This month's usage against the plan", responses={200: UsageSerializer})
    def get(self, request: Request) -> Response:
        return Response(usage_summary(self.tenant))
