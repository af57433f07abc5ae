"""The close-workspace page: what closing does, and a typed confirmation (workspaces.closing)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from billing.state import subscription_for
from catalytic.errors import ServiceError
from catalytic.page_errors import ServiceErrorFormMixin, page_status
from tenants import lifecycle
from tenants.models import Role
from tenants.page_auth import role_required
from workspaces.closing import close_tenant


class CloseWorkspaceForm(ServiceErrorFormMixin, forms.Form):
    confirm = forms.CharField(
        label="Type the workspace's slug to confirm",
        max_length=63,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


@never_cache
@role_required(Role.OWNER)
def close_workspace(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    form = CloseWorkspaceForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                close_tenant(
                    tenant=tenant,
                    actor=request.user,
                    confirm=form.cleaned_data["confirm"],
                    request=request,
                )
            except ServiceError as exc:
                form.add_service_error(exc)
                status = page_status(exc)
            else:
                # The workspace is gone from this session as from every other.
                logout(request)
                messages.success(request, f"{tenant.name} is closed. We emailed its members.")
                return redirect("accounts:login")
    return render(
        request,
        "workspaces/close.html",
        {
            "form": form,
            "subscription": subscription_for(tenant),
            "grace_days": lifecycle.grace_period().days,
        },
        status=status,
    )
