"""Forms of the lattice pages.

They turn what a person types ("3, 4", one point per line) into the values the API takes as
JSON (a computation's form gives its API body, `request_body()`, which lattices.computations
runs), and check their shape: ranges, blocked points and plan limits are the services' and
the engine's to check, and their messages are put back next to the field they name.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from django import forms

from catalytic.errors import ServiceError
from lattices import engine
from lattices.operations import MAX_KEY_LENGTH

POINT_HELP = "Whole numbers separated by commas, one per dimension, e.g. 0, 0."
POINTS_HELP = "One point per line, coordinates separated by commas (or a JSON list of lists)."
_NUMBER = re.compile(r"-?\d+")


def parse_point(text: str) -> list[int]:
    """ "3, 4", "(3 4)" or "[3,4]" → [3, 4]; raises ValidationError for anything else."""
    cleaned = text.strip().strip("[]()").strip()
    parts = [part for part in re.split(r"[\s,;]+", cleaned) if part]
    if not parts or not all(_NUMBER.fullmatch(part) for part in parts):
        raise forms.ValidationError(
            "Enter whole numbers separated by commas, e.g. 0, 0.", code="invalid_point"
        )
    return [int(part) for part in parts]


class PointField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", POINT_HELP)
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[int] | None:
        text = super().to_python(value)
        return parse_point(text) if text else None


class PointsField(forms.CharField):
    """Several points: one per line, or a JSON list of lists (as the API takes them)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", POINTS_HELP)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[list[int]]:
        text = super().to_python(value)
        if not text:
            return []
        if text.lstrip().startswith("[["):
            try:
                points = json.loads(text)
            except ValueError:
                raise forms.ValidationError("This is not a valid JSON list of points.")
            if not isinstance(points, list) or not all(
                isinstance(p, list) and all(type(c) is int for c in p) for p in points
            ):
                raise forms.ValidationError("Give a list of lists of whole numbers.")
            return points
        points = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                points.append(parse_point(line))
            except forms.ValidationError:
                raise forms.ValidationError(
                    f"Line {number} is not a point: enter whole numbers separated by commas."
                )
        return points


class ServiceErrorsMixin:
    """Puts a service's refusal next to the field its message names ("start[1]=9 is ...")."""

    # First word of an engine/service message → the form field it is about.
    message_fields: dict[str, str] = {}

    def add_service_error(self, error: ServiceError) -> None:
        match = re.match(r"[a-z_]+", error.message)
        field = self.message_fields.get(match.group(0)) if match else None
        self.add_error(field, error.message)  # type: ignore[attr-defined]


class LatticeForm(ServiceErrorsMixin, forms.Form):
    OBSTACLES_NONE = "none"
    OBSTACLES_LIST = "list"
    OBSTACLES_DENSITY = "density"

    name = forms.CharField(max_length=200, help_text="A name your team will recognise.")
    dimensions = forms.IntegerField(
        initial=2,
        widget=forms.NumberInput(
            attrs={"min": engine.MIN_DIMENSIONS, "max": engine.MAX_DIMENSIONS}
        ),
    )
    size = forms.IntegerField(
        label="Points per axis",
        initial=10,
        widget=forms.NumberInput(attrs={"min": engine.MIN_SIZE, "max": engine.MAX_SIZE}),
    )
    obstacle_kind = forms.ChoiceField(
        label="Obstacles",
        choices=[
            (OBSTACLES_NONE, "None: every point is free"),
            (OBSTACLES_LIST, "These blocked points"),
            (OBSTACLES_DENSITY, "Random: a share of points blocked, from a seed"),
        ],
        initial=OBSTACLES_NONE,
        widget=forms.RadioSelect,
    )
    blocked_points = PointsField(
        required=False,
        label="Blocked points",
        help_text="For “these blocked points”: one point per line, e.g. 1, 2 "
        f"(at most {engine.MAX_EXPLICIT_OBSTACLES:,}).",
    )
    density = forms.FloatField(
        required=False,
        help_text="For random obstacles: the share of blocked points, from 0 to below 1 "
        "(e.g. 0.25).",
        widget=forms.NumberInput(attrs={"step": "any", "min": 0, "max": 0.99}),
    )
    seed = forms.IntegerField(
        required=False,
        help_text="For random obstacles: any whole number; the same seed "
        "always blocks the same points.",
    )

    message_fields = {
        "name": "name",
        "dimensions": "dimensions",
        "size": "size",
        "density": "density",
        "seed": "seed",
        "obstacles": "blocked_points",
    }
    limit_fields = {"max_dimensions": "dimensions", "max_lattice_size": "size"}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("obstacle_kind")
        if (
            kind == self.OBSTACLES_LIST
            and not data.get("blocked_points")
            and "blocked_points" not in self.errors
        ):
            self.add_error("blocked_points", "List at least one blocked point.")
        if kind == self.OBSTACLES_DENSITY:
            for name in ("density", "seed"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, "Required for random obstacles.")
        return data

    def obstacles(self) -> Any:
        """The obstacle spec exactly as the API takes it."""
        kind = self.cleaned_data["obstacle_kind"]
        if kind == self.OBSTACLES_LIST:
            return self.cleaned_data["blocked_points"]
        if kind == self.OBSTACLES_DENSITY:
            return {"density": self.cleaned_data["density"], "seed": self.cleaned_data["seed"]}
        return None

    def add_service_error(self, error: ServiceError) -> None:
        field = self.limit_fields.get(error.extra.get("limit", ""))
        if field:
            self.add_error(field, error.message)
            return
        if error.message.startswith("obstacles") and self.data.get("obstacle_kind") == "density":
            self.add_error("density", error.message)
            return
        super().add_service_error(error)


