"""Request and response bodies of the lattice API.

Request serializers check JSON shape (types, lists, base64); the rules (coordinate ranges,
blocked points, plan limits) are enforced by the services and the engine, which name the
field at fault. A field refused with one of the product's own codes (`invalid_point`,
`invalid_base64`) is refused with that code (lattices.api.views).

Integers that can exceed 2^53 (vertex and edge counts, adjacency-list bytes, neighbour
counts) are returned as decimal strings: JSON numbers that large lose digits in JavaScript.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalytic.timestamps import iso_utc
from lattices import engine
from lattices.models import Job, Lattice, LatticeOperation
from lattices.operations import MAX_KEY_LENGTH

POINT_SCHEMA = {
    "type": "array",
    "items": {"type": "integer", "minimum": 0},
    "minItems": engine.MIN_DIMENSIONS,
    "maxItems": engine.MAX_DIMENSIONS,
    "description": "One coordinate per dimension, each in 0..size-1.",
}
POINTS_SCHEMA = {"type": "array", "items": POINT_SCHEMA}
OBSTACLES_SCHEMA = {
    "oneOf": [
        {
            **POINTS_SCHEMA,
            "maxItems": engine.MAX_EXPLICIT_OBSTACLES,
            "description": "Explicit blocked points (at most 10,000).",
        },
        {
            "type": "object",
            "properties": {
                "density": {"type": "number", "minimum": 0, "maximum": 1, "exclusiveMaximum": True},
                "seed": {"type": "integer"},
            },
            "required": ["density", "seed"],
            "description": "Implicit obstacles: a point is blocked when a keyed hash of "
            "(seed, point) falls below density. Nothing is stored per point.",
        },
    ],
    "nullable": True,
}


@extend_schema_field(POINT_SCHEMA)
class PointField(serializers.JSONField):
    """A coordinate, passed through for the engine to check (it names the bad axis)."""


@extend_schema_field(POINTS_SCHEMA)
class PointsField(serializers.JSONField):
    """A list of coordinates, each checked by the engine (fast for 10,000 points)."""

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        if not isinstance(value, list):
            raise serializers.ValidationError(
                "Must be a list of points, each a list of coordinates.", code="invalid_point"
            )
        return value


@extend_schema_field(OBSTACLES_SCHEMA)
class ObstaclesField(serializers.JSONField):
    pass


# --- requests ---------------------------------------------------------------------------


class LatticeCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    dimensions = serializers.IntegerField(
        help_text=f"{engine.MIN_DIMENSIONS}..{engine.MAX_DIMENSIONS}, within the plan's limit."
    )
    size = serializers.IntegerField(
        help_text=f"Points per axis, {engine.MIN_SIZE}..{engine.MAX_SIZE}, within the plan."
    )
    obstacles = ObstaclesField(required=False, allow_null=True, default=None)


class ComputationRequest(serializers.Serializer):
    """A computation's body: also `"async": true` to run it as a background job (202)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # `async` is a Python keyword, so it cannot be declared as a class attribute.
        fields["async"] = serializers.BooleanField(
            default=False,
            help_text="true: answer 202 at once with a job (GET /api/jobs/{id}) that runs "
            "in the background, with the plan's larger job search budget.",
        )
        return fields


class PathSerializer(ComputationRequest):
    start = PointField()
    end = PointField()


class NeighborsSerializer(ComputationRequest):
    point = PointField()
    radius = serializers.IntegerField(min_value=0, help_text="L1 (taxicab) radius.")


class XorSerializer(ComputationRequest):
    type = serializers.ChoiceField(choices=["xor"])
    data = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text="Base64 of at most 1 MiB (1,048,576 bytes).",
    )
    key = serializers.CharField(max_length=MAX_KEY_LENGTH, trim_whitespace=False)

    def validate_data(self, value: str) -> str:
        try:
            base64.b64decode("".join(value.split()), validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError("Not valid base64.", code="invalid_base64")
        return value


class RotateSerializer(ComputationRequest):
    type = serializers.ChoiceField(choices=["rotate"])
    axes = serializers.ListField(
        child=serializers.IntegerField(min_value=0), min_length=2, max_length=2
    )
    k = serializers.IntegerField(help_text="Quarter turns (taken mod 4).")
    inverse = serializers.BooleanField(default=False, help_text="Apply the inverse rotation.")
    points = PointsField(help_text="At most 10,000 points of this lattice.")


class ScaleSerializer(ComputationRequest):
    type = serializers.ChoiceField(choices=["scale"])
    size = serializers.IntegerField(help_text="Points per axis of the target lattice.")
    points = PointsField(help_text="At most 10,000 points of this lattice.")


# --- responses --------------------------------------------------------------------------


class CountsSerializer(serializers.Serializer):
    vertices = serializers.CharField(help_text="n^d as a decimal string (exact).")
    edges = serializers.CharField(help_text="d·n^(d-1)·(n-1) as a decimal string (exact).")
    diameter = serializers.IntegerField()
    max_degree = serializers.IntegerField()
    min_degree = serializers.IntegerField()


class MemorySerializer(serializers.Serializer):
    adjacency_list_bytes = serializers.CharField(
        help_text="Bytes an explicit (CSR, 8-byte) adjacency list would need; decimal string."
    )
    engine_bytes = serializers.IntegerField(help_text="Bytes the engine holds for this lattice.")


class ObstaclesSummarySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["none", "explicit", "density"])
    count = serializers.IntegerField(required=False, help_text="Explicit points.")
    density = serializers.FloatField(required=False)
    seed = serializers.IntegerField(required=False)
    points = PointsField(required=False, help_text="Explicit points (detail view only).")


