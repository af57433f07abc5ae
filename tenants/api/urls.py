from django.urls import path

from tenants.api import views

app_name = "tenants_api"

members = views.MemberViewSet.as_view({"get": "list", "post": "create"})
member = views.MemberViewSet.as_view({"patch": "partial_update", "delete": "destroy"})

urlpatterns = [
    path("tenants/current", views.CurrentTenantView.as_view(), name="current"),
    path("tenants/members", members, name="members"),
    path("tenants/members/<uuid:id>", member, name="member"),
    path(
        "tenants/invitations",
        views.InvitationViewSet.as_view({"get": "list"}),
        name="invitations",
    ),
    path(
        "tenants/invitations/accept",
        views.InvitationAcceptView.as_view(),
        name="invitation-accept",
    ),
    path(
        "tenants/invitations/<uuid:id>",
        views.InvitationViewSet.as_view({"delete": "destroy"}),
        name="invitation",
    ),
    path(
        "tenants/audit-log",
        views.AuditLogViewSet.as_view({"get": "list"}),
        name="audit-log",
    ),
]
