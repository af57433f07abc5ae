"""Each computation on a lattice, described once: its input and the service that runs it.

The API (lattices/api/views.py), the pages (lattices/views.py) and the job worker
(lattices/job_runner.py) serve every computation from its `Computation` here, and none
names one otherwise. The API validates the JSON body with `serializer`; a page validates
what a person typed with `form`, whose `request_body()` is the same JSON body; a
background job stores that body (Job.request). `run` turns a validated body into the one
service call (lattices.operations), for all three alike. A new computation is a service
function, a serializer, a form and one entry in COMPUTATIONS (plus its API action, whose
OpenAPI description lives with the view).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from rest_framework import serializers

from catalytic.jobs_config import JOB_SEARCH_SECONDS
from lattices import operations
from lattices.api import serializers as s
from lattices.forms import NeighborsForm, PathForm, RotateForm, ScaleForm, XorForm
from lattices.models import Lattice, LatticeOperation
from lattices.operations import OperationOutcome
from tenants.context import AuthContext

Kind = LatticeOperation.Kind
# (caller, lattice, validated body, run as a background job?) -> the recorded outcome
Runner = Callable[[AuthContext, Lattice, dict[str, Any], bool], OperationOutcome]


@dataclass(frozen=True)
class Computation:
    # The page's name for it (its form is `<name>_form` on the detail page) and, for a
    # transform, the API body's `type`.
    name: str
    kind: str  # LatticeOperation.Kind: the history's and the job's kind
    serializer: type[serializers.Serializer]
    form: type[forms.Form]
    runner: Runner
    # The body's field holding the point the page's figure centres the result on.
    focus: str | None = None

    @property
    def form_key(self) -> str:
        return f"{self.name}_form"

    def run(
        self, caller: AuthContext, lattice: Lattice, body: dict[str, Any], *, background: bool
    ) -> OperationOutcome:
        """Run the computation on a validated body; a background job searches further."""
        return self.runner(caller, lattice, body, background)


def _path(
    caller: AuthContext, lattice: Lattice, body: dict[str, Any], background: bool
) -> OperationOutcome:
    # A job holds a worker, not a web process: the plan's larger budget, its own time cap.
    job = {"budget_limit": "job_search_budget", "search_seconds": JOB_SEARCH_SECONDS}
    return operations.find_path(
        caller, lattice, start=body["start"], end=body["end"], **(job if background else {})
    )


def _neighbors(
    caller: AuthContext, lattice: Lattice, body: dict[str, Any], _: bool
) -> OperationOutcome:
    return operations.count_neighbors(caller, lattice, point=body["point"], radius=body["radius"])


def _xor(caller: AuthContext, lattice: Lattice, body: dict[str, Any], _: bool) -> OperationOutcome:
    # The serializer and the form checked it is base64 (line breaks allowed).
    payload = base64.b64decode("".join(body["data"].split()), validate=True)
    return operations.xor_transform(caller, lattice, data=payload, key=body["key"])


def _rotate(
    caller: AuthContext, lattice: Lattice, body: dict[str, Any], _: bool
) -> OperationOutcome:
    return operations.rotate_points(
        caller,
        lattice,
        axes=body["axes"],
        k=body["k"],
        points=body["points"],
        inverse=body["inverse"],
    )


def _scale(
    caller: AuthContext, lattice: Lattice, body: dict[str, Any], _: bool
) -> OperationOutcome:
    return operations.scale_points(caller, lattice, size=body["size"], points=body["points"])


PATH = Computation("path", Kind.PATH, s.PathSerializer, PathForm, _path, focus="start")
NEIGHBORS = Computation(
    "neighbors", Kind.NEIGHBORS, s.NeighborsSerializer, NeighborsForm, _neighbors, focus="point"
)
XOR = Computation("xor", Kind.TRANSFORM_XOR, s.XorSerializer, XorForm, _xor)
ROTATE = Computation("rotate", Kind.TRANSFORM_ROTATE, s.RotateSerializer, RotateForm, _rotate)
SCALE = Computation("scale", Kind.TRANSFORM_SCALE, s.ScaleSerializer, ScaleForm, _scale)

COMPUTATIONS = (PATH, NEIGHBORS, XOR, ROTATE, SCALE)
COMPUTATIONS_BY_KIND = {computation.kind: computation for computation in COMPUTATIONS}
# POST /api/lattices/{id}/transform and the page's transform form choose by `type`.
TRANSFORMS = {computation.name: computation for computation in (XOR, ROTATE, SCALE)}