class LatticeSerializer(serializers.ModelSerializer):
    obstacles = serializers.SerializerMethodField()
    counts = serializers.SerializerMethodField()
    memory = serializers.SerializerMethodField()
    created_by = serializers.UUIDField(source="created_by_id", read_only=True, allow_null=True)

    class Meta:
        model = Lattice
        fields = [
            "id",
            "name",
            "dimensions",
            "size",
            "obstacles",
            "counts",
            "memory",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, lattice: Lattice) -> dict[str, Any]:
        # Built directly: ModelSerializer introspects the model to build its fields on
        # every instantiation (its cost is in docs/performance.md). The declared fields
        # above stay the schema; tests/perf/test_serializers.py proves both give the same
        # JSON.
        created_by = lattice.created_by_id
        return {
            "id": str(lattice.id),
            "name": lattice.name,
            "dimensions": lattice.dimensions,
            "size": lattice.size,
            "obstacles": self.get_obstacles(lattice),
            "counts": self.get_counts(lattice),
            "memory": self.get_memory(lattice),
            "created_by": str(created_by) if created_by is not None else None,
            "created_at": iso_utc(lattice.created_at),
            "updated_at": iso_utc(lattice.updated_at),
        }

    def field_based_representation(self, lattice: Lattice) -> Any:
        """DRF's own rendering through the declared fields (what to_representation mirrors)."""
        return super().to_representation(lattice)

    @extend_schema_field(ObstaclesSummarySerializer)
    def get_obstacles(self, lattice: Lattice) -> dict[str, Any]:
        kind = lattice.obstacle_kind
        if kind == "density":
            return {"kind": kind, **lattice.obstacles}
        if kind == "explicit":
            summary: dict[str, Any] = {"kind": kind, "count": len(lattice.obstacles)}
            if self.context.get("include_points"):
                summary["points"] = lattice.obstacles
            return summary
        return {"kind": kind}

    @extend_schema_field(CountsSerializer)
    def get_counts(self, lattice: Lattice) -> dict[str, Any]:
        counts = lattice.counts
        return {
            "vertices": str(counts.vertices),
            "edges": str(counts.edges),
            "diameter": counts.diameter,
            "max_degree": counts.max_degree,
            "min_degree": counts.min_degree,
        }

    @extend_schema_field(MemorySerializer)
    def get_memory(self, lattice: Lattice) -> dict[str, Any]:
        counts = lattice.counts
        return {
            "adjacency_list_bytes": str(counts.adjacency_list_bytes),
            "engine_bytes": counts.engine_bytes,
        }


class ActorSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()


class OperationSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    lattice = serializers.UUIDField(source="lattice_id", read_only=True)

    class Meta:
        model = LatticeOperation
        fields = [
            "id",
            "lattice",
            "kind",
            "status",
            "parameters",
            "result_summary",
            "error_code",
            "error_message",
            "duration_ms",
            "actor",
            "api_key_id",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ActorSerializer(allow_null=True))
    def get_actor(self, operation: LatticeOperation) -> dict[str, Any] | None:
        if operation.actor is None:
            return None
        return {"id": str(operation.actor.pk), "email": operation.actor.email}


class _OperationResultFields(serializers.Serializer):
    duration_ms = serializers.FloatField(help_text="Engine time in milliseconds.")
    operation_id = serializers.UUIDField(help_text="The stored operation (see /operations).")


class PathResponseSerializer(_OperationResultFields):
    reachable = serializers.BooleanField()
    length = serializers.IntegerField(allow_null=True, help_text="Steps; null if unreachable.")
    path = PointsField(help_text="Start to end inclusive; [] if unreachable.")
    explored = serializers.IntegerField(help_text="Points examined (bounded by the plan).")
    method = serializers.ChoiceField(choices=["direct", "grid-bfs", "astar", "probe-bfs"])


class NeighborsResponseSerializer(_OperationResultFields):
    point = PointField()
    radius = serializers.IntegerField()
    count = serializers.CharField(
        help_text="Lattice points within the radius (inclusive), exact, as a decimal string."
    )
    listed = serializers.BooleanField(help_text="Whether `points` lists them (count <= 1000).")
    points = PointsField(allow_null=True)
    blocked = serializers.IntegerField(allow_null=True, help_text="Blocked among `points`.")


class XorResponseSerializer(_OperationResultFields):
    output = serializers.CharField(help_text="Base64 of data XOR key stream.")
    aux_size = serializers.IntegerField(help_text="Bytes of the borrowed auxiliary buffer.")
    aux_sha256_before = serializers.CharField()
    aux_sha256_after = serializers.CharField(help_text="Equal to before: the buffer was restored.")
    aux_restored = serializers.BooleanField()


class PointsResponseSerializer(_OperationResultFields):
    points = PointsField(help_text="The image of each given point, in order.")


class JobSerializer(serializers.ModelSerializer):
    """A background job; `result` (succeeded) is the synchronous call's body, `error`
    (failed) the synchronous call's error fields."""

    lattice = serializers.UUIDField(source="lattice_id", read_only=True)
    url = serializers.SerializerMethodField()
    result = serializers.JSONField(
        read_only=True, allow_null=True, help_text="When succeeded: the synchronous result."
    )
    error = serializers.JSONField(
        read_only=True,
        allow_null=True,
        help_text="When failed: {code, message, details, ...} as the synchronous error.",
    )

    class Meta:
        model = Job
        fields = [
            "id",
            "url",
            "lattice",
            "kind",
            "status",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
            "result",
            "error",
        ]
        read_only_fields = fields

    def get_url(self, job: Job) -> str:
        return reverse("jobs_api:job-detail", kwargs={"id": job.pk})


class JobEnvelopeSerializer(serializers.Serializer):
    job = JobSerializer()
