"""The workspace settings page (owners and admins): the page of `PATCH /api/tenants/current`,
through the same service, tenants.services.update_tenant."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from tenants.forms import WorkspaceSettingsForm
from tenants.models import Role
from tenants.page_auth import role_required
from tenants.services import update_tenant


@role_required(Role.ADMIN)
def workspace_settings(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    status = 200
    if request.method == "POST":
        form = WorkspaceSettingsForm(request.POST)
        if form.is_valid():
            update_tenant(
                tenant=tenant, actor=request.user, changes=form.cleaned_data, request=request
            )
            messages.success(request, "Workspace settings saved.")
            return redirect("tenants:settings")
        status = 400
    else:
        form = WorkspaceSettingsForm(
            initial={"name": tenant.name, "billing_email": tenant.billing_email}
        )
    return render(request, "tenants/settings.html", {"form": form}, status=status)
