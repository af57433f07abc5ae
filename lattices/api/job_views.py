"""`/api/jobs[/{id}]`: a tenant's background jobs; and the submission the computations use.

Reading a job is not metered (clients poll it); submitting one is metered once, as the
computation request it is (lattices/api/metering.py runs in that request's initial()).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from catalytic.openapi import errors
from lattices import jobs
from lattices.api import serializers as s
from lattices.models import Job, Lattice
from tenants.permissions import ReadOrRole, TenantActive
from tenants.viewsets import TenantScopedViewSet

JOB_EXAMPLE = {
    "id": "0c5a3d52-8d0f-4a8e-9d0b-2b1f5c1e7a10",
    "url": "/api/jobs/0c5a3d52-8d0f-4a8e-9d0b-2b1f5c1e7a10",
    "lattice": "172861ab-2c58-4e20-bcf3-025291069d06",
    "kind": "path",
    "status": "queued",
    "attempts": 0,
    "created_at": "2026-12-07T01:43:23.402331Z",
    "started_at": None,
    "finished_at": None,
    "result": None,
    "error": None,
}
ACCEPTED = OpenApiResponse(
    s.JobEnvelopeSerializer,
    description='With `"async": true`: the job, queued; poll its `url` (also in `Location`).',
    examples=[
        OpenApiExample(
            "Queued", response_only=True, status_codes=["202"], value={"job": JOB_EXAMPLE}
        )
    ],
)


class BackgroundSubmitMixin:
    """For the computation actions: `return self.submit_job(...)` when `async` is true."""

    def submit_job(self, lattice: Lattice, kind: str, data: dict[str, Any]) -> Response:
        request = {name: value for name, value in data.items() if name != "async"}
        job = jobs.submit(self.context, lattice, kind=kind, request=request)  # type: ignore[attr-defined]
        body = s.JobSerializer(job).data
        location = self.request.build_absolute_uri(body["url"])  # type: ignore[attr-defined]
        return Response(
            {"job": body}, status=status.HTTP_202_ACCEPTED, headers={"Location": location}
        )


class JobViewSet(TenantScopedViewSet):
    """The tenant's background jobs, newest first. Another tenant's job is a 404."""

    queryset = Job.objects.all()
    serializer_class = s.JobSerializer
    permission_classes = [ReadOrRole, TenantActive]
    write_role = "member"

    @extend_schema(
        summary="The tenant's background jobs, newest first",
        responses={200: s.JobSerializer(many=True), **errors(401, 402, 403)},
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.JobSerializer(page, many=True).data)

    @extend_schema(
        summary="A background job: its status, and its result or error once it has ended",
        responses={200: s.JobSerializer, **errors(401, 402, 403, 404)},
        examples=[
            OpenApiExample(
                "Succeeded",
                response_only=True,
                status_codes=["200"],
                value={
                    **JOB_EXAMPLE,
                    "status": "succeeded",
                    "attempts": 1,
                    "started_at": "2026-12-07T01:43:23.501200Z",
                    "finished_at": "2026-12-07T01:43:24.120031Z",
                    "result": {
                        "reachable": True,
                        "length": 2,
                        "path": [[0, 0], [1, 0], [1, 1]],
                        "explored": 3,
                        "method": "direct",
                        "duration_ms": 0.2,
                        "operation_id": "5d6278f0-b223-4974-a292-6fbc1dc7498e",
                    },
                },
            )
        ],
    )
    def retrieve(self, request: Request, id: str) -> Response:
        return Response(s.JobSerializer(self.get_object()).data)

    @extend_schema(
        summary="Cancel a queued or running job",
        description="A running computation's outcome is discarded. A job that has already "
        "ended answers 409 `job_finished`.",
        responses={200: s.JobSerializer, **errors(401, 402, 403, 404, 409)},
    )
    def destroy(self, request: Request, id: str) -> Response:
        job = self.get_object()
        job = jobs.cancel(tenant=self.tenant, job=job)
        return Response(s.JobSerializer(job).data)
