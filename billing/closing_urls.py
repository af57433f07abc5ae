"""Closing's API endpoint, under its own namespace (like sign-up's): the path is the tenant
API's, the service billing's (it cancels the subscription)."""

from django.urls import path

from billing import closing_api

app_name = "closing_api"

urlpatterns = [
    path("api/tenants/close", closing_api.CloseTenantView.as_view(), name="close"),
]
