"""GET /api/tenants/usage: this month's API calls and lattices against the plan's limits;
GET /api/tenants/usage/history: the calls of each day, and who made them."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from billing.api.usage_csv import UsageHistoryCSVRenderer
from billing.history import API_KEY, MAX_DAYS, MEMBER, DayUsage, usage_history
from billing.usage import usage_summary
from catalytic.openapi import errors
from tenants.viewsets import TenantAPIView

DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


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
        return Response(usage_summary(self.context))


class DayField(serializers.DateField):
    """A day written exactly YYYY-MM-DD (strptime alone would take 2031-1-5 too)."""

    def to_internal_value(self, value: Any) -> date:
        if not isinstance(value, str) or not DAY.fullmatch(value):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class HistoryQuerySerializer(serializers.Serializer):
    """`from` and `to` (inclusive, UTC days); by default this month up to today."""

    def get_fields(self) -> dict[str, serializers.Field]:
        # `from` is a Python keyword, so the fields cannot be declared as attributes.
        return {
            "from": DayField(required=False, input_formats=["%Y-%m-%d"]),
            "to": DayField(required=False, input_formats=["%Y-%m-%d"]),
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        end = attrs.get("to") or timezone.now().date()
        start = attrs.get("from") or end.replace(day=1)
        if start > end:
            raise serializers.ValidationError({"from": ["Must not be after `to`."]})
        if (end - start).days + 1 > MAX_DAYS:
            raise serializers.ValidationError(
                {"to": [f"At most {MAX_DAYS} days per request; ask for several ranges."]}
            )
        return {"from": start, "to": end}


MemberCallsSerializer = inline_serializer(
    name="UsageHistoryMember",
    many=True,
    fields={
        "user_id": serializers.UUIDField(),
        "email": serializers.EmailField(allow_null=True, help_text="null: account deleted."),
        "api_calls": serializers.IntegerField(),
    },
)
KeyCallsSerializer = inline_serializer(
    name="UsageHistoryApiKey",
    many=True,
    fields={
        "api_key_id": serializers.UUIDField(),
        "name": serializers.CharField(allow_null=True, help_text="null: key deleted."),
        "api_calls": serializers.IntegerField(),
    },
)
UsageHistorySerializer = inline_serializer(
    name="UsageHistory",
    fields={
        "from": serializers.DateField(),
        "to": serializers.DateField(),
        "days": inline_serializer(
            name="UsageHistoryDay",
            many=True,
            fields={
                "date": serializers.DateField(),
                "api_calls": serializers.IntegerField(),
                "members": MemberCallsSerializer,
                "api_keys": KeyCallsSerializer,
            },
        ),
        "quota": UsageSerializer,
    },
)


def _day(day: DayUsage) -> dict[str, Any]:
    return {
        "date": day.day.isoformat(),
        "api_calls": day.calls,
        "members": [
            {"user_id": c.id, "email": c.name, "api_calls": c.calls} for c in day.of_kind(MEMBER)
        ],
        "api_keys": [
            {"api_key_id": c.id, "name": c.name, "api_calls": c.calls} for c in day.of_kind(API_KEY)
        ],
    }


class UsageHistoryView(TenantAPIView):
    """Any member may look; like the summary, reading it is not metered."""

    renderer_classes = [JSONRenderer, UsageHistoryCSVRenderer]

    @extend_schema(
        summary="API calls of each day, by member and API key",
        description=(
            f"One entry per day from `from` to `to` (inclusive, UTC; at most {MAX_DAYS} days), "
            "with this period's quota. `format=csv` or `Accept: text/csv` answers the same "
            "days as CSV: a row per day, a column per member and API key."
        ),
        parameters=[
            OpenApiParameter(
                "from",
                OpenApiTypes.DATE,
                description="First day (default: the 1st of `to`'s month).",
            ),
            OpenApiParameter(
                "to", OpenApiTypes.DATE, description="Last day (default: today, UTC)."
            ),
            OpenApiParameter("format", str, enum=["json", "csv"], description="`csv` for CSV."),
        ],
        responses={
            (200, "application/json"): UsageHistorySerializer,
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="The same days as CSV."
            ),
            # Errors are JSON whatever format was asked for (see finalize_response).
            **{
                (code, "application/json"): error
                for code, error in errors(
                    400, 404, descriptions={404: "`format` names neither `json` nor `csv`."}
                ).items()
            },
        },
    )
    def get(self, request: Request) -> Response:
        query = HistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start: date = query.validated_data["from"]
        end: date = query.validated_data["to"]
        days = usage_history(self.tenant, start, end)
        body = {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "days": [_day(day) for day in days],
            "quota": usage_summary(self.tenant),
        }
        headers = {}
        if isinstance(request.accepted_renderer, UsageHistoryCSVRenderer):
            name = f"usage-{start.isoformat()}-{end.isoformat()}.csv"
            headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return Response(body, headers=headers)

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if (response.status_code >= 400 or request.method == "OPTIONS") and isinstance(
            getattr(response, "accepted_renderer", None), UsageHistoryCSVRenderer
        ):
            # Only the days themselves are CSV: errors keep the API's one JSON shape, and
            # so does the OPTIONS description of the endpoint.
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response