class PathForm(ServiceErrorsMixin, forms.Form):
    prefix = "path"
    start = PointField()
    end = PointField()
    message_fields = {"start": "start", "end": "end"}

    def request_body(self) -> dict[str, Any]:
        return {"start": self.cleaned_data["start"], "end": self.cleaned_data["end"]}


class NeighborsForm(ServiceErrorsMixin, forms.Form):
    prefix = "nb"
    point = PointField()
    radius = forms.IntegerField(
        min_value=0, initial=1, help_text="Distance in steps along the axes (L1, taxicab)."
    )
    message_fields = {"point": "point", "radius": "radius"}

    def request_body(self) -> dict[str, Any]:
        return {"point": self.cleaned_data["point"], "radius": self.cleaned_data["radius"]}


class XorForm(ServiceErrorsMixin, forms.Form):
    prefix = "xor"
    data = forms.CharField(
        label="Data",
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        strip=False,
        help_text="Text to transform (sent as UTF-8). Apply the same key to the output to get "
        "it back.",
    )
    data_is_base64 = forms.BooleanField(
        required=False, label="The data above is base64 (e.g. an earlier output)"
    )
    key = forms.CharField(
        max_length=MAX_KEY_LENGTH, strip=False, widget=forms.PasswordInput(render_value=True)
    )
    message_fields = {"data": "data", "key": "key"}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        text = data.get("data")
        if text is None:
            return data
        if not data.get("data_is_base64"):
            data["payload"] = text.encode("utf-8")
            return data
        try:
            data["payload"] = base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            self.add_error("data", "This is not valid base64.")
        return data

    def request_body(self) -> dict[str, Any]:
        payload = base64.b64encode(self.cleaned_data["payload"]).decode("ascii")
        return {"type": "xor", "data": payload, "key": self.cleaned_data["key"]}


class RotateForm(ServiceErrorsMixin, forms.Form):
    prefix = "rot"
    axes = PointField(label="Axes", help_text="The two axes of the rotation plane, e.g. 0, 1.")
    k = forms.IntegerField(
        label="Quarter turns", initial=1, help_text="How many quarter turns (taken modulo 4)."
    )
    inverse = forms.BooleanField(required=False, label="Apply the inverse rotation")
    points = PointsField()
    message_fields = {"axes": "axes", "axis": "axes", "k": "k", "points": "points"}

    def request_body(self) -> dict[str, Any]:
        fields = ("axes", "k", "points", "inverse")
        return {"type": "rotate", **{name: self.cleaned_data[name] for name in fields}}


class ScaleForm(ServiceErrorsMixin, forms.Form):
    prefix = "scale"
    size = forms.IntegerField(
        label="Target points per axis",
        help_text=f"The lattice to map onto: {engine.MIN_SIZE} to {engine.MAX_SIZE} points per "
        "axis.",
    )
    points = PointsField()
    message_fields = {"size": "size", "to_size": "size", "points": "points"}

    def request_body(self) -> dict[str, Any]:
        fields = ("size", "points")
        return {"type": "scale", **{name: self.cleaned_data[name] for name in fields}}
