"""Every `/api/tenants/*` operation, whichever app serves it: one place to read the
tenant API's paths. Mounted at /api/tenants/ by catalytic/urls.py."""

from django.urls import path

from accounts.api import views as accounts_views
from accounts.api.key_views import ApiKeyViewSet
from billing.api.usage import UsageHistoryView, UsageView
from tenants.api import views as tenants_views
from webhooks.api.views import WebhookEndpointViewSet as Endpoints
from workspaces.api.closing_views import CloseTenantView
from workspaces.api.signup_views import RegisterView
from workspaces.export_views import ExportView

app_name = "tenants_api"

members = tenants_views.MemberViewSet.as_view({"get": "list", "post": "create"})
member = tenants_views.MemberViewSet.as_view({"patch": "partial_update", "delete": "destroy"})

urlpatterns = [
    # Signing in and out of a tenant.
    path("register", RegisterView.as_view(), name="register"),
    path("login", accounts_views.LoginView.as_view(), name="login"),
    path("refresh", accounts_views.RefreshView.as_view(), name="refresh"),
    path("logout", accounts_views.LogoutView.as_view(), name="logout"),
    # The workspace itself.
    path("current", tenants_views.CurrentTenantView.as_view(), name="current"),
    path("close", CloseTenantView.as_view(), name="close"),
    path("export", ExportView.as_view(), name="export"),
    path("usage", UsageView.as_view(), name="usage"),
    path("usage/history", UsageHistoryView.as_view(), name="usage-history"),
    path("audit-log", tenants_views.AuditLogViewSet.as_view({"get": "list"}), name="audit-log"),
    # Its people and programs.
    path("members", members, name="members"),
    path("members/<uuid:id>", member, name="member"),
    path(
        "invitations",
        tenants_views.InvitationViewSet.as_view({"get": "list"}),
        name="invitations",
    ),
    path(
        "invitations/accept",
        tenants_views.InvitationAcceptView.as_view(),
        name="invitation-accept",
    ),
    path(
        "invitations/<uuid:id>",
        tenants_views.InvitationViewSet.as_view({"delete": "destroy"}),
        name="invitation",
    ),
    path("api-keys", ApiKeyViewSet.as_view({"get": "list", "post": "create"}), name="api-keys"),
    path("api-keys/<uuid:id>", ApiKeyViewSet.as_view({"delete": "destroy"}), name="api-key"),
    # Where its events are sent.
    path("webhooks", Endpoints.as_view({"get": "list", "post": "create"}), name="webhooks"),
    path(
        "webhooks/<uuid:id>",
        Endpoints.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        name="webhook",
    ),
    path(
        "webhooks/<uuid:id>/rotate-secret",
        Endpoints.as_view({"post": "rotate_secret"}),
        name="webhook-rotate-secret",
    ),
    path("webhooks/<uuid:id>/test", Endpoints.as_view({"post": "test"}), name="webhook-test"),
    path(
        "webhooks/<uuid:id>/deliveries",
        Endpoints.as_view({"get": "deliveries"}),
        name="webhook-deliveries",
    ),
]
