"""The Webhooks page (owner/admin): register endpoints, see their deliveries, act on them."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from catalytic.errors import ServiceError
from tenants.models import Role
from tenants.page_auth import role_required
from webhooks import services
from webhooks.forms import EndpointForm
from webhooks.models import WebhookDelivery, WebhookEndpoint

RECENT_DELIVERIES = 50


@role_required(Role.ADMIN)
def endpoint_list(request: HttpRequest) -> HttpResponse:
    created = None
    status = 200
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_endpoint(
                tenant=request.tenant, actor=request.user, request=request, **form.cleaned_data
            )
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            form, status = EndpointForm(), 201
    endpoints = WebhookEndpoint.objects.for_tenant(request.tenant)
    context = {"form": form, "endpoints": endpoints, "created": created}
    response = render(request, "webhooks/endpoints.html", context, status=status)
    if created is not None:
        # SECURITY: never cache the page that shows a secret.
        response["Cache-Control"] = "no-store"
    return response


@role_required(Role.ADMIN)
def endpoint_detail(request: HttpRequest, endpoint_id: Any) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint.objects.for_tenant(request.tenant), pk=endpoint_id)
    deliveries = (
        WebhookDelivery.objects.for_tenant(request.tenant)
        .filter(endpoint=endpoint)
        .select_related("event")[:RECENT_DELIVERIES]
    )
    context = {"endpoint": endpoint, "deliveries": deliveries}
    return render(request, "webhooks/endpoint.html", context)


@require_POST
@role_required(Role.ADMIN)
def endpoint_action(request: HttpRequest, endpoint_id: Any, action: str) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint.objects.for_tenant(request.tenant), pk=endpoint_id)
    actor = request.user
    if action == "delete":
        services.delete_endpoint(endpoint=endpoint, actor=actor, request=request)
        messages.success(request, f"Endpoint {endpoint.url} removed.")
        return redirect("webhooks:endpoints")
    if action == "rotate":
        services.rotate_secret(endpoint=endpoint, actor=actor, request=request)
        return _show_secret(request, endpoint)
    try:
        if action == "test":
            services.send_ping(endpoint=endpoint, actor=actor)
            messages.success(request, "A ping event is on its way; its delivery shows below.")
        elif action == "toggle":
            changes = {"is_active": not endpoint.is_active}
            services.update_endpoint(
                endpoint=endpoint, actor=actor, changes=changes, request=request
            )
            messages.success(request, "Enabled." if endpoint.is_active else "Disabled.")
        else:
            raise Http404("No such action.")
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("webhooks:endpoint", endpoint_id=endpoint.pk)


def _show_secret(request: HttpRequest, endpoint: WebhookEndpoint) -> HttpResponse:
    response = render(
        request, "webhooks/endpoint.html", {"endpoint": endpoint, "secret": endpoint.secret}
    )
    response["Cache-Control"] = "no-store"
    return response
