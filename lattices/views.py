"""The lattice pages: list, create, detail with path / neighbours / transform forms.

Every write goes through the same services as the API (`lattices.services`,
`lattices.operations`), so plan limits, suspension, validation and the operation history
are the API's. Metering: each product action started from a page (create, delete, path,
neighbours, transform) spends one call of the monthly quota through
`billing.usage.record_api_call`, exactly like the API; merely looking at pages does not.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from billing.limits import tenant_plan
from billing.usage import Caller, quota_exceeded_error, record_api_call
from catalytic.errors import ServiceError
from lattices import engine, jobs, operations, services
from lattices.drawing import grid_figure
from lattices.exceptions import PlanLimitExceeded
from lattices.forms import LatticeForm, NeighborsForm, PathForm, RotateForm, ScaleForm, XorForm
from lattices.models import Lattice, LatticeOperation
from tenants.models import Role
from tenants.page_auth import require_write_role, tenant_required

# The longest path listed in full in the JSON shown on the page (the API returns all of it).
SHOWN_PATH_POINTS = 500
HISTORY_ROWS = 15
TRANSFORM_FORMS = {"xor": XorForm, "rotate": RotateForm, "scale": ScaleForm}
Kind = LatticeOperation.Kind


class QuotaExceeded(ServiceError):
    status = 429
    code = "quota_exceeded"


def spend_call(tenant: Any, user: Any) -> None:
    """One metered product call, as the API's MeteredProductAPIMixin spends it."""
    services.ensure_product_access(tenant)
    usage = record_api_call(tenant, caller=Caller.of(user=user, website=True))
    if not usage.allowed:
        raise QuotaExceeded(quota_exceeded_error(tenant, usage).message)


def _tenant_lattice(request: HttpRequest, lattice_id: Any) -> Lattice:
    # SECURITY: only the session tenant's lattices exist here; another tenant's is a 404.
    return get_object_or_404(Lattice.objects.for_tenant(request.tenant), pk=lattice_id)


def _error_status(error: ServiceError) -> int:
    """The API's status for refusals a page should mirror (plan, suspension, quota); else 400."""
    return error.status if error.status in (402, 422, 429) else 400


def _upgrade_hint(error: ServiceError) -> str | None:
    return error.extra.get("upgrade_to") if isinstance(error, PlanLimitExceeded) else None


