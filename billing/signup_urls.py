"""Sign-up's API endpoint, under its own namespace so the billing pages' stays pages only.

Sign-up is billing's (it starts the subscription); its path is `/api/tenants/register`,
beside the other `/api/tenants/*` auth endpoints clients already call.
"""

from django.urls import path

from billing import signup_api

app_name = "signup_api"

urlpatterns = [
    path("api/tenants/register", signup_api.RegisterView.as_view(), name="register"),
]
