"""The workspace pages: sign-up, a new workspace, closing and the export download."""

from django.urls import path

from workspaces import closing_views, export_views, signup_views

app_name = "workspaces"

urlpatterns = [
    path("signup/", signup_views.signup, name="signup"),
    path("workspace/close/", closing_views.close_workspace, name="close_workspace"),
    path("workspace/new/", signup_views.new_workspace, name="new_workspace"),
    path("account/export/", export_views.export_page, name="export"),
]
