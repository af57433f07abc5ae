"""The lattice pages: list, create, detail with path / neighbours / transform forms.

Every write goes through the same services as the API (`lattices.services`,
`lattices.operations`), as the page's caller (`request.caller`, tenants.page_auth), so plan
limits, suspension, validation and the operation history are the API's; each computation
is served from its description in lattices.computations, as the API serves it.
Metering: each product action started from a page (create, delete, path, neighbours,
transform) spends one call of the monthly quota through
`billing.usage.record_api_call`, exactly like the API; merely looking at pages does not.
"""

from __future__ import annotations

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
from billing.usage import quota_exceeded_error, record_api_call
from catalytic.errors import ServiceError
from lattices import engine, jobs, services
from lattices.computations import COMPUTATIONS, NEIGHBORS, PATH, TRANSFORMS, Computation
from lattices.drawing import grid_figure
from lattices.exceptions import PlanLimitExceeded
from lattices.forms import LatticeForm
from lattices.models import Lattice, LatticeOperation
from tenants.context import AuthContext
from tenants.models import Role
from tenants.page_auth import require_write_role, tenant_required

# The longest path listed in full in the JSON shown on the page (the API returns all of it).
SHOWN_PATH_POINTS = 500
HISTORY_ROWS = 15


def spend_call(caller: AuthContext) -> None:
    """One metered product call, as the API's MeteredProductAPIMixin spends it."""
    services.ensure_product_access(caller)
    usage = record_api_call(caller)
    if not usage.allowed:
        raise quota_exceeded_error(caller, usage)


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
                spend_call(request.caller)
                lattice = services.create_lattice(
                    request.caller,
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
    forms: dict[str, Form] = {c.form_key: c.form() for c in COMPUTATIONS}
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


def _remember_result(
    request: HttpRequest, lattice: Lattice, computation: Computation, outcome: Any, body: Any
) -> None:
    focus = body[computation.focus] if computation.focus else None
    request.session[RESULT_SESSION_KEY] = {
        "lattice": str(lattice.pk),
        "operation": str(outcome.operation.pk),
        "kind": outcome.operation.kind,
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


def _operate(request: HttpRequest, lattice: Lattice, computation: Computation) -> HttpResponse:
    """Validate the computation's form, spend one call, run it, then redirect to the
    detail page showing its result (a refresh shows it again and runs nothing); a refusal
    re-renders the form with the error.

    With "Run in background" (`background` posted), the computation becomes a job of the
    form's API body instead, as the API's `"async": true` makes one.
    """
    form = computation.form(request.POST)
    extra: dict[str, Any] = {computation.form_key: form, "open_form": computation.form_key}
    status = 400
    if form.is_valid():
        body = form.request_body()  # type: ignore[attr-defined]
        try:
            spend_call(request.caller)
            if request.POST.get("background"):
                jobs.submit(request.caller, lattice, kind=computation.kind, request=body)
                messages.success(
                    request, "The computation runs in the background: see Background jobs."
                )
                return redirect("lattices:dashboard")
            outcome = computation.run(request.caller, lattice, body, background=False)
        except ServiceError as exc:
            form.add_service_error(exc)  # type: ignore[attr-defined]
            extra["upgrade_to"] = exc.extra.get("upgrade_to")
            status = _error_status(exc)
        else:
            _remember_result(request, lattice, computation, outcome, body)
            detail = reverse("lattices:detail", kwargs={"lattice_id": lattice.pk})
            return redirect(f"{detail}?operation={outcome.operation.pk}#result")
    return render(
        request, "lattices/detail.html", _detail_context(request, lattice, **extra), status=status
    )


def _computation_page(computation: Computation | None) -> Any:
    """The POST view of a computation's form (`None`: the transform the form's `type` names)."""

    @require_POST
    @tenant_required
    def view(request: HttpRequest, lattice_id: Any) -> HttpResponse:
        lattice = _tenant_lattice(request, lattice_id)
        require_write_role(request)
        chosen = computation or TRANSFORMS.get(request.POST.get("type", ""))
        if chosen is None:
            messages.error(request, "Choose a transform: XOR, rotate or scale.")
            return redirect("lattices:detail", lattice_id=lattice.pk)
        return _operate(request, lattice, chosen)

    return view


lattice_path = _computation_page(PATH)
lattice_neighbors = _computation_page(NEIGHBORS)
lattice_transform = _computation_page(None)


@require_POST
@tenant_required
def lattice_delete(request: HttpRequest, lattice_id: Any) -> HttpResponse:
    lattice = _tenant_lattice(request, lattice_id)
    require_write_role(request, Role.MEMBER)
    try:
        spend_call(request.caller)
        services.delete_lattice(request.caller, lattice)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("lattices:detail", lattice_id=lattice.pk)
    messages.success(request, f"Lattice “{lattice.name}” deleted.")
    return redirect("lattices:list")
