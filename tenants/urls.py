"""Tenant pages: landing, team, invitations, audit log (the API is tenants/api/)."""

from django.urls import path

from tenants import settings_views, views

app_name = "tenants"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("team/", views.team, name="team"),
    path("team/members/<uuid:member_id>/role/", views.member_role, name="member_role"),
    path("team/members/<uuid:member_id>/remove/", views.member_remove, name="member_remove"),
    path(
        "team/invitations/<uuid:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    # The emailed link (tenants.invitations.accept_url): keep this format.
    path("invitations/accept/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("audit-log/", views.audit_log, name="audit_log"),
    path("workspace/settings/", settings_views.workspace_settings, name="settings"),
]
