from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import models

from lattices import engine
from tenants.models import TenantOwnedModel

# Parsing a stored 10,000-point obstacle list costs milliseconds; lattices never change
# after creation, so each process keeps the parsed engine objects of recently used ones.
_ENGINE_CACHE: OrderedDict[tuple[uuid.UUID, Any], engine.Lattice] = OrderedDict()
_ENGINE_CACHE_SIZE = 128
_ENGINE_CACHE_LOCK = threading.Lock()


class Lattice(TenantOwnedModel):
    """A tenant's lattice: d axes of n points, optionally with blocked points.

    `obstacles` holds the engine's normalised spec: null, a sorted list of coordinates,
    or {"density": p, "seed": s} (nothing stored per point).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    dimensions = models.PositiveSmallIntegerField()
    size = models.PositiveIntegerField()
    obstacles = models.JSONField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="lattice_tenant_created")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    dimensions__gte=engine.MIN_DIMENSIONS, dimensions__lte=engine.MAX_DIMENSIONS
                ),
                name="lattice_dimensions_range",
            ),
            models.CheckConstraint(
                condition=models.Q(size__gte=engine.MIN_SIZE, size__lte=engine.MAX_SIZE),
                name="lattice_size_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.dimensions}-D, n={self.size})"

    @property
    def obstacle_kind(self) -> str:
        if self.obstacles is None:
            return "none"
        return "density" if isinstance(self.obstacles, dict) else "explicit"

    @cached_property
    def counts(self) -> engine.LatticeCounts:
        """Exact counts and memory figures, without re-validating the stored obstacles."""
        if self.obstacle_kind == "density":
            held: engine.NoObstacles | engine.ExplicitObstacles | engine.DensityObstacles = (
                engine.DensityObstacles(self.obstacles["density"], self.obstacles["seed"])
            )
        elif self.obstacle_kind == "explicit":
            held = engine.ExplicitObstacles(frozenset(tuple(p) for p in self.obstacles))
        else:
            held = engine.NoObstacles()
        return engine.lattice_counts(
            self.dimensions, self.size, engine_bytes=held.held_bytes(self.dimensions)
        )

    def engine(self) -> engine.Lattice:
        """The engine's view of this lattice (validated, parsed once per process)."""
        key = (self.pk, self.updated_at)
        with _ENGINE_CACHE_LOCK:
            cached = _ENGINE_CACHE.get(key)
            if cached is not None:
                _ENGINE_CACHE.move_to_end(key)
                return cached
        built = engine.Lattice(self.dimensions, self.size, self.obstacles)
        with _ENGINE_CACHE_LOCK:
            _ENGINE_CACHE[key] = built
            while len(_ENGINE_CACHE) > _ENGINE_CACHE_SIZE:
                _ENGINE_CACHE.popitem(last=False)
        return built


class LatticeOperation(TenantOwnedModel):
    """One computation on a lattice, successful or not: the product's history and audit trail.

    Parameters and results are summaries: bulky inputs (the xor payload, long point lists)
    are stored as sizes and digests, never verbatim.
    """

    class Kind(models.TextChoices):
        PATH = "path", "Shortest path"
        NEIGHBORS = "neighbors", "Neighbours"
        TRANSFORM_XOR = "transform_xor", "XOR transform"
        TRANSFORM_ROTATE = "transform_rotate", "Rotation"
        TRANSFORM_SCALE = "transform_scale", "Scaling"

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Deleting a lattice deletes its history; usage is metered separately (billing.UsageCounter).
    lattice = models.ForeignKey(Lattice, on_delete=models.CASCADE, related_name="operations")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    parameters = models.JSONField(default=dict, blank=True)
    result_summary = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    duration_ms = models.FloatField(default=0)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Programs calling with an API key have no user; the key identifies them instead.
    api_key_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="latticeop_tenant_created"),
            models.Index(fields=["lattice", "-created_at"], name="latticeop_lattice_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.status} on {self.lattice_id}"


class Job(TenantOwnedModel):
    """A computation run in the background by a task-queue worker (lattices/tasks.py).

    This row is the truth the API reads; the queue only carries the job's id. A worker
    claims the row with a conditional UPDATE (queued -> running, or a running row whose
    claim is older than a job may live, i.e. its worker died) and stores the outcome only
    while it still holds that claim, so a redelivered message never stores twice.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    lattice = models.ForeignKey(Lattice, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=24, choices=LatticeOperation.Kind.choices)
    # The validated request, kept only until the job ends: for xor it holds the payload
    # and key, which the finished job (like the operation history) must not keep.
    request = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    result = models.JSONField(null=True, blank=True)
    error = models.JSONField(null=True, blank=True)
    operation = models.ForeignKey(
        LatticeOperation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key_id = models.UUIDField(null=True, blank=True)
    claim = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="job_tenant_created"),
            models.Index(fields=["status", "created_at"], name="job_status_created"),
            models.Index(fields=["finished_at"], name="job_finished"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} job {self.status} on {self.lattice_id}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE
