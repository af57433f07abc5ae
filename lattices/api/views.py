"""The product API: `/api/lattices[/{id}]` and the computations on a lattice.

Views only translate HTTP to service calls: scoping comes from TenantScopedViewSet (another
tenant's lattice is a 404), roles from ReadOrRole (viewers read only; computing is a
member's action), metering from MeteredProductAPIMixin, every rule from the services, and
each computation's input and service from its description (lattices.computations); the
caller is `request.auth`.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail
from rest_framework.request import Request
from rest_framework.response import Response

from catalytic.errors import ServiceError
from catalytic.openapi import errors
from lattices import operations, services
from lattices.api import serializers as s
from lattices.api.job_views import ACCEPTED, BackgroundSubmitMixin
from lattices.api.metering import MeteredProductAPIMixin
from lattices.computations import NEIGHBORS, PATH, TRANSFORMS, Computation
from lattices.exceptions import InvalidRequest
from lattices.lookup import tenant_lattice
from lattices.models import Lattice, LatticeOperation
from tenants import idempotency
from tenants.permissions import ReadOrRole, TenantActive
from tenants.viewsets import TenantScopedViewSet

LATTICE_EXAMPLE = {
    "id": "172861ab-2c58-4e20-bcf3-025291069d06",
    "name": "warehouse floor",
    "dimensions": 2,
    "size": 8,
    "obstacles": {"kind": "explicit", "count": 2},
    "counts": {"vertices": "64", "edges": "112", "diameter": 14, "max_degree": 4, "min_degree": 2},
    "memory": {"adjacency_list_bytes": "2312", "engine_bytes": 32},
    "created_by": "93c7d6f6-100a-4a7d-9588-594dbdfb44dd",
    "created_at": "2026-12-07T01:43:23.402331Z",
    "updated_at": "2026-12-07T01:43:23.402363Z",
}


DESCRIPTIONS = {
    400: "Invalid input (`validation_error`, `invalid_point`, `invalid_lattice`, ...).",
    401: "Not authenticated.",
    402: "`plan_limit` (with `limit`, `plan`, `upgrade_to`) or `tenant_suspended`.",
    403: "The role (or a read-only API key) does not allow this.",
    404: "No such lattice in this tenant.",
    409: idempotency.ERROR_DESCRIPTIONS[409],
    413: "Request body too large.",
    422: "`search_budget_exceeded` (with `explored`, `budget`, `plan`, `upgrade_to`), or "
    + idempotency.ERROR_DESCRIPTIONS[422],
    429: "`quota_exceeded`: monthly API calls spent; or, with `async`, `too_many_jobs`: the "
    "plan's `max_concurrent_jobs` are queued or running. See `Retry-After`.",
}


# Field codes of the product's own (lattices.api.serializers): a body refused only for
# one of them is refused with that code rather than `validation_error`.
PRODUCT_FIELD_CODES = frozenset({"invalid_point", "invalid_base64"})


def _codes(errors: Any) -> set[str]:
    if isinstance(errors, ErrorDetail):
        return {str(errors.code)}
    values = errors.values() if isinstance(errors, dict) else errors
    return set().union(*(_codes(value) for value in values)) if values else set()


def _rejection_code(errors: Any) -> str:
    codes = _codes(errors)
    return codes.pop() if len(codes) == 1 and codes <= PRODUCT_FIELD_CODES else "validation_error"


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    """Every product call can be refused by authentication, role, plan and quota."""
    return errors(*sorted({401, 402, 403, 429, *codes}), descriptions=DESCRIPTIONS)


class LatticeViewSet(
    idempotency.IdempotentMixin, MeteredProductAPIMixin, BackgroundSubmitMixin, TenantScopedViewSet
):
    """Lattices of the caller's tenant. Every request counts one API call of the month.

    Integers that can exceed 2^53 (vertex, edge and neighbour counts, adjacency-list bytes)
    are decimal strings. Responses carry `X-Quota-Used`, `X-Quota-Limit` and
    `X-Quota-Remaining`.
    """

    queryset = Lattice.objects.all()
    serializer_class = s.LatticeSerializer
    # Suspended tenants are refused (402) after the role check and before metering.
    permission_classes = [ReadOrRole, TenantActive]
    write_role = "member"
    # Each creates or spends: a retry carrying the first call's Idempotency-Key is replayed.
    idempotent_actions = ("create", "find_path", "neighbors", "transform")
    computations = ("find_path", "neighbors", "transform")

    def get_object(self) -> Lattice:
        # The one scoped read of every /api/lattices/{id}... call (lattices.lookup).
        lattice = tenant_lattice(self.context.tenant_id, self.kwargs[self.lookup_field])
        if lattice is None:
            raise Http404
        self.check_object_permissions(self.request, lattice)
        return lattice

    def _validated(self, computation: Computation, lattice: Lattice) -> dict[str, Any]:
        """The computation's body; a malformed one is recorded and refused with 400."""
        serializer = computation.serializer(data=self.request.data)
        if not serializer.is_valid():
            operations.record_rejection(
                self.context,
                lattice,
                kind=computation.kind,
                raw=self.request.data,
                error=InvalidRequest(
                    "Some fields are invalid.",
                    code=_rejection_code(serializer.errors),
                    details=serializer.errors,
                ),
            )
        return dict(serializer.validated_data)

    def _compute(self, computation: Computation, lattice: Lattice) -> Response:
        """Every computation action: validate, then run now or as a background job."""
        body = self._validated(computation, lattice)
        if body.pop("async"):
            return self.submit_job(lattice, computation.kind, body)
        return Response(computation.run(self.context, lattice, body, background=False).data)

    # --- lattices -------------------------------------------------------------------------

    @extend_schema(
        summary="List the tenant's lattices",
        responses={200: s.LatticeSerializer(many=True), **_errors()},
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.LatticeSerializer(page, many=True).data)

    @extend_schema(
        summary="Create a lattice",
        description="Beyond the plan's `max_lattices`, `max_dimensions` or `max_lattice_size` "
        'the answer is 402 `{"error": {"code": "plan_limit", "limit", "plan", "upgrade_to"}}`.',
        request=s.LatticeCreateSerializer,
        parameters=[idempotency.PARAMETER],
        responses={201: s.LatticeSerializer, **_errors(400, 409, 422)},
        examples=[
            OpenApiExample(
                "An 8×8 grid with two blocked points",
                request_only=True,
                value={
                    "name": "warehouse floor",
                    "dimensions": 2,
                    "size": 8,
                    "obstacles": [[3, 3], [3, 4]],
                },
            ),  # fmt: skip
            OpenApiExample(
                "Created", response_only=True, status_codes=["201"], value=LATTICE_EXAMPLE
            ),
        ],
    )
    def create(self, request: Request) -> Response:
        serializer = s.LatticeCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lattice = services.create_lattice(self.context, **serializer.validated_data)
        return Response(s.LatticeSerializer(lattice).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="A lattice, with explicit obstacle points",
        responses={200: s.LatticeSerializer, **_errors(404)},
        examples=[
            OpenApiExample(
                "With its obstacle points",
                response_only=True,
                status_codes=["200"],
                value={
                    **LATTICE_EXAMPLE,
                    "obstacles": {"kind": "explicit", "count": 2, "points": [[3, 3], [3, 4]]},
                },
            )
        ],
    )
    def retrieve(self, request: Request, id: str) -> Response:
        lattice = self.get_object()
        return Response(s.LatticeSerializer(lattice, context={"include_points": True}).data)

    @extend_schema(
        summary="Delete a lattice and its operation history",
        responses={204: None, **_errors(404)},
    )
    def destroy(self, request: Request, id: str) -> Response:
        services.delete_lattice(self.context, self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    # --- computations ---------------------------------------------------------------------

    @extend_schema(
        summary="Shortest path between two points",
        description="Unobstructed lattices answer directly; obstructed ones are searched "
        "within the plan's search budget. No path is a 200 with `reachable: false`.",
        request=PATH.serializer,
        parameters=[idempotency.PARAMETER],
        responses={200: s.PathResponseSerializer, 202: ACCEPTED, **_errors(400, 404, 409, 422)},
        examples=[
            OpenApiExample(
                "From a corner", request_only=True, value={"start": [0, 0], "end": [5, 6]}
            ),
            OpenApiExample(
                "A shortest path",
                response_only=True,
                status_codes=["200"],
                value={
                    "reachable": True,
                    "length": 11,
                    "path": [
                        [0, 0],
                        [1, 0],
                        [2, 0],
                        [3, 0],
                        [4, 0],
                        [5, 0],
                        [5, 1],
                        [5, 2],
                        [5, 3],
                        [5, 4],
                        [5, 5],
                        [5, 6],
                    ],
                    "explored": 12,
                    "method": "direct",
                    "duration_ms": 0.205,
                    "operation_id": "5d6278f0-b223-4974-a292-6fbc1dc7498e",
                },
            ),  # fmt: skip
            OpenApiExample(
                "A point outside the lattice",
                response_only=True,
                status_codes=["400"],
                value={
                    "error": {
                        "code": "invalid_point",
                        "message": "end[0]=9 is outside 0..7",
                        "details": None,
                        "operation_id": "c818174e-dda2-4d62-944d-89af623315de",
                    }
                },
            ),
        ],
    )
    @action(detail=True, methods=["post"], url_path="path", url_name="path")
    def find_path(self, request: Request, id: str) -> Response:
        return self._compute(PATH, self.get_object())

    @extend_schema(
        summary="Count (and list) the points within an L1 radius",
        request=NEIGHBORS.serializer,
        parameters=[idempotency.PARAMETER],
        responses={
            200: s.NeighborsResponseSerializer,
            202: ACCEPTED,
            **_errors(400, 404, 409, 422),
        },
    )
    @action(detail=True, methods=["post"], url_path="neighbors", url_name="neighbors")
    def neighbors(self, request: Request, id: str) -> Response:
        return self._compute(NEIGHBORS, self.get_object())

    @extend_schema(
        summary="Transform data or points: xor, rotate or scale",
        request=PolymorphicProxySerializer(
            component_name="Transform",
            serializers={name: computation.serializer for name, computation in TRANSFORMS.items()},
            resource_type_field_name="type",
        ),
        parameters=[idempotency.PARAMETER],
        responses={
            200: PolymorphicProxySerializer(
                component_name="TransformResponse",
                serializers=[s.XorResponseSerializer, s.PointsResponseSerializer],
                resource_type_field_name=None,
            ),
            202: ACCEPTED,
            **_errors(400, 404, 409, 422),
        },
    )
    @action(detail=True, methods=["post"], url_path="transform", url_name="transform")
    def transform(self, request: Request, id: str) -> Response:
        lattice = self.get_object()  # another tenant's lattice is a 404 whatever the body
        kind_name = request.data.get("type") if isinstance(request.data, dict) else None
        if not isinstance(kind_name, str) or kind_name not in TRANSFORMS:
            raise ServiceError(
                "Some fields are invalid.",
                code="validation_error",
                details={"type": [f"Choose one of: {', '.join(TRANSFORMS)}."]},
            )
        return self._compute(TRANSFORMS[kind_name], lattice)

    @extend_schema(
        summary="The lattice's operation history, newest first",
        responses={200: s.OperationSerializer(many=True), **_errors(404)},
    )
    @action(detail=True, methods=["get"], url_path="operations", url_name="operations")
    def history(self, request: Request, id: str) -> Response:
        lattice = self.get_object()
        history = (
            LatticeOperation.objects.for_tenant(self.tenant)
            .filter(lattice=lattice)
            .select_related("actor")
        )
        page = self.paginate_queryset(history)
        return self.get_paginated_response(s.OperationSerializer(page, many=True).data)