@tenant_required
def lattice_list(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    lattices = (
        Lattice.objects.for_tenant(tenant)
        .annotate(operation_count=Count("operations"))
        .order_by("-created_at")
    )
    plan = tenant_plan(tenant)
    return render(
        request,
        "lattices/list.html",
        {"lattices": lattices, "plan": plan, "count": len(lattices)},
    )


@tenant_required
def lattice_create(request: HttpRequest) -> HttpResponse:
    require_write_role(request)
    tenant = request.tenant
    plan = tenant_plan(tenant)
    used = Lattice.objects.for_tenant(tenant).count()
    limit_error: ServiceError | None = None
    status = 200
    if request.method == "POST":
        form = LatticeForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                spend_call(tenant, request.user)
                lattice = services.create_lattice(
                    tenant=tenant,
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    dimensions=form.cleaned_data["dimensions"],
                    size=form.cleaned_data["size"],
                    obstacles=form.obstacles(),
                )
            except ServiceError as exc:
                status = _error_status(exc)
                if isinstance(exc, PlanLimitExceeded):
                    # Explained above the form (with the upgrade link); repeated at the
                    # field it is about, when there is one.
                    limit_error = exc
                    if exc.extra.get("limit") in form.limit_fields:
                        form.add_service_error(exc)
                else:
                    form.add_service_error(exc)
            else:
                messages.success(request, f"Lattice “{lattice.name}” created.")
                return redirect("lattices:detail", lattice_id=lattice.pk)
    else:
        form = LatticeForm()
    return render(
        request,
        "lattices/create.html",
        {
            "form": form,
            "plan": plan,
            "used": used,
            "at_limit": plan.max_lattices is not None and used >= plan.max_lattices,
            "limit_error": limit_error,
            "engine_max_dimensions": engine.MAX_DIMENSIONS,
            "engine_max_size": engine.MAX_SIZE,
            "limit_on_field": bool(
                limit_error and limit_error.extra.get("limit") in form.limit_fields
            ),
            "upgrade_to": _upgrade_hint(limit_error) if limit_error else None,
        },
        status=status,
    )


def _detail_context(request: HttpRequest, lattice: Lattice, **extra: Any) -> dict[str, Any]:
    forms: dict[str, Form] = {
        "path_form": PathForm(),
        "neighbors_form": NeighborsForm(),
        "xor_form": XorForm(),
        "rotate_form": RotateForm(),
        "scale_form": ScaleForm(),
    }
    forms.update({k: v for k, v in extra.items() if k.endswith("_form")})
    engine_lattice = lattice.engine()
    path = extra.get("path")
    focus = extra.get("focus")
    history = (
        LatticeOperation.objects.for_tenant(request.tenant)
        .filter(lattice=lattice)
        .select_related("actor")
        .order_by("-created_at")[:HISTORY_ROWS]
    )
    return {
        "lattice": lattice,
        "counts": engine_lattice.counts(),
        "obstacle_summary": _obstacle_summary(lattice),
        "figure": grid_figure(engine_lattice, path=path, focus=focus),
        "operations": history,
        "can_operate": request.can.write and not request.tenant.is_suspended,
        **forms,
        **{k: v for k, v in extra.items() if not k.endswith("_form")},
    }


def _obstacle_summary(lattice: Lattice) -> str:
    if lattice.obstacles is None:
        return "None"
    if isinstance(lattice.obstacles, dict):
        return f"Random, density {lattice.obstacles['density']:g}, seed {lattice.obstacles['seed']}"
    count = len(lattice.obstacles)
    return f"{count} blocked point{'s' if count != 1 else ''}"


# The last computation a page ran, kept in the person's session so the page it redirects
# to (post/redirect/get) can show it, and showing it again on a refresh runs nothing.
RESULT_SESSION_KEY = "lattices:last-result"


def _remember_result(request: HttpRequest, lattice: Lattice, outcome: Any, form: Form) -> None:
    data = form.cleaned_data  # type: ignore[attr-defined]
    kind = outcome.operation.kind
    focus = data.get("start") if kind == LatticeOperation.Kind.PATH else data.get("point")
    request.session[RESULT_SESSION_KEY] = {
        "lattice": str(lattice.pk),
        "operation": str(outcome.operation.pk),
        "kind": kind,
        "result": outcome.data,
        "focus": list(focus) if focus is not None else None,
    }


def _remembered_result(request: HttpRequest, lattice: Lattice) -> dict[str, Any]:
    """The detail page's result section, for the operation its URL names, if it is the
    one this person ran last (another operation id shows nothing)."""
    shown = request.session.get(RESULT_SESSION_KEY)
    wanted = request.GET.get("operation")
    if not shown or not wanted or shown["lattice"] != str(lattice.pk):
        return {}
    if shown["operation"] != wanted:
        return {}
    result = shown["result"]
    extra: dict[str, Any] = {
        "result": result,
        "result_kind": shown["kind"],
        "result_json": _result_json(result),
        "focus": shown["focus"],
    }
    if shown["kind"] == LatticeOperation.Kind.PATH:
        extra["path"] = result.get("path") or None
    return extra


@tenant_required
def lattice_detail(request: HttpRequest, lattice_id: Any) -> HttpResponse:
    lattice = _tenant_lattice(request, lattice_id)
    extra = _remembered_result(request, lattice)
    return render(request, "lattices/detail.html", _detail_context(request, lattice, **extra))


def _result_json(data: dict[str, Any]) -> str:
    shown = dict(data)
    path = shown.get("path")
    if isinstance(path, list) and len(path) > SHOWN_PATH_POINTS:
        shown["path"] = path[:SHOWN_PATH_POINTS] + [f"… {len(path) - SHOWN_PATH_POINTS} more"]
    points = shown.get("points")
    if isinstance(points, list) and len(points) > SHOWN_PATH_POINTS:
        shown["points"] = points[:SHOWN_PATH_POINTS] + [f"… {len(points) - SHOWN_PATH_POINTS} more"]
    return json.dumps(shown, indent=2)


def _operate(
    request: HttpRequest,
    lattice: Lattice,
    form: Form,
    form_key: str,
    run: Any,
    job: tuple[str, Any],
) -> HttpResponse:
    """Validate `form`, spend one call, run the operation, then redirect to the detail
    page showing its result (a refresh shows it again and runs nothing); a refusal
    re-renders the form with the error.

    With "Run in background" (`background` posted), the operation becomes a job instead:
    `job` is its kind and a function of the cleaned data giving the API's request body.
    """
    extra: dict[str, Any] = {form_key: form, "open_form": form_key}
    status = 400
    background = bool(request.POST.get("background"))
    if form.is_valid():
        try:
            spend_call(request.tenant, request.user)
            if background:
                kind, body = job
                jobs.submit(
                    tenant=request.tenant,
                    actor=request.user,
                    lattice=lattice,
                    kind=kind,
                    request=body(form.cleaned_data),
                )
                messages.success(
                    request, "The computation runs in the background: see Background jobs."
                )
                return redirect("lattices:dashboard")
            outcome = run(form.cleaned_data)
        except ServiceError as exc:
            form.add_service_error(exc)  # type: ignore[attr-defined]
            extra["upgrade_to"] = exc.extra.get("upgrade_to")
            status = _error_status(exc)
        else:
            _remember_result(request, lattice, outcome, form)
            detail = reverse("lattices:detail", kwargs={"lattice_id": lattice.pk})
            return redirect(f"{detail}?operation={outcome.operation.pk}#result")
    return render(
        request, "lattices/detail.html", _detail_context(request, lattice, **extra), status=status
    )


@require_POST
@tenant_required
def lattice_path(request: HttpRequest, lattice_id: Any) -> HttpResponse:
    lattice = _tenant_lattice(request, lattice_id)
    require_write_role(request)

    def run(data: dict[str, Any]) -> Any:
        return operations.find_path(
            tenant=request.tenant,
            actor=request.user,
            lattice=lattice,
            start=data["start"],
            end=data["end"],
        )

    job = (Kind.PATH, lambda data: {"start": data["start"], "end": data["end"]})
    return _operate(request, lattice, PathForm(request.POST), "path_form", run, job)


@require_POST
@tenant_required
def lattice_neighbors(request: HttpRequest, lattice_id: Any) -> HttpResponse:
    lattice = _tenant_lattice(request, lattice_id)
    require_write_role(request)

    def run(data: dict[str, Any]) -> Any:
        return operations.count_neighbors(
            tenant=request.tenant,
            actor=request.user,
            lattice=lattice,
            point=data["point"],
            radius=data["radius"],
        )

    job = (Kind.NEIGHBORS, lambda data: {"point": data["point"], "radius": data["radius"]})
    return _operate(request, lattice, NeighborsForm(request.POST), "neighbors_form", run, job)


@require_POST
@tenant_required
def lattice_transform(request: HttpRequest, lattice_id: Any) -> HttpResponse:
    lattice = _tenant_lattice(request, lattice_id)
    require_write_role(request)
    kind = request.POST.get("type", "")
    if kind not in TRANSFORM_FORMS:
        messages.error(request, "Choose a transform: XOR, rotate or scale.")
        return redirect("lattices:detail", lattice_id=lattice.pk)
    form = TRANSFORM_FORMS[kind](request.POST)
    common = {"tenant": request.tenant, "actor": request.user, "lattice": lattice}

    def run(data: dict[str, Any]) -> Any:
        if kind == "xor":
            return operations.xor_transform(**common, data=data["payload"], key=data["key"])
        if kind == "rotate":
            return operations.rotate_points(
                **common,
                axes=data["axes"],
                k=data["k"],
                points=data["points"],
                inverse=data["inverse"],
            )
        return operations.scale_points(**common, size=data["size"], points=data["points"])

    def body(data: dict[str, Any]) -> dict[str, Any]:
        if kind == "xor":
            payload = base64.b64encode(data["payload"]).decode("ascii")
            return {"data": payload, "key": data["key"]}
        fields = ("axes", "k", "points", "inverse") if kind == "rotate" else ("size", "points")
        return {name: data[name] for name in fields}

    job_kind = {"xor": Kind.TRANSFORM_XOR, "rotate": Kind.TRANSFORM_ROTATE}.get(
        kind, Kind.TRANSFORM_SCALE
    )
    return _operate(request, lattice, form, f"{kind}_form", run, (job_kind, body))


@require_POST
@tenant_required
def lattice_delete(request: HttpRequest, lattice_id: Any) -> HttpResponse:
    lattice = _tenant_lattice(request, lattice_id)
    require_write_role(request, Role.MEMBER)
    try:
        spend_call(request.tenant, request.user)
        services.delete_lattice(tenant=request.tenant, actor=request.user, lattice=lattice)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("lattices:detail", lattice_id=lattice.pk)
    messages.success(request, f"Lattice “{lattice.name}” deleted.")
    return redirect("lattices:list")
